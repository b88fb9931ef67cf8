#!/usr/bin/python
# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: eks_addon
short_description: Install, update and remove an Amazon EKS add-on
version_added: 0.1.0
author: bespin.platform maintainers (@bespin)
description:
  - Makes one EKS add-on of a cluster match the request, through the EKS add-on API
    (CreateAddon, UpdateAddon, DeleteAddon, tagging).
  - Only the options you set are compared and changed; an option left out keeps the add-on's current value.
  - The whole request is checked before the first write, in check mode too, and an error names the option at
    fault. The cluster must exist; the add-on must be one EKS offers for the cluster's Kubernetes version; the
    version must be compatible (the error lists the compatible ones); O(configuration_values) must satisfy the
    JSON schema EKS publishes for that version (the error names the key path); the Pod Identity service
    accounts must be ones the add-on supports and not already associated outside it.
  - Throttling and server errors (5xx) are retried with jittered exponential backoff.
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  name:
    description:
      - Name of the add-on, as DescribeAddonVersions lists it (for example V(vpc-cni), V(coredns),
        V(aws-ebs-csi-driver)).
      - Exactly one of O(name) and O(addons) is required.
    type: str
    aliases: [addon_name]
  addons:
    description:
      - Several add-ons of the cluster in one task and one module process, instead of O(name).
      - Each item names an add-on and may set, for it alone, the options listed here; the other options of the
        task apply to every item.
      - Every add-on is planned and checked (read calls only) before the first write, and the task fails naming
        each wrong item by its index and name, without writing anything. Then they are
        written and waited for at the same time, so the task takes the slowest add-on's time, not the sum.
      - One add-on failing does not stop the others; the task then fails with each failed item's message.
    type: list
    elements: dict
    suboptions:
      name:
        description: Name of the add-on.
        type: str
        required: true
      state:
        description: V(present) or V(absent); defaults to O(state).
        type: str
        choices: [present, absent]
      addon_version:
        description: As O(addon_version), for this add-on.
        type: str
      configuration_values:
        description: As O(configuration_values), for this add-on.
        type: dict
      service_account_role_arn:
        description: As O(service_account_role_arn), for this add-on.
        type: str
      pod_identity_associations:
        description: As O(pod_identity_associations), for this add-on.
        type: dict
      preserve:
        description: As O(preserve), for this add-on; defaults to O(preserve).
        type: bool
  state:
    description:
      - V(present) installs or updates the add-on; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  addon_version:
    description:
      - An exact version (such as V(v1.20.4-eksbuild.2)), V(latest) for the newest version compatible with the
        cluster's Kubernetes version, or V(default) for the version EKS marks as default for it.
      - Resolved with DescribeAddonVersions against the cluster's Kubernetes version on every run, so V(latest)
        and V(default) follow new releases and cluster upgrades. V(default) can name a version older than the
        installed one.
      - When not set, a new add-on gets the default version and an existing one keeps its version.
    type: str
  configuration_values:
    description:
      - The add-on's configuration, as a mapping. It is validated against the JSON schema EKS publishes for the
        target version (DescribeAddonConfiguration) before any write.
      - Compared with the add-on's current values as data, not as text, so key order and JSON or YAML spelling
        do not cause a change.
      - V({}) removes every configuration value (the add-on runs with its defaults).
      - When the version changes and this option is not set, the add-on's current values are validated against
        the new version's schema instead.
    type: dict
  resolve_conflicts_on_create:
    description:
      - What EKS does with Kubernetes fields that already exist when the add-on is created
        (for example from a self-managed installation). V(PRESERVE) is refused on creation.
      - Not sent when not set (EKS then uses V(NONE)).
    type: str
    choices: [NONE, OVERWRITE, PRESERVE]
  resolve_conflicts_on_update:
    description:
      - What EKS does with fields changed outside EKS when it updates the add-on.
      - Not sent when not set.
    type: str
    choices: [NONE, OVERWRITE, PRESERVE]
  service_account_role_arn:
    description:
      - ARN of an IAM role for the add-on's service account (IAM roles for service accounts).
      - An empty string asks for no role.
    type: str
  pod_identity_associations:
    description:
      - EKS Pod Identity associations owned by the add-on, as a mapping of service account name to IAM role ARN.
      - The service accounts must be among those DescribeAddonConfiguration lists for the add-on, in the
        add-on's namespace, and must not already have an association the add-on does not own.
      - The mapping is the whole set; V({}) removes every association the add-on owns.
    type: dict
  preserve:
    description:
      - With O(state=absent), keep the add-on's Kubernetes resources on the cluster and only stop EKS managing them.
    type: bool
    default: false
  wait:
    description:
      - Wait until the add-on is ACTIVE (or deleted, with O(state=absent)).
      - A change that ends in C(CREATE_FAILED), C(UPDATE_FAILED) or C(DEGRADED) fails the task and reports the
        add-on's health issues; an unchanged add-on in such a state only raises a warning.
      - An update or a re-creation always waits for a transition already under way to finish, since EKS refuses
        to update an add-on that is C(CREATING), C(UPDATING) or C(DELETING).
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait. Some add-ons take more than 15 minutes to become active.
      - Polling starts after about 2 seconds and slows down, with jitter, to one description every 30 seconds.
    type: int
    default: 1200
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Every check runs (only read calls are made); the result says what would change.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: >-
      The version and each managed setting (configuration values, service account role, Pod Identity
      associations, tags), before and after.
requirements:
  - jsonschema >= 4.0
notes:
  - botocore's own retries are turned off on the client this module uses, so that its jittered backoff is the one
    retry policy; setting O(aws_config) with C(retries) turns them back on.
  - Tags of an existing add-on are changed with TagResource and UntagResource on its ARN.
seealso:
  - module: bespin.platform.eks_addon_info
  - name: Amazon EKS add-ons
    description: The EKS user guide on add-ons.
    link: https://docs.aws.amazon.com/eks/latest/userguide/eks-add-ons.html
"""

EXAMPLES = r"""
- name: CoreDNS at the default version for the cluster, with two replicas
  bespin.platform.eks_addon:
    cluster_name: petclinic
    name: coredns
    addon_version: default
    configuration_values:
      replicaCount: 2
    resolve_conflicts_on_create: OVERWRITE
    resolve_conflicts_on_update: PRESERVE

- name: VPC CNI at the latest compatible version, its role through Pod Identity
  bespin.platform.eks_addon:
    cluster_name: petclinic
    name: vpc-cni
    addon_version: latest
    configuration_values:
      enableNetworkPolicy: "true"
    pod_identity_associations:
      aws-node: arn:aws:iam::123456789012:role/petclinic-vpc-cni
    tags:
      team: platform

- name: Start the EBS CSI driver's installation without waiting for it
  bespin.platform.eks_addon:
    cluster_name: petclinic
    name: aws-ebs-csi-driver
    service_account_role_arn: arn:aws:iam::123456789012:role/petclinic-ebs-csi
    wait: false

- name: A wave of add-ons in one task, waited for together
  bespin.platform.eks_addon:
    cluster_name: petclinic
    addons:
      - name: eks-pod-identity-agent
      - name: coredns
        addon_version: default
        configuration_values: {replicaCount: 2}
      - name: kube-proxy
        state: absent
        preserve: true
    resolve_conflicts_on_update: PRESERVE

- name: Stop managing kube-proxy with EKS, leaving it running on the cluster
  bespin.platform.eks_addon:
    cluster_name: petclinic
    name: kube-proxy
    state: absent
    preserve: true
"""

RETURN = r"""
addons:
  description:
    - With O(addons), one result per item, in order; each has C(name), C(changed), C(addon) and, as with O(name),
      C(addon_update) and C(diff) where they apply, or C(failed) and C(msg).
  returned: with O(addons)
  type: list
  elements: dict
  sample: [{"name": "coredns", "changed": false, "addon": {"addon_name": "coredns", "status": "ACTIVE"}}]
addon:
  description:
    - The add-on as EKS describes it after the run (in check mode, before it), keys in snake case.
    - Empty when the add-on does not exist.
  returned: with O(name)
  type: dict
  contains:
    addon_name:
      description: Name of the add-on.
      type: str
      sample: vpc-cni
    cluster_name:
      description: Name of the cluster.
      type: str
      sample: petclinic
    status:
      description: C(CREATING), C(ACTIVE), C(UPDATING), C(DELETING), C(DEGRADED) or a C(*_FAILED) state.
      type: str
      sample: ACTIVE
    addon_version:
      description: The installed version.
      type: str
      sample: v1.20.4-eksbuild.2
    addon_arn:
      description: ARN of the add-on.
      type: str
      sample: arn:aws:eks:ap-northeast-2:123456789012:addon/petclinic/vpc-cni/0a1b2c3d-4e5f-6789-abcd-ef0123456789
    configuration_values:
      description: The configuration values, as a mapping (EKS holds them as a JSON or YAML string).
      type: dict
      sample: {"enableNetworkPolicy": "true"}
    service_account_role_arn:
      description: IAM role of the add-on's service account, when one is set.
      type: str
      sample: arn:aws:iam::123456789012:role/petclinic-ebs-csi
    pod_identity_associations:
      description: ARNs of the Pod Identity associations the add-on owns.
      type: list
      elements: str
      sample: ["arn:aws:eks:ap-northeast-2:123456789012:podidentityassociation/petclinic/a-0123456789abcdefg"]
    health:
      description: Health issues EKS reports (C(issues), each with C(code), C(message) and C(resource_ids)).
      type: dict
      sample: {"issues": []}
    tags:
      description: Tags of the add-on (keys kept as they are).
      type: dict
      sample: {"team": "platform"}
    created_at:
      description: When the add-on was created (ISO 8601).
      type: str
      sample: "2026-11-22T06:26:15.624285+00:00"
    modified_at:
      description: When the add-on was last changed (ISO 8601).
      type: str
      sample: "2026-11-22T06:26:15.624285+00:00"
    owner:
      description: Owner of the add-on.
      type: str
      sample: aws
    publisher:
      description: Publisher of the add-on.
      type: str
      sample: eks
addon_update:
  description: The update EKS started, as UpdateAddon answered it (its C(id), C(params) and C(status)).
  returned: when the add-on was updated
  type: dict
  sample: {"id": "8f0c4a6e-1111-4b7e-9d3f-0123456789ab", "status": "InProgress", "type": "AddonUpdate"}
"""

from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.common.text.converters import to_native

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # AnsibleAWSModule reports the missing SDK
    BotoCoreError = ClientError = Exception

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.bespin.platform.plugins.module_utils.addon_config import (
    ConfigurationError,
    validate_configuration,
)
from ansible_collections.bespin.platform.plugins.module_utils.eks_addon_api import (
    TRANSITIONAL_STATES,
    UNHEALTHY_STATES,
    EksAddonApi,
    MissingCluster,
    WaitTimeout,
    eks_client,
    health_summary,
)
from ansible_collections.bespin.platform.plugins.module_utils.eks_addon_plan import (
    SETTINGS,
    RequestError,
    create_parameters,
    current_settings,
    desired_settings,
    diff_view,
    plan_update,
    settings_after,
    settings_for_create,
    update_parameters,
    validate_pod_identity_accounts,
    validate_request,
)
from ansible_collections.bespin.platform.plugins.module_utils.eks_addon_versions import (
    VersionError,
    resolve_version,
    summarise,
)
from ansible_collections.bespin.platform.plugins.module_utils.eks_addon_view import addon_view, update_view

RESOLVE_CONFLICTS = ["NONE", "OVERWRITE", "PRESERVE"]


# The options each item of O(addons) may set for its add-on.
PER_ADDON_OPTIONS = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"]),
    addon_version=dict(type="str"),
    configuration_values=dict(type="dict"),
    service_account_role_arn=dict(type="str"),
    pod_identity_associations=dict(type="dict"),
    preserve=dict(type="bool"),
)


def argument_spec():
    return dict(
        cluster_name=dict(type="str", required=True),
        name=dict(type="str", aliases=["addon_name"]),
        addons=dict(type="list", elements="dict", options=PER_ADDON_OPTIONS),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        addon_version=dict(type="str"),
        configuration_values=dict(type="dict"),
        resolve_conflicts_on_create=dict(type="str", choices=RESOLVE_CONFLICTS),
        resolve_conflicts_on_update=dict(type="str", choices=RESOLVE_CONFLICTS),
        service_account_role_arn=dict(type="str"),
        pod_identity_associations=dict(type="dict"),
        preserve=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1200),
    )


class AddonFailed(Exception):
    """The add-on's request failed; `extra` is what the task result reports beside the message."""

    def __init__(self, message, **extra):
        super().__init__(message)
        self.extra = {key: value for key, value in extra.items() if value is not None}


class AddonRequest:
    """One add-on's request: `params` are the module's options for it (one item of O(addons), merged over the
    module-level ones, in batch mode); `check_mode` says whether it may write."""

    def __init__(self, module, api, params=None, check_mode=None):
        self.module = module
        self.api = api
        self.params = params if params is not None else module.params
        self.check_mode = module.check_mode if check_mode is None else check_mode
        self.cluster = self.params["cluster_name"]
        self.name = self.params["name"]

    def fail(self, message, **extra):
        raise AddonFailed(message, **extra)

    # Reads and checks ----------------------------------------------------------------------------

    def catalogue_entry(self, kubernetes_version):
        entries = self.api.catalogue(kubernetes_version, self.name)
        entry = next((e for e in entries if e["addonName"] == self.name), None)
        if entry is not None:
            return entry
        elsewhere = sorted(
            {
                compatibility["clusterVersion"]
                for e in self.api.catalogue(name=self.name)
                if e["addonName"] == self.name
                for v in e.get("addonVersions", [])
                for compatibility in v.get("compatibilities", [])
            }
        )
        if elsewhere:
            raise RequestError(
                f"name: add-on {self.name} has no version for Kubernetes {kubernetes_version} "
                f"(it has versions for Kubernetes {', '.join(elsewhere)})"
            )
        offered = sorted({e["addonName"] for e in self.api.catalogue(kubernetes_version)})
        raise RequestError(
            f"name: {self.name!r} is not an EKS add-on; add-ons for Kubernetes {kubernetes_version}: "
            + ", ".join(offered)
        )

    def check_configuration(self, target_version, current):
        """Validate the configuration the add-on will run with, and the Pod Identity service accounts."""
        params = self.params
        values, field = params["configuration_values"], "configuration_values"
        version_changes = current is not None and current["addon_version"] != target_version
        if values is None and version_changes and current["configuration_values"]:
            values, field = current["configuration_values"], "configuration_values (the add-on's current values)"
        wanted_accounts = params["pod_identity_associations"] or {}
        if values is None and not wanted_accounts:
            return
        configuration = self.api.configuration(self.name, target_version)
        if values is not None:
            validate_configuration(values, configuration.get("configurationSchema"), self.name, target_version, field)
        supported = [c["serviceAccount"] for c in configuration.get("podIdentityConfiguration") or []]
        validate_pod_identity_accounts(wanted_accounts, supported, self.name, target_version)

    def check_association_conflicts(self, namespace, accounts, owner_arn):
        """A service account can have one association; one the add-on does not own makes EKS refuse the write."""
        for account in sorted(accounts):
            for association in self.api.associations_for(self.cluster, namespace, account):
                if association.get("ownerArn") != owner_arn or owner_arn is None:
                    raise RequestError(
                        f"pod_identity_associations.{account}: service account {namespace}/{account} already has "
                        f"Pod Identity association {association['associationId']}, not owned by add-on {self.name}; "
                        "delete it first or leave this service account out"
                    )

    # Waiting -------------------------------------------------------------------------------------

    def wait(self, until_gone=False, changed=True, **result):
        try:
            return self.api.wait(self.cluster, self.name, self.params["wait_timeout"], until_gone=until_gone)
        except WaitTimeout as timeout:
            addon = timeout.addon
            self.fail(
                f"add-on {self.name} is still {addon['status']} after {self.params['wait_timeout']} seconds "
                f"(health: {health_summary(addon)})",
                changed=changed,
                addon=addon_view(addon),
                **result,
            )

    def judge_health(self, addon, changed, **result):
        if not addon or addon["status"] not in UNHEALTHY_STATES:
            return
        message = f"add-on {self.name} is {addon['status']}: {health_summary(addon)}"
        if changed:
            self.fail(message, changed=True, addon=addon_view(addon), **result)
        self.module.warn(message)

    # States --------------------------------------------------------------------------------------

    def absent(self, current):
        shown = ("addon_version", "configuration_values", "service_account_role_arn")
        if current is None or current["status"] == "DELETING":
            addon = current
            if current is not None and self.params["wait"] and not self.check_mode:
                addon = self.wait(until_gone=True, changed=False)
            return self.finish(False, addon, {}, {})
        before = diff_view(current_settings(current, {}), shown)
        if self.check_mode:
            return self.finish(True, current, before, {})
        self.api.delete_addon(self.cluster, self.name, self.params["preserve"])
        addon = self.api.describe_addon(self.cluster, self.name)
        if self.params["wait"]:
            addon = self.wait(until_gone=True)
            if addon is not None:
                self.fail(
                    f"add-on {self.name} could not be deleted: {addon['status']}: {health_summary(addon)}",
                    changed=True,
                    addon=addon_view(addon),
                )
        return self.finish(True, addon, before, {})

    def present(self, kubernetes_version, current):
        params = self.params
        if current is not None and current["status"] == "DELETING":
            if not self.check_mode:
                left = self.wait(until_gone=True, changed=False)
                if left is not None:
                    self.fail(
                        f"add-on {self.name} is being deleted and its deletion stopped at {left['status']}: "
                        f"{health_summary(left)}",
                        addon=addon_view(left),
                    )
            current = None  # it will be created again
        entry = self.catalogue_entry(kubernetes_version)
        summary = summarise(entry, kubernetes_version)
        requested = params["addon_version"] or (None if current else "default")
        version = resolve_version(requested, summary) if requested else None

        owned = {}
        if current is not None and params["pod_identity_associations"] is not None:
            owned = self.api.owned_associations(self.cluster, current)
        before = current_settings(current, owned) if current else None
        desired = desired_settings(params, version)
        target_version = version or before["addon_version"]
        self.check_configuration(target_version, before)

        shown = ["addon_version", *(key for key in SETTINGS[1:] if desired[key] is not None)]
        if params["tags"] is not None:
            shown.append("tags")
        if current is None:
            return self.create(desired, shown, entry)
        return self.update(current, before, desired, shown, entry)

    def create(self, desired, shown, entry):
        params = self.params
        if desired["pod_identity_associations"]:
            namespace = entry.get("defaultNamespace") or "kube-system"
            self.check_association_conflicts(namespace, desired["pod_identity_associations"], None)
        after = diff_view(settings_for_create(desired), shown)
        if self.check_mode:
            return self.finish(True, None, {}, after)
        request = create_parameters(self.cluster, self.name, desired, params["resolve_conflicts_on_create"])
        addon = self.api.create_addon(**request)
        if params["wait"]:
            addon = self.wait(diff=self.diff({}, after))
            self.judge_health(addon, True, diff=self.diff({}, after))
        return self.finish(True, addon, {}, after)

    def update(self, current, before, desired, shown, entry):
        params = self.params
        changes, tags_to_set, tags_to_remove = plan_update(before, desired, params["purge_tags"])
        if changes.get("pod_identity_associations"):
            namespace = (current.get("namespaceConfig") or {}).get("namespace") or entry.get("defaultNamespace")
            self.check_association_conflicts(namespace, changes["pod_identity_associations"], current["addonArn"])
        changed = bool(changes or tags_to_set or tags_to_remove)
        after_settings = settings_after(before, changes, tags_to_set, tags_to_remove)
        diff_before, diff_after = diff_view(before, shown), diff_view(after_settings, shown)
        if self.check_mode:
            return self.finish(changed, current, diff_before, diff_after)

        addon, update = current, None
        busy = current["status"] in TRANSITIONAL_STATES
        if changes and busy:
            addon = self.wait(changed=False)  # EKS refuses to update an add-on that is mid-transition
        if changes:
            request = update_parameters(self.cluster, self.name, changes, params["resolve_conflicts_on_update"])
            update = update_view(self.api.update_addon(**request))
        if tags_to_remove:
            self.api.untag(current["addonArn"], tags_to_remove)
        if tags_to_set:
            self.api.tag(current["addonArn"], tags_to_set)
        extra = {"addon_update": update} if update else {}
        if params["wait"] and (changes or addon["status"] in TRANSITIONAL_STATES):
            addon = self.wait(changed=changed, diff=self.diff(diff_before, diff_after), **extra)
        elif changed:
            addon = self.api.describe_addon(self.cluster, self.name)
        if params["wait"]:
            self.judge_health(addon, bool(changes), diff=self.diff(diff_before, diff_after), **extra)
        return self.finish(changed, addon, diff_before, diff_after, **extra)

    def diff(self, before, after):
        return dict(before=before, after=after) if self.module._diff else None

    def finish(self, changed, addon, before, after, **extra):
        result = dict(changed=changed, addon=addon_view(addon), **extra)
        if self.module._diff:
            result["diff"] = dict(before=before, after=after)
        return result

    def run(self, kubernetes_version=None):
        """The task result for this add-on; raises AddonFailed (or a planning error) when it fails."""
        validate_request(self.params)
        kubernetes_version = kubernetes_version or self.api.cluster_version(self.cluster)
        current = self.api.describe_addon(self.cluster, self.name)
        if self.params["state"] == "absent":
            return self.absent(current)
        return self.present(kubernetes_version, current)


PLANNING_ERRORS = (RequestError, VersionError, ConfigurationError, MissingCluster, AddonFailed)


def run_one(module, api):
    try:
        module.exit_json(**AddonRequest(module, api).run())
    except AddonFailed as exc:
        module.fail_json(msg=str(exc), **exc.extra)
    except PLANNING_ERRORS as exc:
        module.fail_json(msg=str(exc))
    except (ClientError, BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"EKS refused or failed a call for add-on {module.params['name']}")


def addon_params(module, index):
    """The options of O(addons[index]): its own, over the module-level ones."""
    shared = {key: value for key, value in module.params.items() if key != "addons"}
    own = {key: value for key, value in module.params["addons"][index].items() if value is not None}
    return {**shared, **own}


def run_many(module, api):
    """Every add-on of O(addons) in one process: all planned and checked (read calls only) before the first
    write, then written and waited for at the same time, one thread each, so the batch takes its slowest
    add-on's time rather than the sum."""
    addons = module.params["addons"]
    names = [item["name"] for item in addons]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        module.fail_json(msg=f"addons: each add-on may be listed once; listed more than once: {', '.join(duplicated)}")
    try:
        kubernetes_version = api.cluster_version(module.params["cluster_name"])
    except MissingCluster as exc:
        module.fail_json(msg=str(exc))
    except (ClientError, BotoCoreError) as exc:
        module.fail_json_aws(exc, msg="EKS refused or failed to describe the cluster")

    def attempt(index, check_mode):
        request = AddonRequest(module, api, addon_params(module, index), check_mode=check_mode)
        try:
            return dict(name=request.name, **request.run(kubernetes_version))
        except AddonFailed as exc:
            return dict(name=request.name, failed=True, msg=f"addons[{index}] ({request.name}): {exc}", **exc.extra)
        except PLANNING_ERRORS as exc:
            return dict(name=request.name, failed=True, msg=f"addons[{index}] ({request.name}): {exc}")
        except (ClientError, BotoCoreError) as exc:
            return dict(name=request.name, failed=True, msg=f"addons[{index}] ({request.name}): EKS refused or "
                        f"failed a call: {to_native(exc)}")  # fmt: skip

    def outcome(results):
        failed = [result for result in results if result.get("failed")]
        changed = any(result.get("changed") for result in results)
        if failed:
            module.fail_json(msg="; ".join(result["msg"] for result in failed), changed=changed, addons=results)
        module.exit_json(changed=changed, addons=results)

    planned = [attempt(index, check_mode=True) for index in range(len(addons))]
    if module.check_mode or any(result.get("failed") for result in planned):
        outcome(planned)
    with ThreadPoolExecutor(max_workers=len(addons)) as pool:
        outcome(list(pool.map(lambda index: attempt(index, check_mode=False), range(len(addons)))))


def main():
    module = AnsibleAWSModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[("name", "addons")],
        required_one_of=[("name", "addons")],
        supports_check_mode=True,
    )
    api = EksAddonApi(eks_client(module))
    if module.params["addons"] is None:
        run_one(module, api)
    elif module.params["addons"]:
        run_many(module, api)
    else:
        module.exit_json(changed=False, addons=[])


if __name__ == "__main__":
    main()
