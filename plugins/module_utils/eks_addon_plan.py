# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an eks_addon request changes: the request's own checks, the settings compared, the API parameters.

Pure functions over the module's parameters and EKS's descriptions, so the
rules (only what the user set is compared and sent, configuration compared as
data, owned Pod Identity associations compared as a mapping) are unit-tested
without an endpoint.
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.bespin.platform.plugins.module_utils.addon_config import (
    parse_configuration,
    serialise_configuration,
)

# IAM role ARN in any partition, with an optional path (IAM's own limits on the name characters).
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
ROLE_ARN_FORM = "arn:aws:iam::<account>:role/<name>"
# A Kubernetes service account name is a DNS subdomain.
SERVICE_ACCOUNT = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
SETTINGS = ("addon_version", "configuration_values", "service_account_role_arn", "pod_identity_associations")
API_NAMES = {
    "addon_version": "addonVersion",
    "configuration_values": "configurationValues",
    "service_account_role_arn": "serviceAccountRoleArn",
    "pod_identity_associations": "podIdentityAssociations",
}


class RequestError(ValueError):
    """A request EKS would refuse; the message starts with the option at fault."""


def validate_request(params):
    """The checks that need no call to AWS. Raises RequestError naming the option."""
    if params.get("resolve_conflicts_on_create") == "PRESERVE":
        raise RequestError(
            "resolve_conflicts_on_create: PRESERVE applies to updates only; EKS refuses it when creating an add-on "
            "(use NONE or OVERWRITE, and PRESERVE in resolve_conflicts_on_update)"
        )
    if params.get("wait_timeout") is not None and params["wait_timeout"] <= 0:
        raise RequestError(f"wait_timeout: {params['wait_timeout']} must be a positive number of seconds")
    role = params.get("service_account_role_arn")
    if role and not ROLE_ARN.match(role):
        raise RequestError(f"service_account_role_arn: {role!r} is not an IAM role ARN ({ROLE_ARN_FORM})")
    for account, role_arn in (params.get("pod_identity_associations") or {}).items():
        field = f"pod_identity_associations.{account}"
        if not SERVICE_ACCOUNT.match(str(account)) or len(str(account)) > 253:
            raise RequestError(f"{field}: {account!r} is not a Kubernetes service account name")
        if not isinstance(role_arn, str) or not ROLE_ARN.match(role_arn):
            raise RequestError(f"{field}: {role_arn!r} is not an IAM role ARN ({ROLE_ARN_FORM})")


def validate_pod_identity_accounts(wanted, supported, addon_name, addon_version):
    """Pod Identity works only for the service accounts DescribeAddonConfiguration lists for the add-on."""
    unknown = sorted(set(wanted) - set(supported))
    if unknown:
        allowed = ", ".join(sorted(supported)) or "none"
        raise RequestError(
            f"pod_identity_associations.{unknown[0]}: add-on {addon_name} {addon_version} takes Pod Identity "
            f"associations only for these service accounts: {allowed}"
        )


def current_settings(addon, owned_associations):
    """The comparable settings of an add-on as EKS describes it."""
    return dict(
        addon_version=addon.get("addonVersion"),
        configuration_values=parse_configuration(addon.get("configurationValues")),
        service_account_role_arn=addon.get("serviceAccountRoleArn") or None,
        pod_identity_associations=dict(owned_associations),
        tags=dict(addon.get("tags") or {}),
    )


def desired_settings(params, addon_version):
    """The settings the user asked for; None where an option was not set (left as it is)."""
    return dict(
        addon_version=addon_version,
        configuration_values=params.get("configuration_values"),
        service_account_role_arn=params.get("service_account_role_arn"),
        pod_identity_associations=params.get("pod_identity_associations"),
        tags=params.get("tags"),
    )


def _same(key, current, wanted):
    if key == "service_account_role_arn":
        return (current or "") == (wanted or "")  # "" asks for no role, which EKS describes by leaving it out
    return current == wanted


def plan_update(current, desired, purge_tags=True):
    """What to change on an existing add-on: {setting: new value}, tags to set, tag keys to remove."""
    changes = {
        key: desired[key]
        for key in SETTINGS
        if desired.get(key) is not None and not _same(key, current.get(key), desired[key])
    }
    tags_to_set, tags_to_remove = {}, []
    if desired.get("tags") is not None:
        tags_to_set, tags_to_remove = compare_aws_tags(current.get("tags") or {}, desired["tags"], purge_tags)
    return changes, tags_to_set, sorted(tags_to_remove)


def settings_after(current, changes, tags_to_set, tags_to_remove):
    after = dict(current, **changes)
    tags = {k: v for k, v in (current.get("tags") or {}).items() if k not in tags_to_remove}
    tags.update(tags_to_set)
    after["tags"] = tags
    return after


def settings_for_create(desired):
    """The state a new add-on will have: unset options as EKS leaves them."""
    return dict(
        addon_version=desired["addon_version"],
        configuration_values=desired.get("configuration_values") or {},
        service_account_role_arn=desired.get("service_account_role_arn") or None,
        pod_identity_associations=desired.get("pod_identity_associations") or {},
        tags=desired.get("tags") or {},
    )


def diff_view(settings, shown):
    """The settings shown in --diff: the version and every option the user manages."""
    return {key: settings.get(key) for key in shown} if settings else {}


def _associations_param(mapping):
    return [{"serviceAccount": account, "roleArn": role} for account, role in sorted(mapping.items())]


def create_parameters(cluster, name, desired, resolve_conflicts=None):
    params = dict(clusterName=cluster, addonName=name, addonVersion=desired["addon_version"])
    if desired.get("configuration_values"):
        params["configurationValues"] = serialise_configuration(desired["configuration_values"])
    if desired.get("service_account_role_arn"):
        params["serviceAccountRoleArn"] = desired["service_account_role_arn"]
    if desired.get("pod_identity_associations"):
        params["podIdentityAssociations"] = _associations_param(desired["pod_identity_associations"])
    if desired.get("tags"):
        params["tags"] = desired["tags"]
    if resolve_conflicts:
        params["resolveConflicts"] = resolve_conflicts
    return params


def update_parameters(cluster, name, changes, resolve_conflicts=None):
    params = dict(clusterName=cluster, addonName=name)
    for key, value in changes.items():
        if key == "configuration_values":
            value = serialise_configuration(value)
        elif key == "pod_identity_associations":
            value = _associations_param(value)  # the whole set: EKS replaces the add-on's associations
        params[API_NAMES[key]] = value
    if resolve_conflicts:
        params["resolveConflicts"] = resolve_conflicts
    return params


def wave_requests(wave, iam_mode, iam_profiles, role_arns):
    """eks_addon's O(addons) items for a wave of the eks_addons role's managed add-ons (name, version,
    configuration, iam: the profile whose role the add-on assumes, by IRSA or Pod Identity)."""
    requests = []
    for addon in wave:
        request = {
            "name": addon["name"],
            "state": addon.get("state", "present"),
            "addon_version": addon.get("version", "default"),
        }
        if "configuration" in addon:
            request["configuration_values"] = addon["configuration"]
        profile = addon.get("iam")
        if profile is not None:
            if profile not in role_arns or profile not in iam_profiles:
                raise RequestError(f"{addon['name']}: iam: no IAM role was made for profile {profile!r}")
            if iam_mode == "irsa":
                request["service_account_role_arn"] = role_arns[profile]
            elif iam_mode == "pod_identity":
                request["pod_identity_associations"] = {iam_profiles[profile]["service_account"]: role_arns[profile]}
        requests.append(request)
    return requests
