"""Redis with Sentinel: a password-protected primary, one replica and three sentinels.

The real Debian ``redis-server`` and ``redis-sentinel`` on loopback, as the
ElastiCache-like cache the applications use through Sentinel discovery.
Sentinels and, after a failover, the data nodes rewrite their own config files,
so a config is generated only while its process is not running: a running
instance's file is its state and is never overwritten.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

import redis

from ..layout import LOOPBACK
from ..processes import Daemon
from ..topology import Topology
from .base import Component, Service

MASTER_NAME = "mymaster"
REDIS_SERVER = "/usr/bin/redis-server"
REDIS_SENTINEL = "/usr/bin/redis-sentinel"
QUORUM = 2
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 10000
SEED_TIMEOUT = 30.0
# A failover promotes in about a second; the demoted node then resyncs.
FAILOVER_WAIT = 30.0
# All the tries of the failover back to the primary that `sandbox reset` makes.
FAILOVER_BACK_TIMEOUT = 120.0


class RedisError(RuntimeError):
    pass


class RedisService(Service):
    name = "redis"

    @property
    def directory(self) -> Path:
        return self.layout.root / "redis"

    @property
    def password_file(self) -> Path:
        return self.directory / "password"

    @property
    def primary_port(self) -> int:
        return self.layout.redis_ports[0]

    @property
    def replica_port(self) -> int:
        return self.layout.redis_ports[1]

    # Service ----------------------------------------------------------------------

    def prepare(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        # Sentinels rewrite their configs (which hold the password) with the default umask.
        self.directory.chmod(0o700)
        if not self.password_file.exists():
            _write_private(self.password_file, secrets.token_urlsafe(24))
        password = self.password()
        for name, port, replica_of in [
            ("redis-primary", self.primary_port, None),
            ("redis-replica", self.replica_port, self.primary_port),
        ]:
            if not self._running(name):
                _write_private(self._config(name), self._server_config(name, port, password, replica_of))
        for name, port in self._sentinels():
            if not self._running(name):
                _write_private(self._config(name), self._sentinel_config(port, password))

    def components(self) -> list[Component]:
        data_nodes = [
            Component(name, [REDIS_SERVER, str(self._config(name))], self._pings(port, auth=True), _url(port))
            for name, port in [("redis-primary", self.primary_port), ("redis-replica", self.replica_port)]
        ]
        sentinels = [
            Component(name, [REDIS_SENTINEL, str(self._config(name))], self._pings(port, auth=False), _url(port))
            for name, port in self._sentinels()
        ]
        return data_nodes + sentinels

    def seed(self, topology: Topology, log: Callable[[str], None]) -> None:
        started = time.monotonic()
        self.wait_for_topology(SEED_TIMEOUT)
        log(f"redis: three sentinels see master and replica after {time.monotonic() - started:.1f}s")

    def reset(self, topology: Topology) -> int:
        """Empty the data and, after a failover, make redis_ports[0] the primary again."""
        if self.master_port() != self.primary_port:
            self._failover_back()
        master = self.client(self.master_port())
        removed = master.dbsize()
        master.flushall()
        return removed

    def env(self) -> dict[str, str]:
        return {
            "BESPIN_REDIS_PASSWORD_FILE": str(self.password_file),
            "BESPIN_REDIS_SENTINELS": ",".join(f"{LOOPBACK}:{port}" for _, port in self._sentinels()),
            "BESPIN_REDIS_MASTER_NAME": MASTER_NAME,
            "BESPIN_REDIS_HOST": LOOPBACK,
            "BESPIN_REDIS_PORT": str(self.primary_port),
        }

    # Clients ----------------------------------------------------------------------

    def password(self) -> str:
        return self.password_file.read_text().strip()

    def client(self, port: int) -> redis.Redis:
        return redis.Redis(LOOPBACK, port, password=self.password(), socket_timeout=2, decode_responses=True)

    def sentinel(self, index: int = 0) -> redis.Redis:
        return redis.Redis(LOOPBACK, self.layout.sentinel_ports[index], socket_timeout=2, decode_responses=True)

    def master_port(self) -> int:
        """The port of the current master, as the first sentinel reports it."""
        _, port = self.sentinel().sentinel_get_master_addr_by_name(MASTER_NAME)
        return int(port)

    def wait_for_topology(self, timeout: float) -> None:
        """Until every sentinel agrees on the master and lists the other node as its replica, in sync."""
        deadline = time.monotonic() + timeout
        while not self._topology_settled():
            if time.monotonic() > deadline:
                raise RedisError(f"redis: sentinels did not agree on {MASTER_NAME} within {timeout:.0f}s")
            time.sleep(0.2)

    # Helpers ----------------------------------------------------------------------

    def _topology_settled(self) -> bool:
        try:
            masters = set()
            for index in range(len(self.layout.sentinel_ports)):
                sentinel = self.sentinel(index)
                _, port = sentinel.sentinel_get_master_addr_by_name(MASTER_NAME)
                masters.add(int(port))
                replicas = sentinel.sentinel_slaves(MASTER_NAME)
                if not any(r["port"] != port and "s_down" not in r["flags"] for r in replicas):
                    return False
                # Each sentinel must also know the two others, or it could not reach a quorum.
                if len(sentinel.sentinel_sentinels(MASTER_NAME)) < len(self.layout.sentinel_ports) - 1:
                    return False
            if len(masters) != 1:
                return False
            (master,) = masters
            other = self.replica_port if master == self.primary_port else self.primary_port
            info = self.client(other).info("replication")
            return info["role"] == "slave" and info["master_port"] == master and info["master_link_status"] == "up"
        except (redis.RedisError, OSError, TypeError):
            return False

    def _failover_back(self) -> None:
        # On a loaded machine the node being promoted can take longer than the
        # failover timeout to report its new role, and Sentinel aborts the
        # failover (-failover-abort-slave-timeout): it is asked again until the
        # overall deadline, not given up after one try.
        deadline = time.monotonic() + FAILOVER_BACK_TIMEOUT
        while True:
            self.wait_for_topology(FAILOVER_WAIT)  # a failover needs an in-sync replica to promote
            request_failover(self.sentinel(), max(1.0, deadline - time.monotonic()))
            attempt_ends = min(deadline, time.monotonic() + FAILOVER_WAIT)
            while self.master_port() != self.primary_port and time.monotonic() < attempt_ends:
                time.sleep(0.2)
            if self.master_port() == self.primary_port:
                break
            if time.monotonic() >= deadline:
                raise RedisError("redis: the failover back to the primary did not complete")
        # Sentinel demotes the old master only after ~8 s of seeing it report the wrong role;
        # telling it what Sentinel is about to tell it saves that wait.
        self.client(self.replica_port).replicaof(LOOPBACK, self.primary_port)
        self.wait_for_topology(FAILOVER_WAIT)

    def _sentinels(self) -> list[tuple[str, int]]:
        return [(f"redis-sentinel-{i}", port) for i, port in enumerate(self.layout.sentinel_ports, start=1)]

    def _config(self, name: str) -> Path:
        return self.directory / f"{name}.conf"

    def _running(self, name: str) -> bool:
        return Daemon(name, self.layout.run_dir, self.layout.log_dir).pid() is not None

    def _pings(self, port: int, auth: bool) -> Callable[[], bool]:
        def ping() -> bool:
            connection = self.client(port) if auth else redis.Redis(LOOPBACK, port, socket_timeout=1)
            try:
                return bool(connection.ping())
            except (redis.RedisError, OSError):
                return False
            finally:
                connection.close()

        return ping

    def _server_config(self, name: str, port: int, password: str, replica_of: int | None) -> str:
        data = self.directory / name
        data.mkdir(exist_ok=True)
        lines = [
            *_common(port),
            f"dir {data}",
            'save ""',
            "appendonly no",
            # A replica syncs at once instead of after the default 5 s wait for more replicas.
            "repl-diskless-sync-delay 0",
            f"requirepass {password}",
            # Both nodes carry masterauth: after a failover the primary replicates from the replica.
            f"masterauth {password}",
        ]
        if replica_of:
            lines.append(f"replicaof {LOOPBACK} {replica_of}")
        return "\n".join(lines) + "\n"

    def _sentinel_config(self, port: int, password: str) -> str:
        lines = [
            *_common(port),
            f"dir {self.directory}",
            f"sentinel monitor {MASTER_NAME} {LOOPBACK} {self.primary_port} {QUORUM}",
            f"sentinel auth-pass {MASTER_NAME} {password}",
            f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}",
            f"sentinel failover-timeout {MASTER_NAME} {FAILOVER_TIMEOUT_MS}",
            f"sentinel parallel-syncs {MASTER_NAME} 1",
        ]
        return "\n".join(lines) + "\n"


def _common(port: int) -> list[str]:
    return [f"port {port}", f"bind {LOOPBACK}", "protected-mode no", "daemonize no", 'logfile ""']


def _url(port: int) -> str:
    return f"redis://{LOOPBACK}:{port}"


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def request_failover(sentinel: redis.Redis, timeout: float) -> None:
    """SENTINEL FAILOVER, retried while Sentinel answers NOGOODSLAVE (it judges the
    replica from INFO it refreshes every 10 s, so just after a role change it may not
    count the replica as promotable yet) or INPROG (a failover still under way)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            sentinel.sentinel_failover(MASTER_NAME)
            return
        except redis.ResponseError as exc:
            # INPROG: an aborted failover is still being cleaned up.
            if not ("NOGOODSLAVE" in str(exc) or "INPROG" in str(exc)) or time.monotonic() > deadline:
                raise
            time.sleep(0.5)
