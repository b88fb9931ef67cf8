"""Benchmark sizes as slices of the benchmark topology.

A slice of N nodes is the first nodegroups of the topology whose counts add up
to exactly N (bench-5000.yml: 100, 1,000, 2,000, 5,000), so a label selector on
the nodegroup label and an EC2 tag filter on the nodegroup tag pick the same N
nodes. When the largest size asked for is smaller than the topology, the
sandbox gets only the nodegroups it needs (node identities do not depend on
the other nodegroups, so the slices stay the same nodes).
"""

from __future__ import annotations

import dataclasses
from itertools import accumulate

from bespin_sandbox.topology import Topology


class SliceError(ValueError):
    """A size that no prefix of the topology's nodegroups adds up to; the message names the option."""


def available_sizes(topology: Topology) -> list[int]:
    return list(accumulate(group.count for group in topology.nodegroups))


def nodegroups_for(topology: Topology, size: int, option: str) -> list[str]:
    """The names of the first nodegroups that hold exactly `size` nodes."""
    sizes = available_sizes(topology)
    if size not in sizes:
        known = ", ".join(str(s) for s in sizes)
        raise SliceError(f"{option}: {size} is not a slice of {topology.source} (possible sizes: {known})")
    return [group.name for group in topology.nodegroups[: sizes.index(size) + 1]]


def node_names(topology: Topology, size: int, option: str) -> list[str]:
    groups = set(nodegroups_for(topology, size, option))
    return [node.name for node in topology.nodes() if node.nodegroup.name in groups]


def trimmed(topology: Topology, largest: int) -> Topology:
    """The topology cut after the nodegroups the largest slice needs."""
    kept = len(nodegroups_for(topology, largest, "largest size"))
    return dataclasses.replace(topology, nodegroups=topology.nodegroups[:kept])


def label_selector(groups: list[str]) -> str:
    """eks_nodes' selector for these nodegroups (the label EKS puts on every node)."""
    return f"eks.amazonaws.com/nodegroup in ({','.join(groups)})"
