# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one Sentinel must be told so that it monitors a master set as asked.

Pure logic, no I/O: the module reads each Sentinel's `SENTINEL MASTER` and
`SENTINEL REPLICAS` replies and this file turns them, with the wanted settings,
into the commands to send. `SENTINEL MONITOR` errors on a name it already
monitors, so a set is created only when missing, re-created only when it points
at a different replication group, and otherwise adjusted with `SENTINEL SET`.
"""

# Module option -> Sentinel's own name for the setting, in the order they are sent.
SETTINGS = (
    ("quorum", "quorum"),
    ("down_after_milliseconds", "down-after-milliseconds"),
    ("failover_timeout", "failover-timeout"),
    ("parallel_syncs", "parallel-syncs"),
)
# auth_pass_update's value that sends the auth-pass on every run.
RESEND_ALWAYS = "always"
# Sentinel asks the master for INFO every 10 s; a view older than three of those
# means it is not getting answers (a wrong auth-pass shows first as this).
STALE_INFO_MS = 30000


def current_settings(master):
    """The comparable settings of a `SENTINEL MASTER` reply (a dict of strings)."""
    view = {option: int(master[name]) for option, name in SETTINGS}
    view["master"] = f"{master['ip']}:{master['port']}"
    return view


def sees_master_healthy(master):
    """Whether this Sentinel is currently talking to its master: not down, not
    disconnected, with a recent INFO. Sentinel never shows its auth-pass, so this
    is the evidence that the one it holds works."""
    flags = set(master.get("flags", "").split(","))
    if flags & {"s_down", "o_down", "disconnected"}:
        return False
    return int(master.get("info-refresh", STALE_INFO_MS + 1)) <= STALE_INFO_MS


def same_replication_group(master, replicas, address):
    """Whether `address` (host, port) is the Sentinel's master or one of its replicas:
    after a failover the master Sentinel reports is the promoted replica, and that
    is not a reason to re-create the set."""
    host, port = address
    if (master["ip"], int(master["port"])) == (host, port):
        return True
    return any((replica["ip"], int(replica["port"])) == (host, port) for replica in replicas)


def plan(master, replicas, wanted, address, auth_pass_given, auth_pass_update):
    """The commands for one Sentinel, as a list of argument tuples after `SENTINEL`.

    `master` is the `SENTINEL MASTER` reply (None when the name is not monitored),
    `replicas` its `SENTINEL REPLICAS` reply, `wanted` the settings asked for (None
    values are left alone), `address` the (ip, port) to monitor when creating.
    """
    name = wanted["master_name"]
    if master is not None and address is not None and not same_replication_group(master, replicas, address):
        return [("REMOVE", name), *plan(None, [], wanted, address, auth_pass_given, auth_pass_update)]
    commands = []
    if master is None:
        commands.append(("MONITOR", name, address[0], str(address[1]), str(wanted["quorum"])))
        current = {"quorum": wanted["quorum"]}
    else:
        current = current_settings(master)
    changes = []
    for option, setting in SETTINGS:
        if wanted.get(option) is not None and current.get(option) != wanted[option]:
            changes.extend([setting, str(wanted[option])])
    resend = master is None or auth_pass_update == RESEND_ALWAYS or not sees_master_healthy(master)
    if auth_pass_given and resend:
        changes.extend(["auth-pass", None])  # the module fills the secret in at send time
    if changes:
        commands.append(("SET", name, *changes))
    return commands


def describe(commands):
    """The commands as text for the result, with the auth-pass masked."""
    return [" ".join("********" if part is None else part for part in ("SENTINEL", *command)) for command in commands]
