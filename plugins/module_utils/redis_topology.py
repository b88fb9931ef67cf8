# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a Redis session store's master, replicas and Sentinels are, as they report it.

Shared by the session check and the failover drill: both must find the master
the way an application does (ask the Sentinels), and both report the topology.
"""

from ansible_collections.bespin.platform.plugins.module_utils.redis_connection import describe_error, pairs

try:
    import redis
except ImportError:  # the modules report the missing library
    redis = None


class TopologyError(Exception):
    """The master cannot be found; the message names the option to look at."""


def ask_sentinels(connector, sentinels, master_name):
    """Every reachable Sentinel's view of `master_name`.

    Returns a dict: master (host, port) as most Sentinels report it, agree (whether
    they all report the same one), quorum, replicas (as the first reachable Sentinel
    lists them), sentinels (each address with reachable and the master it reports),
    ckquorum (SENTINEL CKQUORUM's answer). Raises TopologyError when none answers.
    """
    views, rows = [], []
    for text, address in sentinels:
        client = connector.sentinel(*address)
        try:
            master = pairs(connector.call(lambda c=client: c.execute_command("SENTINEL", "MASTER", master_name)))
            views.append((client, master))
            rows.append(dict(address=text, reachable=True, master=f"{master['ip']}:{master['port']}"))
        except redis.ResponseError as exc:
            rows.append(dict(address=text, reachable=True, master="", error=str(exc)))
        except redis.RedisError as exc:
            rows.append(dict(address=text, reachable=False, master="", error=describe_error(exc)))
    if not views:
        problems = "; ".join(f"{row['address']}: {row['error']}" for row in rows)
        raise TopologyError(f"sentinels: no sentinel knows the master set {master_name!r} ({problems})")
    reported = [row["master"] for row in rows if row["master"]]
    most = max(set(reported), key=reported.count)
    client, master = next((c, m) for c, m in views if f"{m['ip']}:{m['port']}" == most)
    replicas = [pairs(r) for r in connector.call(lambda: client.execute_command("SENTINEL", "REPLICAS", master_name))]
    try:
        ckquorum = connector.call(lambda: client.execute_command("SENTINEL", "CKQUORUM", master_name))
    except redis.ResponseError as exc:
        ckquorum = str(exc)
    host, port = most.rsplit(":", 1)
    return dict(
        master=(host, int(port)),
        agree=len(set(reported)) == 1 and len(reported) == len(rows),
        quorum=int(master["quorum"]),
        flags=master.get("flags", ""),
        replicas=[
            dict(address=f"{r['ip']}:{r['port']}", flags=r.get("flags", ""), link=r.get("master-link-status", ""))
            for r in replicas
        ],
        sentinels=rows,
        ckquorum=ckquorum if isinstance(ckquorum, str) else str(ckquorum),
    )


def replicas_of(info):
    """The replicas a master's INFO replication lists, as dicts with address, state, offset, lag."""
    rows = []
    for index in range(int(info.get("connected_slaves", 0))):
        entry = info.get(f"slave{index}")
        if isinstance(entry, dict):
            rows.append(
                dict(
                    address=f"{entry.get('ip')}:{entry.get('port')}",
                    state=entry.get("state", ""),
                    offset=int(entry.get("offset", 0)),
                    lag=int(entry.get("lag", 0)),
                )
            )
    return rows


def split_address(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)
