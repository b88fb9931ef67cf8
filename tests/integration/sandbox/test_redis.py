"""The sandbox's Redis: a password-protected primary and replica that three sentinels watch."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import redis
from redis.sentinel import Sentinel

from bespin_sandbox.services.redis import RedisService, request_failover

pytestmark = pytest.mark.sandbox
# Sentinel demotes a reachable old master ~8 s after the failover (four publish periods).
DEMOTION_TIMEOUT = 30


@pytest.fixture(scope="module")
def password(sandbox):
    return Path(os.environ["BESPIN_REDIS_PASSWORD_FILE"]).read_text().strip()


@pytest.fixture(scope="module")
def sentinel_addresses(sandbox):
    return [(host, int(port)) for host, port in (a.split(":") for a in os.environ["BESPIN_REDIS_SENTINELS"].split(","))]


@pytest.fixture(scope="module")
def sentinel(sentinel_addresses, password):
    return Sentinel(sentinel_addresses, socket_timeout=2, password=None, sentinel_kwargs={"socket_timeout": 2})


@pytest.fixture(scope="module")
def ports(sandbox):
    primary = int(os.environ["BESPIN_REDIS_PORT"])
    return primary, sandbox.layout.redis_ports[1]


def node(port: int, password: str) -> redis.Redis:
    return redis.Redis("127.0.0.1", port, password=password, socket_timeout=2, decode_responses=True)


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_every_sentinel_answers_the_primary(sentinel_addresses, ports):
    assert os.environ["BESPIN_REDIS_MASTER_NAME"] == "mymaster"
    for host, port in sentinel_addresses:
        sentinel = redis.Redis(host, port, socket_timeout=2, decode_responses=True)
        assert sentinel.sentinel_get_master_addr_by_name("mymaster") == ("127.0.0.1", ports[0])


def test_a_write_on_the_master_reaches_the_replica(sentinel, password, ports):
    master = sentinel.master_for("mymaster", password=password, socket_timeout=2, decode_responses=True)
    master.set("greeting", "hello")
    replica = node(ports[1], password)
    assert replica.info("replication")["role"] == "slave"
    wait_until(lambda: replica.get("greeting") == "hello", 5, "the replica to receive the write")


def test_the_password_is_required(ports):
    with pytest.raises(redis.AuthenticationError):
        redis.Redis("127.0.0.1", ports[0], socket_timeout=2).ping()
    with pytest.raises(redis.AuthenticationError):
        redis.Redis("127.0.0.1", ports[0], password="wrong", socket_timeout=2).ping()  # noqa: S106


def test_the_password_file_is_private(sandbox):
    assert Path(os.environ["BESPIN_REDIS_PASSWORD_FILE"]).stat().st_mode & 0o077 == 0


def test_a_forced_failover_promotes_the_replica_and_reset_restores_it(sandbox, sentinel_addresses, password, ports):
    primary, replica = ports
    first_sentinel = redis.Redis(*sentinel_addresses[0], socket_timeout=2, decode_responses=True)
    try:
        request_failover(first_sentinel, timeout=30)
        wait_until(
            lambda: first_sentinel.sentinel_get_master_addr_by_name("mymaster") == ("127.0.0.1", replica),
            10,
            "the replica's promotion",
        )
        assert node(replica, password).info("replication")["role"] == "master"
        wait_until(
            lambda: node(primary, password).info("replication").get("master_port") == replica,
            DEMOTION_TIMEOUT,
            "Sentinel to make the old primary a replica",
        )
    finally:
        RedisService(sandbox.layout).reset(sandbox.topology())
    assert first_sentinel.sentinel_get_master_addr_by_name("mymaster") == ("127.0.0.1", primary)
    assert node(replica, password).info("replication")["master_port"] == primary
