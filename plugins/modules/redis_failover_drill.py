#!/usr/bin/python
# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: redis_failover_drill
short_description: Kill a Redis master mid-stream and measure what Sentinel failover costs the sessions
version_added: 0.1.0
author: bespin.platform maintainers (@bespin)
description:
  - Writes a stream of session-shaped hashes through Sentinel (the way Spring Session does), kills the master while the
    stream runs, keeps writing through Sentinel until a replica has been promoted, then reads back every session whose
    write was acknowledged.
  - Reports the failover time (from the kill to the first write acknowledged by the new master), the number of
    acknowledged writes lost, and the write rate.
  - With O(wait_replicas), each write counts as acknowledged only once that many replicas confirmed it
    (C(WAIT)), which means slower writes and no acknowledged write lost. Without it, replication is asynchronous
    and the writes the master acknowledged just before it died may be lost. Run both to see the trade-off.
  - After the promotion, a write counts once the new master accepts it, without C(WAIT) (the new master may have no
    replica left until the old one comes back).
  - The drill's keys are deleted afterwards.
  - This module disrupts the store on purpose. It refuses to run in check mode.
options:
  sentinels:
    description: Sentinels, each as V(host:port).
    type: list
    elements: str
    required: true
  master_name:
    description: Name of the master set.
    type: str
    required: true
  kill:
    description:
      - How the master is killed.
      - V(sigkill) sends SIGKILL to the process the master reports in C(INFO server); the module must run on the
        master's host (delegate it there), and it checks the process is a C(redis-server) first.
      - V(command) runs O(kill_command) on the host the module runs on.
    type: str
    choices: [sigkill, command]
    default: sigkill
  kill_command:
    description: Command (argument list, no shell) that kills the master, for O(kill=command).
    type: list
    elements: str
  writes_before_kill:
    description: Sessions written before the kill.
    type: int
    default: 500
  writes_after_failover:
    description: Sessions written on the new master before the drill ends.
    type: int
    default: 100
  wait_replicas:
    description: Replicas that must acknowledge each write (C(WAIT)) before it counts as acknowledged; 0 for none.
    type: int
    default: 0
  wait_timeout_ms:
    description: Milliseconds each C(WAIT) may take.
    type: int
    default: 200
  failover_timeout:
    description: Seconds to wait for a promoted master after the kill.
    type: int
    default: 60
  session_namespace:
    description: Key namespace of the drill's sessions.
    type: str
    default: spring:session
extends_documentation_fragment:
  - bespin.platform.redis
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: none
    details: A drill cannot be simulated; in check mode the task is skipped without touching anything.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
    details: The change is a failover; the old and new master are returned instead of a diff.
"""

EXAMPLES = r"""
- name: Drill, asynchronous replication
  bespin.platform.redis_failover_drill:
    sentinels: "{{ redis_session_sentinels }}"
    master_name: sessions
    password: "{{ redis_password }}"
  delegate_to: "{{ redis_master_host }}"
  register: drill_async

- name: Drill, every write acknowledged by a replica
  bespin.platform.redis_failover_drill:
    sentinels: "{{ redis_session_sentinels }}"
    master_name: sessions
    password: "{{ redis_password }}"
    wait_replicas: 1
    kill: command
    kill_command: [kubectl, -n, sessions, delete, pod, sessions-redis-ha-server-0, --grace-period=0, --force]
"""

RETURN = r"""
old_master:
  description: The master that was killed.
  returned: success
  type: str
  sample: 10.0.1.10:6379
new_master:
  description: The master Sentinel promoted.
  returned: success
  type: str
  sample: 10.0.2.10:6379
failover_seconds:
  description: Seconds from the kill to the first write acknowledged by the new master.
  returned: success
  type: float
  sample: 2.41
acknowledged_before_kill:
  description: Writes acknowledged before the kill was sent.
  returned: success
  type: int
acknowledged:
  description: Every write acknowledged during the drill.
  returned: success
  type: int
lost:
  description: Acknowledged writes not readable from the new master after the failover.
  returned: success
  type: int
lost_keys:
  description: Up to ten of the lost keys.
  returned: success
  type: list
  elements: str
failed_writes:
  description: Writes that failed (not acknowledged) while the master was down; the application would retry them.
  returned: success
  type: int
writes_per_second:
  description: Acknowledged writes per second before the kill.
  returned: success
  type: float
wait_replicas:
  description: The O(wait_replicas) the drill ran with.
  returned: success
  type: int
"""

import contextlib
import os
import signal
import threading
import time
import uuid

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.bespin.platform.plugins.module_utils.redis_connection import (
    CONNECTION_ARGS,
    MASTER_NAME,
    RedisConnector,
    check_request,
    describe_error,
    parse_addresses,
    validate_connection,
)
from ansible_collections.bespin.platform.plugins.module_utils.redis_session_shape import (
    NAMESPACE,
    session_fields,
    session_key,
)
from ansible_collections.bespin.platform.plugins.module_utils.redis_topology import TopologyError, ask_sentinels

try:
    import redis
except ImportError:  # reported through missing_required_lib
    redis = None

RETRY_PAUSE = 0.05
SESSION_TTL = 600


def argument_spec():
    spec = dict(CONNECTION_ARGS)
    spec.update(
        sentinels=dict(type="list", elements="str", required=True),
        master_name=dict(type="str", required=True),
        kill=dict(type="str", choices=["sigkill", "command"], default="sigkill"),
        kill_command=dict(type="list", elements="str"),
        writes_before_kill=dict(type="int", default=500),
        writes_after_failover=dict(type="int", default=100),
        wait_replicas=dict(type="int", default=0),
        wait_timeout_ms=dict(type="int", default=200),
        failover_timeout=dict(type="int", default=60),
        session_namespace=dict(type="str", default="spring:session"),
    )
    return spec


def validate(params):
    try:
        parse_addresses(params["sentinels"], "sentinels")
    except ValueError as exc:
        return str(exc)
    if not MASTER_NAME.match(params["master_name"]):
        return f"master_name: {params['master_name']!r} is not a master set name"
    if params["kill"] == "command" and not params["kill_command"]:
        return "kill_command: required with kill=command"
    for option, least in (("writes_before_kill", 1), ("writes_after_failover", 1), ("failover_timeout", 1)):
        if params[option] < least:
            return f"{option}: must be at least {least}, got {params[option]}"
    for option in ("wait_replicas", "wait_timeout_ms"):
        if params[option] < 0:
            return f"{option}: must not be negative, got {params[option]}"
    if not NAMESPACE.match(params["session_namespace"]):
        return f"session_namespace: {params['session_namespace']!r} is not a key namespace"
    return validate_connection(params)


class Drill:
    def __init__(self, module, connector):
        self.module = module
        self.connector = connector
        self.params = module.params
        given = module.params["sentinels"]
        self.sentinels = list(zip(given, parse_addresses(given, "sentinels"), strict=True))
        self.run_id = uuid.uuid4().hex[:12]
        self.acknowledged = []  # (key, the master address that acknowledged it)
        self.failed_writes = 0

    def master(self):
        view = ask_sentinels(self.connector, self.sentinels, self.params["master_name"])
        return view["master"]

    def write(self, index, master, wait=True):
        """One session written to `master`; True when acknowledged as the options ask
        (with `wait`, once O(wait_replicas) replicas confirmed it)."""
        key = session_key(self.params["session_namespace"], f"drill-{self.run_id}-{index:06d}")
        client = self.clients.setdefault(master, self.connector.node(*master))
        try:
            pipeline = client.pipeline(transaction=True)
            pipeline.hset(key, mapping=session_fields(int(time.time() * 1000), SESSION_TTL, str(index)))
            pipeline.expire(key, SESSION_TTL)
            pipeline.execute()
            if wait and self.params["wait_replicas"]:
                replicas = client.wait(self.params["wait_replicas"], self.params["wait_timeout_ms"])
                if replicas < self.params["wait_replicas"]:
                    self.failed_writes += 1
                    return False
        except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
            # The master died, or is read-only after a demotion: not acknowledged.
            self.failed_writes += 1
            self.clients.pop(master, None)
            return False
        self.acknowledged.append((key, master))
        return True

    def kill(self, master):
        if self.params["kill"] == "command":
            return lambda: self.module.run_command(self.params["kill_command"])
        client = self.connector.node(*master)
        pid = int(client.info("server")["process_id"])
        client.close()
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read().split(b"\0")[0]
        except OSError:
            command = b""
        if not os.path.basename(command).startswith(b"redis-server"):
            self.module.fail_json(
                msg=f"kill: the master {master[0]}:{master[1]} runs as pid {pid}, which is not a redis-server on "
                "this host; delegate the drill to the master's host or use kill=command"
            )
        return lambda: os.kill(pid, signal.SIGKILL)

    def run(self):
        self.clients = {}
        started = time.monotonic()
        try:
            old = self.master()
        except TopologyError as exc:
            self.module.fail_json(msg=str(exc))
        killer = self.kill(old)
        index = 0
        while index < self.params["writes_before_kill"]:
            self.write(index, old)
            index += 1
        before_kill = len(self.acknowledged)
        rate = before_kill / max(time.monotonic() - started, 1e-6)
        # The kill races the stream: writes keep going while the process dies.
        thread = threading.Thread(target=killer)
        killed_at = time.monotonic()
        thread.start()
        new, promoted_at = self.write_through_failover(old, index, killed_at)
        thread.join()
        failover_seconds = promoted_at - killed_at
        lost = self.lost(new)
        self.cleanup(new)
        self.module.exit_json(
            changed=True,
            old_master=f"{old[0]}:{old[1]}",
            new_master=f"{new[0]}:{new[1]}",
            failover_seconds=round(failover_seconds, 2),
            acknowledged_before_kill=before_kill,
            acknowledged=len(self.acknowledged),
            lost=len(lost),
            lost_keys=lost[:10],
            failed_writes=self.failed_writes,
            writes_per_second=round(rate, 1),
            wait_replicas=self.params["wait_replicas"],
        )

    def write_through_failover(self, old, index, killed_at):
        """Keep writing, asking Sentinel for the master each time a write fails, until
        `writes_after_failover` writes were acknowledged by a master other than `old`."""
        deadline = killed_at + self.params["failover_timeout"]
        master, promoted_at, after = old, None, 0
        while after < self.params["writes_after_failover"]:
            if time.monotonic() > deadline:
                self.module.fail_json(
                    msg="failover_timeout: no new master acknowledged a write within "
                    f"{self.params['failover_timeout']} s",
                    acknowledged=len(self.acknowledged),
                )
            # The promoted master may have no replica left to wait for (the old master
            # is dead): a write it accepts is what shows the failover is done.
            if self.write(index, master, wait=master == old):
                if master != old:
                    promoted_at = promoted_at or time.monotonic()
                    after += 1
            else:
                time.sleep(RETRY_PAUSE)
                # Sentinel may be between answers too; the next failed write asks again.
                with contextlib.suppress(TopologyError, redis.RedisError):
                    master = self.master()
            index += 1
        return master, promoted_at

    def lost(self, master):
        client = self.connector.node(*master)
        keys = [key for key, unused_master in self.acknowledged]
        pipeline = client.pipeline(transaction=False)
        for key in keys:
            pipeline.exists(key)
        present = self.connector.call(pipeline.execute)
        client.close()
        return [key for key, there in zip(keys, present, strict=True) if not there]

    def cleanup(self, master):
        client = self.connector.node(*master)
        try:
            keys = [key for key, unused_master in self.acknowledged]
            for start in range(0, len(keys), 500):
                self.connector.call(lambda chunk=keys[start : start + 500]: client.delete(*chunk))
        except redis.RedisError as exc:
            self.module.warn(
                f"the drill's sessions could not all be deleted ({describe_error(exc)}); they expire in 10 minutes"
            )
        finally:
            client.close()


def main():
    module = AnsibleModule(argument_spec=argument_spec(), required_if=[("kill", "command", ["kill_command"])])
    check_request(module, validate)
    Drill(module, RedisConnector(module.params)).run()


if __name__ == "__main__":
    main()
