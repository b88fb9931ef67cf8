"""The inventories the benchmarks run with, written into the run's work folder.

The node inventory is the same for the role and the naive loop: one group
per domain (kubespray style), whose group variables are the `node_labels`
and `node_taints` the role reads, so both converge exactly the same desired
state. Nodes are spread over the domains round-robin.
"""

from __future__ import annotations

from pathlib import Path

import yaml

DOMAINS = 10
LABEL_PREFIX = "bench.bespin.io/"
DOMAIN_KEY = LABEL_PREFIX + "domain"
NODE_GROUP = "bench_nodes"


def domain_of(index: int) -> str:
    return f"d{index % DOMAINS}"


def desired_labels(domain: str) -> dict[str, str]:
    return {DOMAIN_KEY: domain, LABEL_PREFIX + "workload": "api"}


def desired_taints(domain: str) -> list[dict[str, str]]:
    return [{"key": DOMAIN_KEY, "value": domain, "effect": "NoSchedule"}]


def desired_patch(domain: str) -> dict:
    """The merge patch that takes an unlabelled bench node to its domain's state."""
    return {"metadata": {"labels": desired_labels(domain)}, "spec": {"taints": desired_taints(domain)}}


def desired_state(nodes: list[str]) -> dict[str, str]:
    """Node name -> its domain."""
    return {name: domain_of(index) for index, name in enumerate(nodes)}


def write_node_inventory(path: Path, nodes: list[str]) -> Path:
    domains: dict[str, dict] = {}
    for name, domain in desired_state(nodes).items():
        group = domains.setdefault(
            f"bench_domain_{domain}",
            {"hosts": {}, "vars": {"node_labels": desired_labels(domain), "node_taints": desired_taints(domain)}},
        )
        group["hosts"][name] = None
    document = {
        "all": {
            # Every task runs on the controller (the role delegates to localhost).
            "vars": {"ansible_connection": "local"},
            "children": {NODE_GROUP: {"children": domains}},
        }
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def write_addons_inventory(path: Path, addons: list[str]) -> Path:
    """localhost, with the managed add-ons playbooks/addons.yml installs."""
    document = {
        "all": {"hosts": {"localhost": {"ansible_connection": "local", "bench_addons": [{"name": n} for n in addons]}}}
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def write_eks_nodes_config(
    path: Path, selector: str, cache_dir: Path | None = None, ec2_enrichment: bool = False
) -> Path:
    """A bespin.platform.eks_nodes source; with cache_dir, cached in JSON files there."""
    if not path.name.endswith("eks_nodes.yml"):
        raise ValueError(f"{path}: the eks_nodes plugin only reads files named *eks_nodes.yml")
    config: dict = {"plugin": "bespin.platform.eks_nodes", "label_selector": selector}
    if ec2_enrichment:
        config["ec2_enrichment"] = True
    if cache_dir is not None:
        config.update(
            cache=True,
            cache_plugin="ansible.builtin.jsonfile",
            cache_connection=str(cache_dir),
            cache_timeout=3600,
        )
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def write_aws_ec2_config(path: Path, nodegroups: list[str], region: str, endpoint_url: str) -> Path:
    """amazon.aws.aws_ec2 over the EC2 instances of the same nodegroups, named like the nodes."""
    if not path.name.endswith("aws_ec2.yml"):
        raise ValueError(f"{path}: the aws_ec2 plugin only reads files named *aws_ec2.yml")
    config = {
        "plugin": "amazon.aws.aws_ec2",
        "regions": [region],
        # aws_ec2 reads AWS_URL, not AWS_ENDPOINT_URL, so the sandbox's endpoint is named here.
        "endpoint_url": endpoint_url,
        "filters": {"tag:eks:nodegroup-name": nodegroups},
        "hostnames": ["private-dns-name"],
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
