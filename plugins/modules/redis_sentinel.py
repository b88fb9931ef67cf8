#!/usr/bin/python
# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: redis_sentinel
short_description: Make every listed Redis Sentinel monitor a master set with the given settings
version_added: 0.1.0
author: bespin.platform maintainers (@bespin)
description:
  - Ensures that each Sentinel in O(sentinels) monitors the master set O(master_name) with the given quorum,
    down-after-milliseconds, failover-timeout, parallel-syncs and auth-pass, through C(SENTINEL MONITOR),
    C(SENTINEL SET) and C(SENTINEL REMOVE), at runtime.
  - Sentinel rewrites its own configuration file, so templating that file over a running Sentinel loses what it has
    learned (the current master after a failover, the other Sentinels, the epochs). This module is the way to change
    a running Sentinel's settings.
  - Idempotent. C(SENTINEL MONITOR) fails on a name already monitored, so a set is created only where it is missing;
    it is re-created (C(REMOVE) then C(MONITOR)) only when it points at a different replication group. A Sentinel
    whose master is now one of the replicas of O(master_host) (after a failover) is left alone.
  - Every Sentinel is reached, and every problem found, before any of them is changed.
options:
  sentinels:
    description: The Sentinels, each as V(host:port).
    type: list
    elements: str
    required: true
  master_name:
    description: Name of the master set, as the applications ask Sentinel for it.
    type: str
    required: true
  master_host:
    description:
      - Address of the master to monitor where the set is missing (an IP address; Sentinel stores addresses).
      - When omitted, the address comes from a listed Sentinel that already monitors the set; the module fails when
        none does.
    type: str
  master_port:
    description: Port of the master.
    type: int
    default: 6379
  quorum:
    description:
      - Number of Sentinels that must agree the master is down before a failover starts.
      - At least 1 and at most the number of O(sentinels). Required with O(state=present).
    type: int
  down_after_milliseconds:
    description:
      - Milliseconds without a valid answer before a Sentinel considers the master down.
      - Left as is when omitted.
    type: int
  failover_timeout:
    description: Failover timeout in milliseconds. Left as is when omitted.
    type: int
  parallel_syncs:
    description: Replicas reconfigured at the same time after a failover. Left as is when omitted.
    type: int
  auth_pass:
    description: Password Sentinel uses to talk to the master and replicas.
    type: str
  auth_pass_update:
    description:
      - Sentinel never shows the auth-pass it holds, so it cannot be compared.
      - V(auto) sends it where the set is created and where the Sentinel is not currently talking to its master
        (master down or disconnected, or no INFO answer for 30 s), which is how a wrong auth-pass shows.
      - V(always) sends it on every run (the module then always reports a change).
      - Sentinel reconnects to apply a sent auth-pass; the module waits up to 15 s for it to talk to its master
        again (so that a rerun finds it healthy and sends nothing), and warns when it does not.
    type: str
    choices: [auto, always]
    default: auto
  state:
    description: V(present) to monitor the set, V(absent) to stop monitoring it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - bespin.platform.redis
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Every Sentinel is read; the commands that would be sent are returned, none is sent.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: Each Sentinel's master address and settings before and after; the auth-pass never appears.
"""

EXAMPLES = r"""
- name: Three Sentinels watch the session store
  bespin.platform.redis_sentinel:
    sentinels: [10.0.1.10:26379, 10.0.2.10:26379, 10.0.3.10:26379]
    master_name: sessions
    master_host: 10.0.1.10
    master_port: 6379
    quorum: 2
    down_after_milliseconds: 5000
    failover_timeout: 60000
    parallel_syncs: 1
    auth_pass: "{{ redis_password }}"

- name: A new password reaches every Sentinel
  bespin.platform.redis_sentinel:
    sentinels: "{{ sentinel_addresses }}"
    master_name: sessions
    quorum: 2
    auth_pass: "{{ new_redis_password }}"
    auth_pass_update: always

- name: Stop monitoring an old set
  bespin.platform.redis_sentinel:
    sentinels: "{{ sentinel_addresses }}"
    master_name: old-sessions
    state: absent
"""

RETURN = r"""
sentinels:
  description: What each Sentinel was found with and what it was told.
  returned: always
  type: list
  elements: dict
  contains:
    address:
      description: The Sentinel, as V(host:port).
      type: str
      sample: 10.0.1.10:26379
    master:
      description: The master address the Sentinel reports after the run (empty when not monitored).
      type: str
      sample: 10.0.1.10:6379
    failed_over:
      description: Whether the Sentinel's master is a replica of O(master_host), promoted by a failover.
      type: bool
      sample: false
    commands:
      description: The commands sent (or, in check mode, to send), with the auth-pass masked.
      type: list
      elements: str
      sample: ["SENTINEL SET sessions down-after-milliseconds 5000"]
master:
  description: The master address the first Sentinel reports after the run.
  returned: when O(state=present)
  type: str
  sample: 10.0.1.10:6379
"""

import socket
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.bespin.platform.plugins.module_utils.redis_connection import (
    CONNECTION_ARGS,
    MASTER_NAME,
    RedisConnector,
    check_request,
    describe_error,
    pairs,
    parse_addresses,
    validate_connection,
)
from ansible_collections.bespin.platform.plugins.module_utils.redis_sentinel_plan import (
    RESEND_ALWAYS,
    current_settings,
    describe,
    plan,
    same_replication_group,
    sees_master_healthy,
)

# How long a Sentinel may take to talk to its master again after an auth-pass is sent.
AUTH_SETTLE_SECONDS = 15

try:
    import redis
except ImportError:  # reported through missing_required_lib
    redis = None


def argument_spec():
    spec = dict(CONNECTION_ARGS)
    spec.update(
        sentinels=dict(type="list", elements="str", required=True),
        master_name=dict(type="str", required=True),
        master_host=dict(type="str"),
        master_port=dict(type="int", default=6379),
        quorum=dict(type="int"),
        down_after_milliseconds=dict(type="int"),
        failover_timeout=dict(type="int"),
        parallel_syncs=dict(type="int"),
        auth_pass=dict(type="str", no_log=True),
        auth_pass_update=dict(type="str", choices=["auto", RESEND_ALWAYS], default="auto"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    return spec


def validate(params):
    """The first problem with the request, naming its field; None when there is none."""
    try:
        addresses = parse_addresses(params["sentinels"], "sentinels")
    except ValueError as exc:
        return str(exc)
    if not MASTER_NAME.match(params["master_name"]):
        return f"master_name: {params['master_name']!r} must be 1-128 letters, digits, dots, dashes or underscores"
    problem = validate_connection(params)
    if problem or params["state"] == "absent":
        return problem
    quorum = params["quorum"]
    if quorum is None:
        return "quorum: required with state=present"
    if quorum < 1:
        return f"quorum: must be at least 1, got {quorum}"
    if quorum > len(addresses):
        return f"quorum: {quorum} is larger than the number of sentinels ({len(addresses)}); no failover could start"
    if not 1 <= params["master_port"] <= 65535:
        return f"master_port: {params['master_port']} is not a port"
    for option in ("down_after_milliseconds", "failover_timeout"):
        if params[option] is not None and params[option] < 1:
            return f"{option}: must be at least 1 millisecond, got {params[option]}"
    if params["parallel_syncs"] is not None and params["parallel_syncs"] < 1:
        return f"parallel_syncs: must be at least 1, got {params['parallel_syncs']}"
    if params["auth_pass_update"] == RESEND_ALWAYS and not params["auth_pass"]:
        return "auth_pass: required with auth_pass_update=always"
    return None


class SentinelSet:
    """Reads every Sentinel, plans, then applies: nothing is sent before all are read."""

    def __init__(self, module, connector):
        self.module = module
        self.connector = connector
        self.params = module.params
        self.name = module.params["master_name"]
        given = module.params["sentinels"]
        # (the address as the user wrote it, its index, (host, port))
        addresses = parse_addresses(given, "sentinels")
        self.sentinels = [
            (text, index, address) for index, (text, address) in enumerate(zip(given, addresses, strict=True))
        ]
        self.clients = {}

    def read(self, sentinel):
        """(SENTINEL MASTER as a dict or None, SENTINEL REPLICAS as dicts) of one Sentinel."""
        text, index, address = sentinel
        client = self.clients.setdefault(text, self.connector.sentinel(*address))
        try:
            self.connector.call(client.ping)
            master = pairs(self.connector.call(lambda: client.execute_command("SENTINEL", "MASTER", self.name)))
            replicas = self.connector.call(lambda: client.execute_command("SENTINEL", "REPLICAS", self.name))
            return master, [pairs(replica) for replica in replicas]
        except redis.ResponseError as exc:
            if "No such master" in str(exc):
                return None, []
            self.module.fail_json(msg=f"sentinels[{index}]: {text} refused SENTINEL MASTER: {exc}")
        except redis.RedisError as exc:
            self.module.fail_json(msg=f"sentinels[{index}]: sentinel {text} is unreachable: {describe_error(exc)}")
        return None, []

    def wanted_address(self, masters):
        """The (ip, port) to monitor where the set is missing, or None when no Sentinel needs it."""
        if self.params["master_host"]:
            try:
                host = socket.gethostbyname(self.params["master_host"])
            except OSError:
                self.module.fail_json(msg=f"master_host: {self.params['master_host']!r} does not resolve")
            return host, self.params["master_port"]
        known = [master for master in masters if master is not None]
        if known:
            return known[0]["ip"], int(known[0]["port"])
        self.module.fail_json(
            msg=f"master_host: the master address is unknown: no listed sentinel monitors {self.name!r}; "
            "give master_host and master_port"
        )
        return None

    def check_master_answers(self, address):
        """Before a MONITOR: the address must be a Redis master that accepts the auth-pass."""
        node = self.connector.node(*address, password=self.params["auth_pass"] or self.params["password"])
        try:
            role = self.connector.call(lambda: node.execute_command("ROLE"))
        except redis.RedisError as exc:
            self.module.fail_json(
                msg=f"master_host: the master address {address[0]}:{address[1]} is unknown to Redis "
                f"(no answer: {describe_error(exc)})"
            )
        finally:
            node.close()
        if role[0] != "master":
            self.module.fail_json(msg=f"master_host: {address[0]}:{address[1]} is a {role[0]}, not a master")

    def run(self):
        present = self.params["state"] == "present"
        views = [(sentinel, *self.read(sentinel)) for sentinel in self.sentinels]
        address = self.wanted_address([view[1] for view in views]) if present else None
        results, before, after, pending = [], {}, {}, []
        for (text, _index, _address), master, replicas in views:
            if present:
                commands = plan(
                    master,
                    replicas,
                    self.params,
                    address,
                    bool(self.params["auth_pass"]),
                    self.params["auth_pass_update"],
                )
            else:
                commands = [("REMOVE", self.name)] if master is not None else []
            pending.append(commands)
            before[text] = current_settings(master) if master else {}
            failed_over = bool(
                master is not None
                and address is not None
                and (master["ip"], int(master["port"])) != address
                and same_replication_group(master, replicas, address)
            )
            results.append(dict(address=text, commands=describe(commands), failed_over=failed_over))
        if any(c[0] == "MONITOR" for commands in pending for c in commands):
            self.check_master_answers(address)
        changed = any(pending)
        if changed and not self.module.check_mode:
            for (sentinel, _master, _replicas), commands in zip(views, pending, strict=True):
                for command in commands:
                    self.send(sentinel, command)
        for (sentinel, _master, _replicas), commands, result in zip(views, pending, results, strict=True):
            text = sentinel[0]
            if self.module.check_mode or not commands:
                after[text] = predicted(before[text], commands, present, address)
            else:
                master = self.read(sentinel)[0]
                if master is not None and any("auth-pass" in command for command in commands):
                    master = self.settled(sentinel, master)
                after[text] = current_settings(master) if master else {}
            result["master"] = after[text].get("master", "")
        output = dict(changed=changed, sentinels=results)
        if present:
            output["master"] = results[0]["master"]
        if self.module._diff:
            output["diff"] = dict(before=before, after=after)
        self.module.exit_json(**output)

    def settled(self, sentinel, master):
        """The Sentinel's view once it talks to its master again, after an auth-pass was sent.

        Sentinel drops its links to apply a new auth-pass, and one read just after shows
        the set disconnected, which the next run would take for a wrong auth-pass and send
        it again. Waiting here makes the next run idempotent; a Sentinel still not talking
        after AUTH_SETTLE_SECONDS is reported as a warning (the master may be down)."""
        deadline = time.monotonic() + AUTH_SETTLE_SECONDS
        delay = 0.1
        while not sees_master_healthy(master) and time.monotonic() < deadline:
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
            master = self.read(sentinel)[0] or master
        if not sees_master_healthy(master):
            self.module.warn(
                f"sentinels[{sentinel[1]}]: {sentinel[0]} does not talk to its master {AUTH_SETTLE_SECONDS} s "
                f"after the auth-pass was sent (flags {master.get('flags', '')}); a wrong auth-pass or a master "
                "that is down shows this way, and the next run sends the auth-pass again"
            )
        return master

    def send(self, sentinel, command):
        text, index = sentinel[:2]
        arguments = [self.params["auth_pass"] if part is None else part for part in command]
        try:
            self.connector.call(lambda: self.clients[text].execute_command("SENTINEL", *arguments))
        except redis.RedisError as exc:
            self.module.fail_json(
                msg=f"sentinels[{index}]: {text} refused SENTINEL {command[0]} {self.name}: {describe_error(exc)}"
            )


def predicted(before, commands, present, address):
    """The settings a Sentinel will have after `commands` (check mode)."""
    if not present:
        return {}
    view = {} if any(c[0] == "REMOVE" for c in commands) else dict(before)
    for command in commands:
        if command[0] == "MONITOR":
            view = dict(master=f"{address[0]}:{address[1]}", quorum=int(command[4]))
        if command[0] == "SET":
            for setting, value in zip(command[2::2], command[3::2], strict=True):
                if value is not None:
                    view[setting.replace("-", "_")] = int(value)
    return view


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    check_request(module, validate)
    SentinelSet(module, RedisConnector(module.params)).run()


if __name__ == "__main__":
    main()
