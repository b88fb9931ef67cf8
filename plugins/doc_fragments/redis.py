# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The connection options every Redis module of this collection takes.
    DOCUMENTATION = r"""
options:
  password:
    description:
      - Password of the Redis data nodes (C(requirepass), or the ACL user's password with O(username),
        or an ElastiCache auth token).
    type: str
  username:
    description: ACL user to authenticate as; the default user when omitted.
    type: str
  sentinel_password:
    description: Password of the Sentinels themselves, when they have C(requirepass) set.
    type: str
  tls:
    description: Connect to data nodes and Sentinels over TLS.
    type: bool
    default: false
  tls_ca_cert:
    description: CA bundle that signed the servers' certificates; the system store when omitted.
    type: path
  tls_validate_certs:
    description: Verify the servers' certificates and host names. Turn off only for self-signed test setups.
    type: bool
    default: true
  connect_timeout:
    description: Seconds to wait for a connection or an answer before retrying.
    type: float
    default: 5.0
notes:
  - Dropped connections, timeouts and the answers a node gives during a failover (LOADING, MASTERDOWN, TRYAGAIN,
    BUSY, READONLY) are retried with jittered exponential backoff, up to six tries.
requirements:
  - redis (the redis-py client) >= 5.0
"""
