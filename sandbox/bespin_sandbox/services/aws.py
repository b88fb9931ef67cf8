"""The AWS side: moto in server mode behind our endpoint, which adds the EKS add-on and Pod Identity APIs.

One process (bespin_sandbox.aws.server) on layout.aws_port. Seeding creates
the VPC, subnets, EKS cluster, nodegroups and one EC2 instance per simulated
node, with the same ids and addresses as the Kubernetes Node objects. Reset
resets moto as a whole and seeds again: quicker and surer than finding
everything a test created in every moto backend.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..layout import LOOPBACK, Layout
from ..pki import Pki
from ..processes import ProcessError
from ..topology import Topology, load
from .base import Component, Service, http_ok

# boto3 is imported only when seeding (bespin_sandbox.aws.seed): every `sandbox` command loads this module.
ADDON_DELAY_ENV = "BESPIN_AWS_ADDON_DELAY_SECONDS"
ACCOUNT_ID = "123456789012"  # moto's account for its dummy "testing" credentials


class AwsService(Service):
    name = "aws"

    def __init__(self, layout: Layout):
        super().__init__(layout)
        self.url = f"http://{LOOPBACK}:{layout.aws_port}"

    def components(self) -> list[Component]:
        return [
            Component(
                "aws",
                [
                    sys.executable,
                    "-m",
                    "bespin_sandbox.aws.server",
                    f"--port={self.layout.aws_port}",
                    f"--state={self.layout.root}",
                    # DescribeCluster answers with the Kubernetes API users reach (through the fault proxy).
                    f"--eks-endpoint=https://{LOOPBACK}:{self.layout.kube_proxy_port}",
                    f"--eks-ca={Pki(self.layout.pki_dir).ca_cert}",
                ],
                lambda: http_ok(f"{self.url}/bespin-api/health"),
                self.url,
                env={
                    # Attaching AWS managed policies needs them loaded when moto starts.
                    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
                    # ACM issues a requested certificate this many seconds after the
                    # request (moto does not look for the DNS validation records:
                    # the tests read them from the zone themselves).
                    "MOTO_ACM_VALIDATION_WAIT": "3",
                    ADDON_DELAY_ENV: os.environ.get(ADDON_DELAY_ENV, "2"),
                },
                start_timeout=60.0,
            )
        ]

    def seed(self, topology: Topology, log: Callable[[str], None]) -> None:
        from ..aws import seed as aws_seed

        previous = load(self.layout.topology_file) if self.layout.topology_file.exists() else None
        with self._answering():
            if previous and not previous.same_cluster_as(topology):
                log("aws: topology changed: resetting moto and reseeding")
                self._clear()
            created = aws_seed.seed(self.url, topology, log)
        if created["instances"]:
            log(f"aws: {topology.cluster_name} seeded, {created['instances']} EC2 instances created")

    def reset(self, topology: Topology) -> int:
        from ..aws import seed as aws_seed

        with self._answering():
            before = self._inventory(topology)
            self._clear()
            aws_seed.seed(self.url, topology, lambda _: None)
            after = self._inventory(topology)
        return sum(max(0, count - after.get(kind, 0)) for kind, count in before.items())

    def env(self) -> dict[str, str]:
        topology = load(self.layout.topology_file) if self.layout.topology_file.exists() else load()
        return {
            "AWS_ENDPOINT_URL": self.url,
            # moto's dummy credentials: not secrets.
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": topology.region,
            "AWS_REGION": topology.region,
            "BESPIN_EKS_CLUSTER": topology.cluster_name,
        }

    # Helpers ----------------------------------------------------------------------

    @contextmanager
    def _answering(self) -> Iterator[None]:
        try:
            yield
        except urllib.error.URLError as exc:
            raise ProcessError(f"aws: {self.url} does not answer ({exc.reason}): run `sandbox up`") from exc

    def _clear(self) -> None:
        from ..aws.seed import internal_api

        internal_api(self.url, "/moto-api/reset")
        internal_api(self.url, "/bespin-api/reset")

    def _inventory(self, topology: Topology) -> dict[str, int]:
        from ..aws.seed import internal_api

        query = urllib.parse.urlencode({"account": ACCOUNT_ID, "region": topology.region})
        return internal_api(self.url, f"/bespin-api/inventory?{query}", method="GET")
