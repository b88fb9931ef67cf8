"""A fault-injecting proxy in front of kube-apiserver.

Users' clients (kubectl, helm, the Python client, kubernetes.core) reach the
apiserver through this proxy, so ``sandbox faults set kubernetes ...`` can make
a known share of their requests fail (429, 500, 503, a reset connection, added
latency) while the control plane keeps talking to the apiserver directly.

It terminates TLS with the apiserver's own serving certificate, verifies the
client certificate against the sandbox CA, and forwards the request over a
pooled keep-alive connection authenticated with the front-proxy certificate,
naming the caller in ``X-Remote-User``/``X-Remote-Group``: the apiserver's
request-header authentication, which is how Kubernetes trusts an
authenticating proxy. Clients without a certificate (bearer tokens) are
forwarded over connections that present none, so the apiserver checks their
token itself. Streaming responses (watches, followed logs) are relayed as they
arrive; upgrades (exec, attach, port-forward) become a two-way byte pipe.

HTTP/1.1 is hand-framed with h11 (the sans-I/O parser httpx uses): no
maintained library proxies HTTP with per-request decisions and upgrades.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import socket
import ssl
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import h11

from .faults import LATENCY_SECONDS, FaultPlan

HEALTH_PATH = b"/bespin-kube-proxy/healthz"
READ_SIZE = 65536
IDLE_TIMEOUT = 300.0
# Hop-by-hop headers (RFC 9110 7.6.1) and the request-header identity, which only this proxy may set.
_HOP_BY_HOP = {
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"proxy-authenticate",
    b"proxy-authorization",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
}
_IDENTITY_HEADERS = (b"x-remote-user", b"x-remote-group", b"x-remote-extra-")
# What the "conflict" fault's concurrent writer changes.
CONCURRENT_WRITE_ANNOTATION = "sandbox.bespin.io/concurrent-write"
_FAULT_RESPONSES = {
    "throttling": (429, "TooManyRequests", "the sandbox throttled this request (fault injection)"),
    "error500": (500, "InternalError", "the sandbox failed this request (fault injection)"),
    "error503": (503, "ServiceUnavailable", "the sandbox made the apiserver unavailable (fault injection)"),
}


class UpstreamClosed(ConnectionError):
    """The apiserver closed a pooled connection before answering: safe to retry once."""


@dataclass(frozen=True)
class Identity:
    user: str
    groups: tuple[str, ...]

    @classmethod
    def from_peercert(cls, peercert: dict | None) -> Identity | None:
        if not peercert:
            return None
        attributes = [attribute for rdn in peercert.get("subject", ()) for attribute in rdn]
        users = [value for key, value in attributes if key == "commonName"]
        groups = tuple(value for key, value in attributes if key == "organizationName")
        return cls(users[0], groups) if users else None

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"X-Remote-User", self.user.encode()), *((b"X-Remote-Group", g.encode()) for g in self.groups)]


# The "conflict" fault's concurrent writer: the sandbox's own identity, kept out of write accounting.
CONCURRENT_WRITER = Identity("system:bespin-sandbox", ("system:masters",))


@dataclass
class Upstream:
    """One connection to the apiserver, reusable between requests."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    http: h11.Connection
    reused: bool = False

    def usable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()


class Pool:
    """Idle keep-alive connections to the apiserver, one pool per TLS client identity."""

    def __init__(self, host: str, port: int, proxy_context: ssl.SSLContext, anonymous_context: ssl.SSLContext):
        self.host, self.port = host, port
        self.contexts = {True: proxy_context, False: anonymous_context}
        self.idle: dict[bool, list[Upstream]] = {True: [], False: []}

    async def get(self, as_proxy: bool) -> Upstream:
        idle = self.idle[as_proxy]
        while idle:
            upstream = idle.pop()
            if upstream.usable():
                upstream.reused = True
                return upstream
            upstream.close()
        reader, writer = await asyncio.open_connection(
            self.host, self.port, ssl=self.contexts[as_proxy], server_hostname=self.host, limit=READ_SIZE
        )
        return Upstream(reader, writer, h11.Connection(h11.CLIENT))

    def put(self, as_proxy: bool, upstream: Upstream) -> None:
        if upstream.http.our_state is h11.DONE and upstream.http.their_state is h11.DONE and upstream.usable():
            upstream.http.start_next_cycle()
            self.idle[as_proxy].append(upstream)
        else:
            upstream.close()


class Client:
    """One client connection: requests in order, each either failed on purpose or forwarded."""

    def __init__(self, reader, writer, pool: Pool, faults: FaultPlan):
        self.reader, self.writer = reader, writer
        self.pool, self.faults = pool, faults
        self.http = h11.Connection(h11.SERVER)
        self.identity = Identity.from_peercert(writer.get_extra_info("peercert"))

    async def serve(self) -> None:
        try:
            while True:
                request = await self._next_request()
                if request is None:
                    return
                body = await self._read_body()
                if request.target == HEALTH_PATH:
                    self._answer(200, b"ok", [(b"Content-Type", b"text/plain")])
                else:
                    outcome = await self._inject_fault(request)
                    if outcome == "reset" or (outcome == "forward" and not await self._forward(request, body)):
                        return  # reset on purpose, upgraded, or the client went away mid-response
                await self.writer.drain()
                if self.http.our_state is not h11.DONE or self.http.their_state is not h11.DONE:
                    return
                self.http.start_next_cycle()
        except (ConnectionError, TimeoutError, h11.ProtocolError, ssl.SSLError, OSError):
            pass
        finally:
            self.writer.close()

    # Reading the request --------------------------------------------------------------

    async def _event(self):
        while (event := self.http.next_event()) is h11.NEED_DATA:
            if self.http.they_are_waiting_for_100_continue:
                self._send(h11.InformationalResponse(status_code=100, headers=[]))
                await self.writer.drain()
            self.http.receive_data(await asyncio.wait_for(self.reader.read(READ_SIZE), IDLE_TIMEOUT))
        return event

    async def _next_request(self) -> h11.Request | None:
        event = await self._event()
        return event if isinstance(event, h11.Request) else None

    async def _read_body(self) -> bytes:
        # Request bodies are buffered (Kubernetes objects, at most a few MB) so that a request
        # sent on a pooled connection the apiserver had just closed can be sent again.
        chunks = []
        while isinstance(event := await self._event(), h11.Data):
            chunks.append(event.data)
        if not isinstance(event, h11.EndOfMessage):
            raise ConnectionError("the client closed the connection mid-request")
        return b"".join(chunks)

    # Faults ---------------------------------------------------------------------------

    async def _inject_fault(self, request: h11.Request) -> str:
        """Apply the planned fault: "forward" the request (perhaps late), "reset", or "answered"."""
        fault = self.faults.decide(f"{request.method.decode()} {request.target.decode()}")
        if fault is None:
            return "forward"
        print(f"fault {fault}: {request.method.decode()} {request.target.decode()}", flush=True)
        if fault == "latency":
            await asyncio.sleep(LATENCY_SECONDS)
            return "forward"
        if fault == "reset":
            self._reset()
            return "reset"
        if fault == "conflict":
            if request.method in (b"PATCH", b"PUT"):
                await self._write_concurrently(request)
            return "forward"
        code, reason, message = _FAULT_RESPONSES[fault]
        status = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        }
        headers = [(b"Content-Type", b"application/json")]
        if fault == "throttling":
            headers.append((b"Retry-After", b"1"))
        self._answer(code, json.dumps(status).encode(), headers)
        return "answered"

    async def _write_concurrently(self, request: h11.Request) -> None:
        """Change the object this write is about just before it arrives, as another controller would:
        a write guarded by metadata.resourceVersion then meets the apiserver's own 409 Conflict."""
        path = request.target.split(b"?", 1)[0].removesuffix(b"/status")
        body = json.dumps({"metadata": {"annotations": {CONCURRENT_WRITE_ANNOTATION: str(time.time_ns())}}}).encode()
        host = next((value for name, value in request.headers if name.lower() == b"host"), b"kubernetes")
        headers = [
            (b"Host", host),
            (b"Content-Type", b"application/merge-patch+json"),
            (b"Content-Length", str(len(body)).encode()),
            *CONCURRENT_WRITER.headers(),
        ]
        upstream = await self.pool.get(as_proxy=True)
        try:
            http = upstream.http
            upstream.writer.write(http.send(h11.Request(method=b"PATCH", target=path, headers=headers)))
            upstream.writer.write(http.send(h11.Data(data=body)) + http.send(h11.EndOfMessage()))
            await upstream.writer.drain()
            while not isinstance(await _upstream_event(upstream), h11.EndOfMessage):
                pass
        except BaseException:
            upstream.close()
            raise
        self.pool.put(True, upstream)

    def _reset(self) -> None:
        """Close with a TCP RST and no response, as a crashed load balancer would."""
        sock = self.writer.get_extra_info("socket")
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()

    # Forwarding -----------------------------------------------------------------------

    async def _forward(self, request: h11.Request, body: bytes) -> bool:
        """Relay the request and its response; False when the connection cannot serve another."""
        as_proxy = self.identity is not None
        upstream = await self.pool.get(as_proxy)
        try:
            try:
                response = await self._send_upstream(upstream, request, body)
            except UpstreamClosed:
                if not upstream.reused:
                    raise
                upstream.close()
                upstream = await self.pool.get(as_proxy)
                response = await self._send_upstream(upstream, request, body)
            if isinstance(response, h11.InformationalResponse):
                await self._switch_protocols(upstream, response)
                return False
            self._send(h11.Response(status_code=response.status_code, headers=_end_to_end(response.headers)))
            await self._relay_body(upstream)
        except BaseException:
            upstream.close()
            raise
        self.pool.put(as_proxy, upstream)
        return True

    async def _send_upstream(self, upstream: Upstream, request: h11.Request, body: bytes):
        """Send the request; the response head (or the 101 of an upgrade) that comes back."""
        headers = [
            (name, value)
            for name, value in _end_to_end(request.headers, upgrading=_has(request.headers, b"upgrade"))
            if not name.lower().startswith(_IDENTITY_HEADERS) and name.lower() != b"content-length"
        ]
        headers.append((b"Content-Length", str(len(body)).encode()))
        if self.identity:
            headers += self.identity.headers()
        http = upstream.http
        try:
            upstream.writer.write(http.send(h11.Request(method=request.method, target=request.target, headers=headers)))
            upstream.writer.write(http.send(h11.Data(data=body)) if body else b"")
            upstream.writer.write(http.send(h11.EndOfMessage()))
            await upstream.writer.drain()
            while True:
                event = await _upstream_event(upstream)
                if isinstance(event, h11.Response) or getattr(event, "status_code", None) == 101:
                    return event
                # Anything else is a 100 Continue: the body was sent already.
        except (ConnectionError, h11.RemoteProtocolError, ssl.SSLError) as exc:
            raise UpstreamClosed(str(exc)) from exc

    async def _relay_body(self, upstream: Upstream) -> None:
        """Stream the response body as it arrives (watches and followed logs never end on their own)."""
        # A client that hangs up on a watch must free its apiserver connection at once,
        # not when the next event arrives.
        watcher = asyncio.ensure_future(self._close_when_client_leaves(upstream))
        try:
            while not isinstance(event := await _upstream_event(upstream), h11.EndOfMessage):
                self._send(event)
                await self.writer.drain()
            self._send(h11.EndOfMessage())
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _close_when_client_leaves(self, upstream: Upstream) -> None:
        data = await self.reader.read(READ_SIZE)
        if data:
            self.http.receive_data(data)  # a pipelined request: h11 keeps it for the next cycle
        else:
            upstream.close()

    async def _switch_protocols(self, upstream: Upstream, response: h11.InformationalResponse) -> None:
        """exec, attach and port-forward: relay bytes both ways until either side closes."""
        self._send(h11.InformationalResponse(status_code=101, headers=response.headers, reason=response.reason))
        client_leftover, _ = self.http.trailing_data
        upstream_leftover, _ = upstream.http.trailing_data
        upstream.writer.write(client_leftover)
        self.writer.write(upstream_leftover)
        await asyncio.gather(_pipe(self.reader, upstream.writer), _pipe(upstream.reader, self.writer))

    # Writing --------------------------------------------------------------------------

    def _send(self, event) -> None:
        self.writer.write(self.http.send(event) or b"")

    def _answer(self, code: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        headers = [*headers, (b"Content-Length", str(len(body)).encode())]
        self._send(h11.Response(status_code=code, headers=headers))
        self._send(h11.Data(data=body))
        self._send(h11.EndOfMessage())


async def _upstream_event(upstream: Upstream):
    while (event := upstream.http.next_event()) is h11.NEED_DATA:
        upstream.http.receive_data(await upstream.reader.read(READ_SIZE))
    if isinstance(event, h11.ConnectionClosed):
        raise ConnectionError("the apiserver closed the connection")
    return event


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(READ_SIZE):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError, OSError):
        pass
    finally:
        writer.close()


def _has(headers, name: bytes) -> bool:
    return any(key.lower() == name for key, _ in headers)


def _end_to_end(headers, upgrading: bool = False) -> list[tuple[bytes, bytes]]:
    """The headers a proxy passes on: no hop-by-hop ones, nor those the Connection header names.

    An upgrade keeps its Upgrade and Connection headers: they are the request.
    """
    named = {
        token.strip().lower() for name, value in headers if name.lower() == b"connection" for token in value.split(b",")
    }
    kept = []
    for name, value in headers:
        lower = name.lower()
        if (upgrading and lower in (b"upgrade", b"connection")) or (lower not in _HOP_BY_HOP and lower not in named):
            kept.append((name, value))
    return kept


# Running ------------------------------------------------------------------------------


def serving_context(ca: Path, cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca))
    context.load_cert_chain(str(cert), str(key))
    # Optional: token-authenticated clients have no certificate; the apiserver judges them.
    context.verify_mode = ssl.CERT_OPTIONAL
    context.set_alpn_protocols(["http/1.1"])
    return context


def upstream_context(ca: Path, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))
    if cert and key:
        context.load_cert_chain(str(cert), str(key))
    context.set_alpn_protocols(["http/1.1"])
    return context


async def run(args: argparse.Namespace) -> None:
    pool = Pool(
        args.upstream_host,
        args.upstream_port,
        upstream_context(args.ca, args.proxy_cert, args.proxy_key),
        upstream_context(args.ca),
    )
    faults = FaultPlan(args.faults, "kubernetes")

    async def handle(reader, writer):
        await Client(reader, writer, pool, faults).serve()

    server = await asyncio.start_server(
        handle, args.listen_host, args.listen_port, ssl=serving_context(args.ca, args.cert, args.key), limit=READ_SIZE
    )
    print(f"kube-fault-proxy: {args.listen_host}:{args.listen_port} -> {args.upstream_host}:{args.upstream_port}")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bespin_sandbox.kubeproxy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen-host", default="127.0.0.1")
    parser.add_argument("--listen-port", type=int, required=True)
    parser.add_argument("--upstream-host", default="127.0.0.1")
    parser.add_argument("--upstream-port", type=int, required=True)
    parser.add_argument("--ca", type=Path, required=True, help="verifies clients and the apiserver")
    parser.add_argument("--cert", type=Path, required=True, help="serving certificate (the apiserver's)")
    parser.add_argument("--key", type=Path, required=True)
    parser.add_argument("--proxy-cert", type=Path, required=True, help="front-proxy client certificate")
    parser.add_argument("--proxy-key", type=Path, required=True)
    parser.add_argument("--faults", type=Path, required=True, help="the sandbox's fault plan file")
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
