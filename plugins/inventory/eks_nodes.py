# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: eks_nodes
short_description: The nodes of a Kubernetes (EKS) cluster as inventory hosts
version_added: 0.1.0
author: bespin.platform maintainers (@bespin)
description:
  - One host per Kubernetes node, read from the Kubernetes API with one LIST.
  - The API is reached through a kubeconfig (and context), or, with O(cluster_name), from AWS credentials
    alone - the endpoint and CA come from EKS DescribeCluster and the bearer token is a presigned STS
    GetCallerIdentity request, as C(aws eks get-token) makes it; no aws CLI is needed.
  - The host variable C(k8s_node) holds the node's current state (name, labels, taints, zone, region,
    instance type, nodegroup, capacity type, internal IP, provider id, EC2 instance id, readiness,
    allocatable resources); C(ansible_host) is the node's internal IP.
  - Optionally enriches every node with its EC2 instance (lifecycle spot or on-demand, private IP, state)
    through one paginated, batched DescribeInstances.
  - Hosts join C(eks_nodes), one group per nodegroup (C(nodegroup_<name>)) and one per zone
    (C(zone_<zone>)); C(groups), C(keyed_groups) and C(compose) add more.
  - The configuration file name must end in C(eks_nodes.yml) or C(eks_nodes.yaml).
options:
  plugin:
    description: Marks the file as this plugin's configuration.
    required: true
    choices: [bespin.platform.eks_nodes]
  cluster_name:
    description:
      - Name of the EKS cluster to connect to with AWS credentials (O(region), O(aws_profile), the usual
        AWS environment variables); takes precedence over O(kubeconfig) and O(context).
      - The identity needs C(eks:DescribeCluster) and an EKS access entry (or C(aws-auth) mapping) that
        lets it list nodes.
    type: str
  kubeconfig:
    description: Kubeconfig file of the cluster; kubernetes.core's defaults apply when omitted.
    type: path
    env:
      - name: K8S_AUTH_KUBECONFIG
  context:
    description: Kubeconfig context.
    type: str
    env:
      - name: K8S_AUTH_CONTEXT
  label_selector:
    description: Only nodes matching this Kubernetes label selector (for example C(eks.amazonaws.com/nodegroup=api)).
    type: str
  ec2_enrichment:
    description: Add C(k8s_node.ec2) from EC2 (lifecycle, private IP, state, launch time).
    type: bool
    default: false
  region:
    description:
      - AWS region of the cluster (with O(cluster_name)) and of its EC2 instances.
      - For the EC2 lookup it defaults to the nodes' C(topology.kubernetes.io/region) label.
    type: str
    env:
      - name: AWS_REGION
      - name: AWS_DEFAULT_REGION
  aws_profile:
    description: AWS profile for EKS, STS and EC2.
    type: str
    env:
      - name: AWS_PROFILE
  aws_endpoint_url:
    description: One endpoint for EKS, STS and EC2, for AWS-compatible services and the sandbox.
    type: str
    env:
      - name: AWS_ENDPOINT_URL
extends_documentation_fragment:
  - constructed
  - inventory_cache
requirements:
  - kubernetes >= 24.2.0
  - boto3 (with O(cluster_name) or O(ec2_enrichment))
"""

EXAMPLES = r"""
# inventories/prod/eks_nodes.yml
plugin: bespin.platform.eks_nodes
context: arn:aws:eks:ap-northeast-2:123456789012:cluster/petclinic
ec2_enrichment: true
keyed_groups:
  - key: k8s_node.labels.domain | default('none')
    prefix: domain
  - key: k8s_node.ec2.lifecycle
    prefix: lifecycle
compose:
  node_phase: k8s_node.labels.phase | default(omit)
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-eks-nodes
cache_timeout: 300
---
# inventories/prod/by-cluster.eks_nodes.yml: no kubeconfig, only AWS credentials
plugin: bespin.platform.eks_nodes
cluster_name: petclinic
region: ap-northeast-2
label_selector: eks.amazonaws.com/nodegroup in (api,workers)
"""

import os
import tempfile

from ansible.errors import AnsibleError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.bespin.platform.plugins.module_utils.eks_token import cluster_connection
from ansible_collections.bespin.platform.plugins.module_utils.k8s_nodes import NodeApi
from ansible_collections.bespin.platform.plugins.module_utils.node_facts import ec2_facts, group_name, node_facts

# EC2 filters take a bounded number of values; 200 is well inside the limit.
_EC2_BATCH = 200


def make_unsafe(value):
    """Mark API strings that could be read as templates (they hold braces) unsafe,
    so a label value is never evaluated; plain strings stay plain, which keeps
    `ansible-inventory --list` output readable."""
    if isinstance(value, dict):
        return {make_unsafe(k): make_unsafe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [make_unsafe(v) for v in value]
    if isinstance(value, str) and ("{" in value or "}" in value):
        return wrap_var(value)
    return value


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "bespin.platform.eks_nodes"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("eks_nodes.yml", "eks_nodes.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        nodes = None
        if use_cache:
            try:
                nodes = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if nodes is None:
            nodes = self._query()
        if update_cache:
            self._cache[cache_key] = nodes
        self._populate(nodes)

    # Query ----------------------------------------------------------------------------

    def _query(self):
        facts = [node_facts(node) for node in self._list_nodes()]
        if self.get_option("ec2_enrichment"):
            self._enrich(facts)
        return facts

    def _list_nodes(self):
        try:
            from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
        except ImportError as exc:
            raise AnsibleError("eks_nodes needs the kubernetes.core collection and the kubernetes library") from exc
        with tempfile.TemporaryDirectory(prefix="eks_nodes-") as scratch:
            auth = self._eks_auth(scratch) if self.get_option("cluster_name") else self._kubeconfig_auth()
            try:
                client = get_api_client(**auth)
                return NodeApi(client.client.client).list_nodes(self.get_option("label_selector"))
            except Exception as exc:
                raise AnsibleError(f"eks_nodes: cannot list the nodes: {exc}") from exc

    def _kubeconfig_auth(self):
        return {k: self.get_option(k) for k in ("kubeconfig", "context") if self.get_option(k)}

    def _eks_auth(self, scratch):
        """Endpoint, CA file and bearer token of the EKS cluster, from AWS credentials."""
        name = self.get_option("cluster_name")
        try:
            endpoint, ca_pem, token = cluster_connection(self._aws_client("eks"), self._aws_client("sts"), name)
        except Exception as exc:
            raise AnsibleError(f"eks_nodes: cluster_name {name}: cannot connect: {exc}") from exc
        # The kubernetes client takes the CA as a file; it is public, the token stays in memory.
        ca_file = os.path.join(scratch, "ca.pem")
        with open(ca_file, "w", encoding="utf-8") as handle:
            handle.write(ca_pem)
        return {"host": endpoint, "api_key": token, "ca_cert": ca_file}

    def _aws_client(self, service, region=None):
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:
            raise AnsibleError(f"eks_nodes: {service.upper()} calls need boto3") from exc
        session = boto3.Session(profile_name=self.get_option("aws_profile"))
        # botocore's standard retry mode backs off on throttling and 5xx by itself.
        return session.client(
            service,
            region_name=region or self.get_option("region"),
            endpoint_url=self.get_option("aws_endpoint_url"),
            config=Config(retries={"mode": "standard", "max_attempts": 10}),
        )

    def _enrich(self, facts):
        by_id = {fact["instance_id"]: fact for fact in facts if fact["instance_id"]}
        if not by_id:
            return
        region = self.get_option("region") or next((f["region"] for f in facts if f["region"]), None)
        ec2 = self._aws_client("ec2", region)
        ids = sorted(by_id)
        paginator = ec2.get_paginator("describe_instances")
        try:
            for start in range(0, len(ids), _EC2_BATCH):
                batch = ids[start : start + _EC2_BATCH]
                for page in paginator.paginate(Filters=[{"Name": "instance-id", "Values": batch}]):
                    for reservation in page["Reservations"]:
                        for instance in reservation["Instances"]:
                            by_id[instance["InstanceId"]]["ec2"] = ec2_facts(instance)
        except Exception as exc:
            raise AnsibleError(f"eks_nodes: DescribeInstances failed: {exc}") from exc

    # Populate -------------------------------------------------------------------------

    def _populate(self, nodes):
        strict = self.get_option("strict")
        self.inventory.add_group("eks_nodes")
        for fact in nodes:
            fact = make_unsafe(fact)
            host = fact["name"]
            self.inventory.add_host(host, group="eks_nodes")
            self.inventory.set_variable(host, "k8s_node", fact)
            if fact["internal_ip"]:
                self.inventory.set_variable(host, "ansible_host", fact["internal_ip"])
            for prefix, value in (("nodegroup", fact["nodegroup"]), ("zone", fact["zone"])):
                if value:
                    group = self.inventory.add_group(group_name(prefix, value))
                    self.inventory.add_child(group, host)
            variables = self.inventory.get_host(host).get_vars()
            self._set_composite_vars(self.get_option("compose"), variables, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), variables, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, host, strict=strict)
