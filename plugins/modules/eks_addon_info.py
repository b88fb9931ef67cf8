#!/usr/bin/python
# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: eks_addon_info
short_description: List the add-ons of an Amazon EKS cluster and the versions a Kubernetes version can run
version_added: 0.1.0
author: bespin.platform maintainers (@bespin)
description:
  - With O(cluster_name), describes the add-ons installed on the cluster.
  - Lists the add-ons EKS offers for a Kubernetes version (the cluster's, or O(kubernetes_version)), each with its
    compatible versions newest first, which one is the default and which is the latest.
  - Throttling and server errors (5xx) are retried with jittered exponential backoff.
options:
  cluster_name:
    description:
      - Name of the EKS cluster whose add-ons to describe. Its Kubernetes version is used unless
        O(kubernetes_version) is set.
      - At least one of O(cluster_name) and O(kubernetes_version) is required.
    type: str
  kubernetes_version:
    description:
      - Kubernetes version (such as V(1.35)) to list compatible add-on versions for, for example before a cluster
        upgrade.
    type: str
  name:
    description:
      - Only this add-on (installed and available).
    type: str
    aliases: [addon_name]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: The module only reads; it runs the same in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
    details: The module changes nothing.
seealso:
  - module: bespin.platform.eks_addon
"""

EXAMPLES = r"""
- name: The add-ons of the cluster and what its Kubernetes version can run
  bespin.platform.eks_addon_info:
    cluster_name: petclinic
  register: addons

- name: Which CoreDNS versions run on Kubernetes 1.35, before upgrading the cluster
  bespin.platform.eks_addon_info:
    kubernetes_version: "1.35"
    name: coredns
  register: coredns

- name: Show the default version
  ansible.builtin.debug:
    msg: "{{ coredns.available[0].default_version }}"
"""

RETURN = r"""
cluster:
  description: The cluster, as add-on IAM and charts need it (IRSA trusts its OIDC issuer; charts want its VPC).
  returned: when O(cluster_name) is set
  type: dict
  contains:
    name:
      description: Cluster name.
      type: str
      sample: petclinic
    arn:
      description: Cluster ARN.
      type: str
      sample: arn:aws:eks:ap-northeast-2:123456789012:cluster/petclinic
    region:
      description: Region of the cluster.
      type: str
      sample: ap-northeast-2
    version:
      description: Kubernetes version.
      type: str
      sample: "1.36"
    status:
      description: Cluster status.
      type: str
      sample: ACTIVE
    endpoint:
      description: Kubernetes API endpoint.
      type: str
      sample: https://0123456789ABCDEF.gr7.ap-northeast-2.eks.amazonaws.com
    oidc_issuer:
      description: OIDC issuer URL of the cluster's service account tokens.
      type: str
      sample: https://oidc.eks.ap-northeast-2.amazonaws.com/id/0123456789ABCDEF
    vpc_id:
      description: VPC of the cluster.
      type: str
      sample: vpc-0123456789abcdef0
    cluster_security_group_id:
      description: The security group EKS created for the cluster.
      type: str
      sample: sg-0123456789abcdef0
kubernetes_version:
  description: The Kubernetes version the available versions are listed for.
  returned: always
  type: str
  sample: "1.36"
addons:
  description:
    - The installed add-ons, as EKS describes them, keys in snake case and configuration values as a mapping
      (the same shape as bespin.platform.eks_addon's C(addon)).
  returned: when O(cluster_name) is set
  type: list
  elements: dict
  sample:
    - addon_name: coredns
      addon_version: v1.13.1-eksbuild.1
      status: ACTIVE
      configuration_values: {"replicaCount": 2}
      health: {"issues": []}
      tags: {}
available:
  description: The add-ons offered for O(kubernetes_version), by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the add-on.
      type: str
      sample: coredns
    type:
      description: Kind of add-on (networking, storage, observability...).
      type: str
      sample: networking
    owner:
      description: Who supports the add-on (C(aws), C(community) or a partner).
      type: str
      sample: aws
    publisher:
      description: Who publishes it in the EKS catalogue.
      type: str
      sample: eks
    default_namespace:
      description: Namespace the add-on installs into.
      type: str
      sample: kube-system
    kubernetes_version:
      description: The Kubernetes version the versions are for.
      type: str
      sample: "1.36"
    default_version:
      description: The version EKS installs when none is given.
      type: str
      sample: v1.13.1-eksbuild.1
    latest_version:
      description: The newest compatible version.
      type: str
      sample: v1.13.1-eksbuild.1
    versions:
      description:
        - Compatible versions, newest first, each with C(version), C(default), C(architectures), C(compute_types),
          C(requires_configuration) and C(requires_iam_permissions).
      type: list
      elements: dict
      sample:
        - version: v1.13.1-eksbuild.1
          default: true
          architectures: [amd64, arm64]
          compute_types: [ec2, hybrid]
          requires_configuration: false
          requires_iam_permissions: false
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # AnsibleAWSModule reports the missing SDK
    BotoCoreError = ClientError = Exception

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.bespin.platform.plugins.module_utils.eks_addon_api import (
    EksAddonApi,
    MissingCluster,
    eks_client,
)
from ansible_collections.bespin.platform.plugins.module_utils.eks_addon_versions import summarise
from ansible_collections.bespin.platform.plugins.module_utils.eks_addon_view import addon_view


def argument_spec():
    return dict(
        cluster_name=dict(type="str"),
        kubernetes_version=dict(type="str"),
        name=dict(type="str", aliases=["addon_name"]),
    )


def cluster_summary(cluster, region):
    """What add-on IAM needs to know of the cluster: IRSA trusts its OIDC issuer, charts want its VPC."""
    vpc = cluster.get("resourcesVpcConfig") or {}
    return dict(
        name=cluster["name"],
        arn=cluster.get("arn"),
        region=region,
        version=cluster["version"],
        status=cluster.get("status"),
        endpoint=cluster.get("endpoint"),
        oidc_issuer=((cluster.get("identity") or {}).get("oidc") or {}).get("issuer"),
        vpc_id=vpc.get("vpcId"),
        cluster_security_group_id=vpc.get("clusterSecurityGroupId"),
    )


def gather(module, api):
    params = module.params
    cluster, name = params["cluster_name"], params["name"]
    result = dict(changed=False)
    kubernetes_version = params["kubernetes_version"]
    if cluster:
        described = api.describe_cluster(cluster)
        result["cluster"] = cluster_summary(described, api.region)
        kubernetes_version = kubernetes_version or described["version"]
        names = [name] if name else api.addon_names(cluster)
        installed = (api.describe_addon(cluster, addon_name) for addon_name in names)
        result["addons"] = [addon_view(addon) for addon in installed if addon is not None]
    entries = api.catalogue(kubernetes_version, name)
    result["kubernetes_version"] = kubernetes_version
    result["available"] = sorted(
        (summarise(entry, kubernetes_version) for entry in entries if not name or entry["addonName"] == name),
        key=lambda summary: summary["name"],
    )
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=argument_spec(),
        required_one_of=[["cluster_name", "kubernetes_version"]],
        supports_check_mode=True,
    )
    try:
        module.exit_json(**gather(module, EksAddonApi(eks_client(module))))
    except MissingCluster as exc:
        module.fail_json(msg=str(exc))
    except (ClientError, BotoCoreError) as exc:
        module.fail_json_aws(exc, msg="Could not describe the EKS add-ons")


if __name__ == "__main__":
    main()
