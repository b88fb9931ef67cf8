# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a Spring Session looks like in Redis, and which eviction policies keep it.

Spring Session's Redis repository keeps each session as a hash under
`<namespace>:sessions:<id>` with creationTime, lastAccessedTime,
maxInactiveInterval and one `sessionAttr:<name>` field per attribute, and an
expiry on the key. The check and the drill write sessions of that shape, so
what they prove holds for the application's own keys.
"""

import re

DEFAULT_NAMESPACE = "spring:session"
NAMESPACE = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")
# Under memory pressure allkeys-* may evict any key, also the index keys Spring Session
# keeps without an expiry, and corrupt the store's view of who is logged in; volatile-*
# evicts only keys that expire anyway (the idlest sessions first) and noeviction refuses
# writes instead of dropping anything.
SAFE_POLICY_PREFIXES = ("volatile-",)
SAFE_POLICIES = ("noeviction",)


def session_key(namespace, session_id):
    return f"{namespace}:sessions:{session_id}"


def session_fields(now_ms, ttl_seconds, marker):
    """The hash fields of a fresh session holding one attribute, `marker`."""
    return {
        "creationTime": str(now_ms),
        "lastAccessedTime": str(now_ms),
        "maxInactiveInterval": str(ttl_seconds),
        "sessionAttr:bespinCheck": marker,
    }


def policy_keeps_sessions(policy):
    """Whether `maxmemory-policy` never evicts a session before its TTL while others can go."""
    return policy in SAFE_POLICIES or policy.startswith(SAFE_POLICY_PREFIXES)
