"""Capacity of the EC2 instance types a simulated EKS node can have.

Figures are AWS's published vCPU / memory, and the max-pods value EKS sets for
the VPC CNI without prefix delegation (ENIs x (IPv4 per ENI - 1) + 2).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InstanceType:
    vcpus: int
    memory_gib: int
    max_pods: int
    arch: str = "amd64"

    def capacity(self) -> dict[str, str]:
        return {
            "cpu": str(self.vcpus),
            "memory": f"{self.memory_gib * 1024 * 1024}Ki",
            "pods": str(self.max_pods),
            "ephemeral-storage": "20959212Ki",  # the 20 GiB root volume of an EKS AMI
        }

    def allocatable(self) -> dict[str, str]:
        """Capacity less what the EKS AMI reserves for the kubelet and the system."""
        return {
            **self.capacity(),
            "cpu": f"{self.vcpus * 1000 - self._reserved_millicores()}m",
            "memory": f"{(self.memory_gib * 1024 - self._reserved_mebibytes()) * 1024}Ki",
            "ephemeral-storage": "18242267924",
        }

    def _reserved_millicores(self) -> int:
        # 6% of the first core, 1% of the second, 0.5% of cores 3-4, 0.25% beyond.
        steps = [60, 10, 5, 5]
        return sum(steps[: self.vcpus]) + max(0, self.vcpus - 4) * 25 // 10

    def _reserved_mebibytes(self) -> int:
        # kube-reserved 255 MiB + 11 MiB per pod, plus the 100 MiB eviction threshold.
        return 255 + 11 * self.max_pods + 100


INSTANCE_TYPES: dict[str, InstanceType] = {
    "t3.medium": InstanceType(2, 4, 17),
    "t3.large": InstanceType(2, 8, 35),
    "t3.xlarge": InstanceType(4, 16, 58),
    "t3.2xlarge": InstanceType(8, 32, 58),
    "m5.large": InstanceType(2, 8, 29),
    "m5.xlarge": InstanceType(4, 16, 58),
    "m5.2xlarge": InstanceType(8, 32, 58),
    "m6i.large": InstanceType(2, 8, 29),
    "m6i.xlarge": InstanceType(4, 16, 58),
    "c5.large": InstanceType(2, 4, 29),
    "c5.xlarge": InstanceType(4, 8, 58),
    "r5.large": InstanceType(2, 16, 29),
    "r5.xlarge": InstanceType(4, 32, 58),
    "m7g.large": InstanceType(2, 8, 29, arch="arm64"),
    "m7g.xlarge": InstanceType(4, 16, 58, arch="arm64"),
}
