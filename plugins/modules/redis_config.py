#!/usr/bin/python
# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: redis_config
short_description: Set runtime settings of running Redis data nodes and persist them
version_added: 0.1.0
author: bespin.platform maintainers (@bespin)
description:
  - Compares each setting with C(CONFIG GET) on every node in O(nodes), sends C(CONFIG SET) for those that differ and
    C(CONFIG REWRITE) so they survive a restart.
  - Redis and Sentinel rewrite a data node's configuration file themselves (C(replicaof) after a failover), so
    templating it over a running node could point a replica back at a dead master. Settings that change after the
    first start go through this module instead.
  - Every node is read, and every problem found, before any of them is changed.
options:
  nodes:
    description: The data nodes, each as V(host:port).
    type: list
    elements: str
    required: true
  settings:
    description:
      - Settings and their wanted values, as Redis spells them (V(maxmemory-policy), V(maxmemory)...).
      - Memory sizes are compared as Redis reports them (bytes), so V(256mb) matches V(268435456).
    type: dict
    required: true
  secret_settings:
    description:
      - Settings whose values are secrets (V(requirepass), V(masterauth)); they are never returned or shown in a diff.
      - C(requirepass) is compared by authenticating with it; C(masterauth) cannot be read back and is sent whenever
        the node is a replica whose link to its master is down, and where V(requirepass) changes.
    type: dict
    default: {}
extends_documentation_fragment:
  - bespin.platform.redis
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Every node is read; what would be set is returned, nothing is sent.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The non-secret settings of each node before and after.
"""

EXAMPLES = r"""
- name: Sessions are never evicted by an allkeys policy
  bespin.platform.redis_config:
    nodes: [10.0.1.10:6379, 10.0.2.10:6379]
    password: "{{ redis_password }}"
    settings:
      maxmemory: 256mb
      maxmemory-policy: volatile-lru
"""

RETURN = r"""
nodes:
  description: Each node with the settings sent (or to send, in check mode), secret ones by name only.
  returned: always
  type: list
  elements: dict
  sample: [{"address": "10.0.1.10:6379", "set": ["maxmemory-policy"]}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.bespin.platform.plugins.module_utils.redis_connection import (
    CONNECTION_ARGS,
    RedisConnector,
    check_request,
    describe_error,
    parse_addresses,
    validate_connection,
)

try:
    import redis
except ImportError:  # reported through missing_required_lib
    redis = None

MEMORY_UNITS = {"k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3}
SECRET_SETTINGS = ("requirepass", "masterauth")


def normalize(setting, value):
    """A value as CONFIG GET reports it: memory sizes in bytes, lower-case words."""
    text = str(value).strip().lower()
    if setting.endswith("maxmemory") or setting == "maxmemory":
        for unit in sorted(MEMORY_UNITS, key=len, reverse=True):
            if text.endswith(unit) and text[: -len(unit)].isdigit():
                return str(int(text[: -len(unit)]) * MEMORY_UNITS[unit])
    return text


def validate(params):
    try:
        parse_addresses(params["nodes"], "nodes")
    except ValueError as exc:
        return str(exc)
    if not params["settings"] and not params["secret_settings"]:
        return "settings: give at least one setting"
    for setting in params["settings"]:
        if setting in SECRET_SETTINGS:
            return f"settings: {setting} is a secret; put it under secret_settings"
    for setting in params["secret_settings"]:
        if setting not in SECRET_SETTINGS:
            return f"secret_settings: {setting} is not a secret setting (only {', '.join(SECRET_SETTINGS)})"
    return validate_connection(params)


def main():
    spec = dict(CONNECTION_ARGS)
    spec.update(
        nodes=dict(type="list", elements="str", required=True),
        settings=dict(type="dict", required=True),
        secret_settings=dict(type="dict", default={}, no_log=True),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    check_request(module, validate)
    connector = RedisConnector(module.params)
    secrets = module.params["secret_settings"]
    wanted = {k: normalize(k, v) for k, v in module.params["settings"].items()}
    plans, before, after = [], {}, {}
    for index, (text, address) in enumerate(
        zip(module.params["nodes"], parse_addresses(module.params["nodes"], "nodes"), strict=True)
    ):
        client = connector.node(*address)
        try:
            current = {
                k: normalize(k, connector.call(lambda k=k, c=client: c.config_get(k)).get(k, "")) for k in wanted
            }
            role = connector.call(lambda c=client: c.execute_command("ROLE"))
        except redis.ResponseError as exc:
            module.fail_json(msg=f"nodes[{index}]: {text} refused CONFIG GET: {exc}")
        except redis.RedisError as exc:
            module.fail_json(msg=f"nodes[{index}]: {text} is unreachable: {describe_error(exc)}")
        changes = {k: v for k, v in wanted.items() if current[k] != v}
        secret_changes = []
        if "requirepass" in secrets and not authenticates(connector, address, secrets["requirepass"]):
            secret_changes.append("requirepass")
        if "masterauth" in secrets and (secret_changes or (role[0] == "slave" and role[3] != "connected")):
            secret_changes.append("masterauth")
        plans.append((text, client, changes, secret_changes))
        before[text] = current
        after[text] = dict(current, **changes)
    changed = any(changes or secret for unused_text, unused_client, changes, secret in plans)
    if changed and not module.check_mode:
        for text, client, changes, secret_changes in plans:
            try:
                # masterauth before requirepass: a replica must be able to follow the new password first.
                for setting in sorted(secret_changes):
                    connector.call(lambda s=setting, c=client: c.config_set(s, secrets[s]))
                    if setting == "requirepass":
                        client.connection_pool.connection_kwargs["password"] = secrets[setting]
                        client.connection_pool.disconnect()
                for setting, value in changes.items():
                    connector.call(lambda s=setting, v=value, c=client: c.config_set(s, v))
                if changes or secret_changes:
                    connector.call(client.config_rewrite)
            except redis.RedisError as exc:
                module.fail_json(msg=f"nodes: {text} refused CONFIG SET: {describe_error(exc)}")
    result = dict(
        changed=changed,
        nodes=[dict(address=text, set=sorted(changes) + secret) for text, unused_client, changes, secret in plans],
    )
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


def authenticates(connector, address, password):
    client = connector.node(*address, password=password)
    try:
        return bool(client.ping())
    except redis.AuthenticationError:
        return False
    except redis.ResponseError as exc:
        if "WRONGPASS" in str(exc) or "NOAUTH" in str(exc) or "invalid" in str(exc):
            return False
        raise
    finally:
        client.close()


if __name__ == "__main__":
    main()
