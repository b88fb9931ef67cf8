"""The sandbox's Redis as tests see it: addresses, password, and how many writes a run sent.

Redis keeps no journal the sandbox could read, so writes are counted from each
server's INFO commandstats: the calls of every command that changes data or
configuration, summed over the data nodes and the Sentinels.
"""

from __future__ import annotations

import os
from pathlib import Path

import redis

WRITE_COMMANDS = {
    "hset", "set", "del", "unlink", "expire", "pexpire", "flushall", "flushdb",
    "config|set", "config|rewrite", "replicaof", "acl|setuser",
    "sentinel|set", "sentinel|monitor", "sentinel|remove", "sentinel|failover", "sentinel|reset",
}  # fmt: skip


def password() -> str:
    return Path(os.environ["BESPIN_REDIS_PASSWORD_FILE"]).read_text().strip()


def sentinels() -> list[str]:
    return os.environ["BESPIN_REDIS_SENTINELS"].split(",")


def sentinel_client(address: str) -> redis.Redis:
    host, port = address.rsplit(":", 1)
    return redis.Redis(host, int(port), socket_timeout=2, decode_responses=True)


def node(port: int) -> redis.Redis:
    return redis.Redis("127.0.0.1", port, password=password(), socket_timeout=2, decode_responses=True)


def master_port(name: str = "mymaster") -> int:
    return int(sentinel_client(sentinels()[0]).sentinel_get_master_addr_by_name(name)[1])


def write_calls(data_ports: list[int]) -> int:
    """Write commands served so far by these data nodes and by every Sentinel."""
    clients = [node(port) for port in data_ports] + [sentinel_client(a) for a in sentinels()]
    total = 0
    for client in clients:
        for name, stats in client.info("commandstats").items():
            if name.removeprefix("cmdstat_") in WRITE_COMMANDS:
                total += int(stats["calls"])
    return total
