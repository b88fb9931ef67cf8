"""The stand-in's two listeners: the ARM endpoint (also an HTTPS proxy) and the identity endpoint.

Clients reach ``https://management.azure.com`` through ``HTTPS_PROXY``: they
send ``CONNECT management.azure.com:443`` here, we answer 200 and then speak
TLS on that same connection with the sandbox's certificate, so the requests
that follow reach the ARM app as if sent to Azure. Werkzeug serves both WSGI
apps; only the CONNECT step is ours (werkzeug has no proxy support).
"""

from __future__ import annotations

import argparse
import base64
import json
import ssl
import threading
import time
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from ..accounting import Journal
from ..faults import FaultPlan
from . import IDENTITY_HEADER, SERVED_HOSTS, SUBSCRIPTION_ID, TENANT_ID
from .arm import ArmApp
from .store import Store

TOKEN_LIFETIME = 24 * 3600


class TunnellingHandler(WSGIRequestHandler):
    """Werkzeug's handler plus CONNECT: TLS is terminated here for the Azure hosts."""

    tls_context: ssl.SSLContext  # set on a subclass by serve()

    def do_CONNECT(self) -> None:
        host = self.path.rsplit(":", 1)[0].lower()
        if host not in SERVED_HOSTS:
            # Never a general-purpose proxy: the sandbox talks to loopback only.
            self.send_error(403, f"the sandbox's Azure proxy only serves {', '.join(SERVED_HOSTS)}")
            return
        self.send_response(200, "Connection Established")
        self.end_headers()
        tls = self.tls_context.wrap_socket(self.connection, server_side=True)
        self.connection = self.request = tls
        self.rfile = tls.makefile("rb", self.rbufsize)
        self.wfile = tls.makefile("wb", 0)
        self.close_connection = False  # the tunnelled requests follow on this connection

    def finish(self) -> None:
        super().finish()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.close()


def identity_app(environ, start_response):
    """The App Service managed-identity protocol (api-version 2019-08-01), as azure-identity speaks it."""
    request = Request(environ)
    if request.path == "/healthz":
        return Response("ok")(environ, start_response)
    if request.headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER:
        body = {"error": {"code": "Unauthorized", "message": "X-IDENTITY-HEADER is missing or wrong"}}
        return Response(json.dumps(body), 401, content_type="application/json")(environ, start_response)
    resource = request.args.get("resource", "https://management.azure.com")
    expires = int(time.time()) + TOKEN_LIFETIME
    token = {
        "access_token": _unsigned_jwt(resource, expires),
        "expires_on": str(expires),
        "resource": resource,
        "token_type": "Bearer",
        "client_id": "00000000-0000-4000-8000-00000000c11e",
    }
    return Response(json.dumps(token), content_type="application/json")(environ, start_response)


def _unsigned_jwt(audience: str, expires: int) -> str:
    """Shaped like Azure's tokens (some clients read the tenant from it); nothing verifies it."""

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims = {
        "aud": audience,
        "iss": f"https://sts.windows.net/{TENANT_ID}/",
        "tid": TENANT_ID,
        "oid": "00000000-0000-4000-8000-0000000000d1",
        "sub": SUBSCRIPTION_ID,
        "exp": expires,
    }
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def serve(args: argparse.Namespace) -> None:
    tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_context.load_cert_chain(args.cert, args.key)
    handler = type("Handler", (TunnellingHandler,), {"tls_context": tls_context})
    state = Path(args.state)
    app = ArmApp(
        Store(state / "azure" / "arm.json"),
        Journal(Path(args.writes), "azure"),
        FaultPlan(Path(args.faults), "azure"),
        args.azurite_url,
        debug=args.debug,
    )
    arm = make_server("127.0.0.1", args.arm_port, app, threaded=True, request_handler=handler)
    identity = make_server("127.0.0.1", args.identity_port, identity_app, threaded=True)
    threading.Thread(target=identity.serve_forever, name="identity", daemon=True).start()
    print(f"azure-arm: ARM/proxy on 127.0.0.1:{args.arm_port}, identity on 127.0.0.1:{args.identity_port}", flush=True)
    arm.serve_forever()
