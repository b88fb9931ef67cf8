# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connections to Redis data nodes and Sentinels: options, addresses, auth, TLS, retries.

redis-py does the protocol; this file only turns the modules' shared options
into clients and decides which errors are worth another try (a failover in
progress answers LOADING, MASTERDOWN or TRYAGAIN, or drops the connection).
"""

import re

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.bespin.platform.plugins.module_utils.backoff import RetryPolicy

try:
    import redis

    REDIS_IMPORT_ERROR = None
except ImportError as exc:  # reported by the module through missing_required_lib
    redis = None
    REDIS_IMPORT_ERROR = exc

# What the shared doc fragment bespin.platform.redis documents.
CONNECTION_ARGS = dict(
    password=dict(type="str", no_log=True),
    username=dict(type="str"),
    sentinel_password=dict(type="str", no_log=True),
    tls=dict(type="bool", default=False),
    tls_ca_cert=dict(type="path"),
    tls_validate_certs=dict(type="bool", default=True),
    connect_timeout=dict(type="float", default=5.0),
)

# host:port, the host a DNS name, IPv4 address or bracketed IPv6 address.
ADDRESS = re.compile(
    r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(?P<port>[0-9]{1,5})$"
)
MASTER_NAME = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
# Answers a node gives while a failover or a resync is under way.
TRANSIENT_REPLIES = ("LOADING", "MASTERDOWN", "TRYAGAIN", "BUSY", "READONLY")


def parse_address(text, field):
    """(host, port) from 'host:port'; raises ValueError naming `field`."""
    match = ADDRESS.match(text.strip()) if isinstance(text, str) else None
    if not match or not 1 <= int(match.group("port")) <= 65535:
        raise ValueError(f"{field}: {text!r} is not a host:port address")
    return match.group("host").strip("[]"), int(match.group("port"))


def parse_addresses(texts, field):
    if not texts:
        raise ValueError(f"{field}: give at least one host:port address")
    addresses = [parse_address(text, f"{field}[{index}]") for index, text in enumerate(texts)]
    if len(set(addresses)) != len(addresses):
        raise ValueError(f"{field}: an address is listed twice")
    return addresses


def check_request(module, validate):
    """Fail before any connection when redis-py is missing or `validate(params)` finds a problem."""
    if REDIS_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("redis"), exception=str(REDIS_IMPORT_ERROR))
    problem = validate(module.params)
    if problem:
        module.fail_json(msg=problem)


def validate_connection(params):
    """The first problem with the shared connection options, naming the field; None if none."""
    if params["connect_timeout"] <= 0:
        return f"connect_timeout: must be more than 0 seconds, got {params['connect_timeout']}"
    if params.get("tls_ca_cert") and not params["tls"]:
        return "tls_ca_cert: only used with tls=true"
    return None


class RedisConnector:
    """Makes clients for data nodes and Sentinels from the modules' shared options."""

    def __init__(self, params, retry=None):
        self.params = params
        self.retry = retry or RetryPolicy(attempts=6, base_delay=0.2, max_delay=3.0)

    def _tls(self):
        if not self.params["tls"]:
            return {}
        return dict(
            ssl=True,
            ssl_ca_certs=self.params.get("tls_ca_cert"),
            ssl_cert_reqs="required" if self.params["tls_validate_certs"] else "none",
            ssl_check_hostname=self.params["tls_validate_certs"],
        )

    def node(self, host, port, password=None):
        """A client of one data node, authenticated as the options say (or with `password`)."""
        return redis.Redis(
            host,
            port,
            username=self.params.get("username"),
            password=password or self.params.get("password"),
            socket_timeout=self.params["connect_timeout"],
            socket_connect_timeout=self.params["connect_timeout"],
            decode_responses=True,
            **self._tls(),
        )

    def sentinel(self, host, port):
        """A client of one Sentinel (its own password, if it has one)."""
        return redis.Redis(
            host,
            port,
            password=self.params.get("sentinel_password"),
            socket_timeout=self.params["connect_timeout"],
            socket_connect_timeout=self.params["connect_timeout"],
            decode_responses=True,
            **self._tls(),
        )

    def call(self, function):
        """`function()` retried with backoff while the answer is transient."""
        return self.retry.call(function, classify_transient)


def classify_transient(exc):
    """0.0 (retry, no hint) for a dropped connection or a failover-time answer; None otherwise."""
    if redis is None:
        return None
    if isinstance(exc, (redis.AuthenticationError, redis.exceptions.AuthorizationError)):
        return None
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError)):
        return 0.0
    if isinstance(exc, redis.ResponseError) and str(exc).split(" ", 1)[0] in TRANSIENT_REPLIES:
        return 0.0
    return None


def describe_error(exc):
    """A short, secret-free description of a redis-py error."""
    if redis is not None and isinstance(exc, redis.AuthenticationError):
        return "authentication failed (wrong password or user)"
    return f"{type(exc).__name__}: {exc}"


def pairs(reply):
    """A SENTINEL MASTER-style reply as a dict of strings: redis-py hands RESP3 maps
    over as dicts and RESP2 ones as flat [key, value, ...] lists."""
    if isinstance(reply, dict):
        return {key: str(value) for key, value in reply.items()}
    return dict(zip(reply[0::2], reply[1::2], strict=True))
