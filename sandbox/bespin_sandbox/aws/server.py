"""The sandbox's AWS endpoint: moto behind our fault injection, write accounting and EKS add-on API.

    python -m bespin_sandbox.aws.server --port N --state DIR

One WSGI app on one port: requests meet the fault plan first, mutating ones
are journaled, the EKS add-on and Pod Identity routes are ours and the rest
is moto's own server app. `/bespin-api/...` holds what the sandbox itself
needs (health, reset of the add-on state, seeding instances with chosen ids).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from ..accounting import Journal
from ..faults import LATENCY_SECONDS, FaultPlan
from ..layout import LOOPBACK, Layout
from . import eks_auth, moto_bridge, route53_failover
from .eks_addons import AddonStore
from .eks_api import EksAddonApi
from .protocol import fault_response, identify
from .seed import SANDBOX_HEADER

ADDON_STATE_FILE = "aws-eks-addons.json"


class AwsEndpoint:
    def __init__(self, layout: Layout, addon_delay: float):
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.faults = FaultPlan(layout.faults_file, "aws")
        self.journal = Journal(layout.writes_dir, "aws")
        self.addons = AddonStore(layout.root / ADDON_STATE_FILE, addon_delay)
        self.eks = EksAddonApi(self.addons)

    def __call__(self, environ: dict, start_response):
        if environ.get("PATH_INFO", "").startswith("/bespin-api/"):
            return self._internal(environ, start_response)
        request = identify(environ)
        if request is None:
            return self.moto(environ, start_response)
        from_sandbox = "HTTP_" + SANDBOX_HEADER.upper().replace("-", "_") in environ
        if not from_sandbox:
            fault = self.faults.decide(f"{request.service}:{request.operation}")
            if fault == "latency":
                time.sleep(LATENCY_SECONDS)
            elif fault:
                status, headers, body = fault_response(request, fault)
                return Response(body, status=status, headers=headers)(environ, start_response)
            if not request.is_read:
                self.journal.record(request.operation, request.service)
        if request.service == "route53" and request.operation == "TestDNSAnswer":
            # moto lacks TestDNSAnswer; ours evaluates failover records (see route53_failover).
            account = moto_bridge.account_for(request.access_key)
            return route53_failover.test_dns_answer(account, environ, start_response)
        handler = self.eks.match(request, environ)
        return handler(start_response) if handler else self.moto(environ, start_response)

    def _internal(self, environ: dict, start_response):
        http = Request(environ)
        path = http.path.removeprefix("/bespin-api")
        if path == "/health":
            result: dict = {"ok": True}
        elif path == "/reset" and http.method == "POST":
            result = {"removed": self.addons.reset(), "unhealthy route53 checks": route53_failover.reset()}
        elif path == "/inventory":
            result = moto_bridge.inventory(http.args["account"], http.args["region"])
            result["eks addons and pod identity associations"] = self.addons.count()
        elif path == "/eks/addon-delay":
            # Seconds an add-on stays CREATING/UPDATING/DELETING; settable while running
            # (the add-on benchmark uses EKS-like delays, tests short ones).
            if http.method == "PUT":
                self.addons.delay = float(http.get_json()["seconds"])
            result = {"seconds": self.addons.delay}
        elif path == "/eks/token-review" and http.method == "POST":
            # kube-apiserver's token webhook: EKS bearer tokens (see eks_auth).
            result = eks_auth.review(http.get_json())
        elif path == "/ec2/instances" and http.method == "POST":
            payload = http.get_json()
            result = {"created": moto_bridge.seed_instances(payload["account"], payload["region"], payload["nodes"])}
        elif path.startswith("/route53/health-checks/") and path.endswith("/status"):
            # A health check's status for the DR drill (moto never probes anything; see route53_failover).
            check_id = path.removeprefix("/route53/health-checks/").removesuffix("/status")
            try:
                if http.method == "PUT":
                    found = route53_failover.set_status(check_id, (http.get_json() or {}).get("status", ""))
                else:
                    found = route53_failover.status(check_id)
            except ValueError as exc:
                return Response(json.dumps({"error": str(exc)}), status=400)(environ, start_response)
            if found is None:
                return Response(json.dumps({"error": f"no health check {check_id}"}), status=404)(
                    environ, start_response
                )
            result = found
        else:
            return Response("not found", status=404)(environ, start_response)
        return Response(json.dumps(result), content_type="application/json")(environ, start_response)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", type=Path, required=True, help="the sandbox's state folder")
    parser.add_argument("--eks-endpoint", help="the Kubernetes API URL EKS clusters report")
    parser.add_argument("--eks-ca", type=Path, help="the PEM CA bundle EKS clusters report")
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs (SQS queues) from it
    moto_bridge.install_patches(args.eks_endpoint, args.eks_ca)
    delay = float(os.environ.get("BESPIN_AWS_ADDON_DELAY_SECONDS", "2"))
    app = AwsEndpoint(Layout(root=args.state.resolve(), port_base=0), delay)
    server = make_server(LOOPBACK, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"AWS endpoint on http://{LOOPBACK}:{args.port} (moto, EKS add-ons delay {delay}s)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
