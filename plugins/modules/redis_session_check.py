#!/usr/bin/python
# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: redis_session_check
short_description: Prove a Redis session store is usable for Spring Session, and report its topology
version_added: 0.1.0
author: bespin.platform maintainers (@bespin)
description:
  - Finds the master the way the application does (asks the Sentinels in O(sentinels) for O(master_name)), or
    connects to O(host) directly (ElastiCache primary endpoint, a single node).
  - Authenticates (TLS optional), writes a session-shaped hash with a TTL under
    C(<session_namespace>:sessions:<id>) through one connection, reads it back through another, waits for a replica
    to acknowledge it (C(WAIT)) and reads it from that replica, and checks that C(maxmemory-policy) does not evict
    sessions (C(allkeys-*) fails; C(noeviction) and C(volatile-*) pass).
  - Reports the topology (master, replicas, Sentinels, quorum) and one result per check. The test key is deleted
    afterwards, also when a check fails.
  - Fails, naming every failed check, when the store is not usable.
options:
  sentinels:
    description: Sentinels to ask for the master, each as V(host:port). Mutually exclusive with O(host).
    type: list
    elements: str
  master_name:
    description: Name of the master set. Required with O(sentinels).
    type: str
  host:
    description:
      - Address of the master (or a primary endpoint) to connect to directly.
      - Mutually exclusive with O(sentinels).
    type: str
  port:
    description: Port of O(host).
    type: int
    default: 6379
  session_namespace:
    description: Spring Session's key namespace (C(spring.session.redis.namespace)).
    type: str
    default: spring:session
  ttl:
    description: Seconds the test session lives if the clean-up cannot run.
    type: int
    default: 60
  require_replica:
    description: Fail when no replica acknowledges the test session within O(replica_timeout_ms).
    type: bool
    default: true
  replica_timeout_ms:
    description: Milliseconds to wait for a replica to acknowledge the write and to serve it.
    type: int
    default: 2000
extends_documentation_fragment:
  - bespin.platform.redis
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Only reads run (master, authentication, topology, eviction policy); the write, read-back and replica checks
      are reported as skipped.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
    details: The test key is removed again; the module never reports a change.
notes:
  - Managed services that disable C(CONFIG) (ElastiCache) report the eviction policy as unknown; the check passes
    with a warning, and the policy is set in the parameter group instead.
"""

EXAMPLES = r"""
- name: The session store is usable through Sentinel
  bespin.platform.redis_session_check:
    sentinels: [10.0.1.10:26379, 10.0.2.10:26379, 10.0.3.10:26379]
    master_name: sessions
    password: "{{ redis_password }}"
  register: session_store

- name: An ElastiCache primary endpoint over TLS
  bespin.platform.redis_session_check:
    host: master.petclinic-sessions.abc123.apn2.cache.amazonaws.com
    password: "{{ redis_auth_token }}"
    tls: true
"""

RETURN = r"""
usable:
  description: Whether every check passed.
  returned: always
  type: bool
  sample: true
checks:
  description: Each check's result, by name (master, write, read_back, replicated, ttl, eviction_policy, quorum).
  returned: always
  type: dict
  sample: {"master": {"ok": true, "detail": "127.0.0.1:6379 answers as master"}}
maxmemory_policy:
  description: The master's C(maxmemory-policy), or V(unknown) when C(CONFIG) is disabled.
  returned: when the master answered
  type: str
  sample: volatile-lru
topology:
  description: The store as it reports itself.
  returned: always
  type: dict
  contains:
    mode:
      description: V(sentinel) or V(direct).
      type: str
    master:
      description: The master's address.
      type: str
      sample: 10.0.1.10:6379
    replicas:
      description: The replicas, each with its address and state.
      type: list
      elements: dict
    sentinels:
      description: Each Sentinel asked, whether it answered and the master it reports.
      type: list
      elements: dict
    quorum:
      description: The set's quorum.
      type: int
    sentinels_agree:
      description: Whether every Sentinel reports the same master.
      type: bool
"""

import time
import uuid

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.bespin.platform.plugins.module_utils.redis_connection import (
    CONNECTION_ARGS,
    MASTER_NAME,
    RedisConnector,
    check_request,
    describe_error,
    parse_address,
    parse_addresses,
    validate_connection,
)
from ansible_collections.bespin.platform.plugins.module_utils.redis_session_shape import (
    NAMESPACE,
    policy_keeps_sessions,
    session_fields,
    session_key,
)
from ansible_collections.bespin.platform.plugins.module_utils.redis_topology import (
    TopologyError,
    ask_sentinels,
    replicas_of,
    split_address,
)

try:
    import redis
except ImportError:  # reported through missing_required_lib
    redis = None

REPLICA_POLL_SECONDS = 0.05


def argument_spec():
    spec = dict(CONNECTION_ARGS)
    spec.update(
        sentinels=dict(type="list", elements="str"),
        master_name=dict(type="str"),
        host=dict(type="str"),
        port=dict(type="int", default=6379),
        session_namespace=dict(type="str", default="spring:session"),
        ttl=dict(type="int", default=60),
        require_replica=dict(type="bool", default=True),
        replica_timeout_ms=dict(type="int", default=2000),
    )
    return spec


def validate(params):
    """The first problem with the request, naming its field; None when there is none."""
    if params["sentinels"] is not None:
        try:
            parse_addresses(params["sentinels"], "sentinels")
        except ValueError as exc:
            return str(exc)
        if not params["master_name"] or not MASTER_NAME.match(params["master_name"]):
            return "master_name: required with sentinels (1-128 letters, digits, dots, dashes or underscores)"
    else:
        try:
            parse_address(f"{params['host']}:{params['port']}", "host")
        except ValueError:
            return f"host: {params['host']!r} with port {params['port']} is not a Redis address"
    if not NAMESPACE.match(params["session_namespace"]):
        return f"session_namespace: {params['session_namespace']!r} must be 1-200 letters, digits or . _ : -"
    if params["ttl"] < 1:
        return f"ttl: must be at least 1 second, got {params['ttl']}"
    if params["replica_timeout_ms"] < 0:
        return f"replica_timeout_ms: must not be negative, got {params['replica_timeout_ms']}"
    return validate_connection(params)


class SessionStoreCheck:
    def __init__(self, module, connector):
        self.module = module
        self.connector = connector
        self.params = module.params
        self.checks = {}
        self.topology = {}

    def record(self, name, ok, detail):
        self.checks[name] = dict(ok=bool(ok), detail=detail)
        return ok

    def locate(self):
        """(host, port) of the master, filling the topology in."""
        if self.params["sentinels"] is None:
            self.topology = dict(mode="direct", master=f"{self.params['host']}:{self.params['port']}", sentinels=[])
            return self.params["host"], self.params["port"]
        given = self.params["sentinels"]
        view = ask_sentinels(
            self.connector,
            list(zip(given, parse_addresses(given, "sentinels"), strict=True)),
            self.params["master_name"],
        )
        self.topology = dict(
            mode="sentinel",
            master=f"{view['master'][0]}:{view['master'][1]}",
            master_name=self.params["master_name"],
            quorum=view["quorum"],
            sentinels=view["sentinels"],
            sentinels_agree=view["agree"],
            sentinel_replicas=view["replicas"],
        )
        reachable = sum(1 for row in view["sentinels"] if row["reachable"])
        self.record(
            "quorum",
            view["ckquorum"].startswith("OK") and view["agree"],
            f"{reachable} of {len(given)} sentinels answer, quorum {view['quorum']}: {view['ckquorum']}"
            + ("" if view["agree"] else "; the sentinels disagree on the master"),
        )
        return view["master"]

    def read_master(self, master):
        """The master's role, replicas and eviction policy, over one connection; False when
        it cannot be used at all."""
        address = f"{master[0]}:{master[1]}"
        client = self.connector.node(*master)
        try:
            role = self.connector.call(lambda: client.execute_command("ROLE"))[0]
            info = self.connector.call(lambda: client.info("replication"))
            self.topology["replicas"] = replicas_of(info)
            if not self.record("master", role == "master", f"{address} answers as {role}"):
                return False
            self.record_policy(self.read_policy(client))
            return True
        except redis.RedisError as exc:
            return self.record("master", False, f"{address}: {describe_error(exc)}")
        finally:
            client.close()

    def read_policy(self, client):
        try:
            return self.connector.call(lambda: client.config_get("maxmemory-policy")).get("maxmemory-policy", "unknown")
        except redis.ResponseError:
            return "unknown"  # CONFIG renamed or disabled, as on ElastiCache

    def record_policy(self, policy):
        self.result_policy = policy
        if policy == "unknown":
            self.module.warn("maxmemory-policy could not be read (CONFIG is disabled); make sure it is not allkeys-*")
            self.record("eviction_policy", True, "unknown (CONFIG disabled); check the parameter group")
        else:
            self.record(
                "eviction_policy",
                policy_keeps_sessions(policy),
                f"maxmemory-policy {policy}" + ("" if policy_keeps_sessions(policy) else " may evict live sessions"),
            )

    def round_trip(self, master):
        """Write through one connection, read through another and from a replica; delete afterwards."""
        key = session_key(self.params["session_namespace"], f"bespin-check-{uuid.uuid4()}")
        marker = uuid.uuid4().hex
        fields = session_fields(int(time.time() * 1000), self.params["ttl"], marker)
        writer = self.connector.node(*master)
        try:
            pipeline = writer.pipeline(transaction=True)
            pipeline.hset(key, mapping=fields)
            pipeline.expire(key, self.params["ttl"])
            self.connector.call(pipeline.execute)
            self.record("write", True, f"HSET and EXPIRE {self.params['ttl']} s on {master[0]}:{master[1]}")
            acknowledged = self.connector.call(lambda: writer.wait(1, self.params["replica_timeout_ms"]))
            self.read_back(master, key, fields)
            self.read_replica(key, marker, acknowledged)
        except redis.RedisError as exc:
            self.record("write", False, describe_error(exc))
        finally:
            try:
                writer.delete(key)
            except redis.RedisError:
                self.module.warn(f"the test session could not be deleted; it expires in {self.params['ttl']} s")
            writer.close()

    def read_back(self, master, key, fields):
        reader = self.connector.node(*master)
        try:
            stored = self.connector.call(lambda: reader.hgetall(key))
            ttl = self.connector.call(lambda: reader.ttl(key))
        finally:
            reader.close()
        self.record(
            "read_back",
            stored == fields,
            "read through a second connection" if stored == fields else f"read {stored!r}",
        )
        self.record("ttl", 0 < ttl <= self.params["ttl"], f"TTL {ttl} s")

    def read_replica(self, key, marker, acknowledged):
        replicas = [row for row in self.topology.get("replicas", []) if row.get("state") == "online"]
        if not replicas:
            self.record("replicated", not self.params["require_replica"], "no replica is online")
            return
        address = split_address(replicas[0]["address"])
        replica = self.connector.node(*address)
        deadline = time.monotonic() + self.params["replica_timeout_ms"] / 1000.0
        seen = None
        try:
            while True:
                seen = self.connector.call(lambda: replica.hget(key, "sessionAttr:bespinCheck"))
                if seen == marker or time.monotonic() >= deadline:
                    break
                time.sleep(REPLICA_POLL_SECONDS)
        finally:
            replica.close()
        ok = seen == marker
        detail = f"{acknowledged} replica(s) acknowledged (WAIT); read from {replicas[0]['address']}"
        self.record("replicated", ok or not self.params["require_replica"], detail if ok else detail + ": not there")

    def run(self):
        result = dict(changed=False)
        try:
            master = self.locate()
            if self.read_master(master):
                result["maxmemory_policy"] = self.result_policy
                if self.module.check_mode:
                    for name in ("write", "read_back", "ttl", "replicated"):
                        self.checks[name] = dict(ok=True, detail="skipped in check mode", skipped=True)
                else:
                    self.round_trip(master)
        except TopologyError as exc:
            self.record("master", False, str(exc))
        except redis.RedisError as exc:
            self.record("master", False, describe_error(exc))
        failed = [f"{name}: {check['detail']}" for name, check in self.checks.items() if not check["ok"]]
        result.update(usable=not failed, checks=self.checks, topology=self.topology)
        if failed:
            self.module.fail_json(msg="The Redis session store is not usable: " + "; ".join(failed), **result)
        self.module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[("sentinels", "host")],
        required_one_of=[("sentinels", "host")],
        supports_check_mode=True,
    )
    check_request(module, validate)
    SessionStoreCheck(module, RedisConnector(module.params)).run()


if __name__ == "__main__":
    main()
