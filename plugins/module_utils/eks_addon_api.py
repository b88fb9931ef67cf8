# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The EKS calls the add-on modules make, each retried with jittered backoff, and the wait for a settled add-on.

Retries are the collection's AWS policy (aws_retry.py) plus the codes the EKS
API itself uses for throttling and 5xx. botocore's EKS waiters poll at a
fixed pace and end in a generic error, hence the small polling loop here, with
growing jittered delays, that hands back the add-on so its health issues can be
reported.
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import (
    is_boto3_error_code,
    paginated_query_with_retries,
)
from ansible_collections.amazon.aws.plugins.module_utils.cloud import BackoffIterator

from ansible_collections.bespin.platform.plugins.module_utils.aws_retry import CLIENT_CONFIG, jittered_retry

# EKS's own codes for 5xx (ServerException, ServiceUnavailableException) and the JSON-protocol throttling code
# (ThrottlingException); AWSRetry's list has the generic ones only (TooManyRequestsException, Throttling, ...).
EKS_RETRYABLE_CODES = ["ServerException", "ServiceUnavailableException", "ThrottlingException"]
RETRY = jittered_retry(EKS_RETRYABLE_CODES)

TRANSITIONAL_STATES = ("CREATING", "UPDATING", "DELETING")
UNHEALTHY_STATES = ("CREATE_FAILED", "UPDATE_FAILED", "DELETE_FAILED", "DEGRADED")
NOT_FOUND = ("ResourceNotFoundException",)
# Polls while an add-on settles: 2 s, growing to at most 5 s. DescribeAddon is
# cheap (the AWS CLI's addon-active waiter polls every 10 s); a longer pause would
# only add to the wall time of a role that waits on several add-ons at once.
POLL_FIRST_DELAY = 2.0
POLL_MIN_DELAY = 1.0
POLL_MAX_DELAY = 5.0


class MissingCluster(LookupError):
    """No EKS cluster of that name in the client's region."""


class WaitTimeout(Exception):
    """The add-on did not settle in time; `addon` is what EKS last described."""

    def __init__(self, addon):
        super().__init__(f"add-on still {addon.get('status')}")
        self.addon = addon


def eks_client(module):
    return module.client("eks", retry_decorator=RETRY, config=CLIENT_CONFIG)


def association_id(association_arn):
    """arn:aws:eks:<region>:<account>:podidentityassociation/<cluster>/<id> -> <id>."""
    return association_arn.rsplit("/", 1)[-1]


def health_summary(addon):
    """`CODE: message (resources)` for each health issue of an add-on, joined for an error message."""
    issues = (addon.get("health") or {}).get("issues") or []
    parts = []
    for issue in issues:
        resources = ", ".join(issue.get("resourceIds") or [])
        parts.append(f"{issue.get('code')}: {issue.get('message')}" + (f" ({resources})" if resources else ""))
    return "; ".join(parts) or "no health issue reported"


class EksAddonApi:
    def __init__(self, client, sleep=time.sleep, clock=time.monotonic):
        self.client = client
        self.sleep = sleep
        self.clock = clock

    # Reads ---------------------------------------------------------------------------------

    def describe_cluster(self, cluster):
        """DescribeCluster's cluster; raises MissingCluster."""
        try:
            return self.client.describe_cluster(name=cluster, aws_retry=True)["cluster"]
        except is_boto3_error_code(NOT_FOUND):
            region = self.client.meta.region_name
            raise MissingCluster(f"cluster_name: there is no EKS cluster named {cluster!r} in {region}") from None

    def cluster_version(self, cluster):
        """The cluster's Kubernetes version; raises MissingCluster."""
        return self.describe_cluster(cluster)["version"]

    @property
    def region(self):
        return self.client.meta.region_name

    def describe_addon(self, cluster, name):
        try:
            return self.client.describe_addon(clusterName=cluster, addonName=name, aws_retry=True)["addon"]
        except is_boto3_error_code(NOT_FOUND):
            return None

    def addon_names(self, cluster):
        result = paginated_query_with_retries(self.client, "list_addons", retry_decorator=RETRY, clusterName=cluster)
        return result.get("addons", [])

    def catalogue(self, kubernetes_version=None, name=None):
        """DescribeAddonVersions' add-on entries; [] when EKS knows no such add-on."""
        params = {}
        if kubernetes_version:
            params["kubernetesVersion"] = kubernetes_version
        if name:
            params["addonName"] = name
        try:
            result = paginated_query_with_retries(
                self.client, "describe_addon_versions", retry_decorator=RETRY, **params
            )
        except is_boto3_error_code(["InvalidParameterException", *NOT_FOUND]):
            return []  # an unknown name is refused by some regions instead of answered with an empty list
        return result.get("addons", [])

    def configuration(self, name, version):
        """DescribeAddonConfiguration: the JSON schema text and the service accounts Pod Identity can serve."""
        return self.client.describe_addon_configuration(addonName=name, addonVersion=version, aws_retry=True)

    def owned_associations(self, cluster, addon):
        """The Pod Identity associations an add-on owns, as {service account: role ARN}."""
        owned = {}
        for arn in addon.get("podIdentityAssociations") or []:
            association = self.client.describe_pod_identity_association(
                clusterName=cluster, associationId=association_id(arn), aws_retry=True
            )["association"]
            owned[association["serviceAccount"]] = association["roleArn"]
        return owned

    def associations_for(self, cluster, namespace, service_account):
        result = paginated_query_with_retries(
            self.client,
            "list_pod_identity_associations",
            retry_decorator=RETRY,
            clusterName=cluster,
            namespace=namespace,
            serviceAccount=service_account,
        )
        return result.get("associations", [])

    # Writes --------------------------------------------------------------------------------

    def create_addon(self, **params):
        return self.client.create_addon(aws_retry=True, **params)["addon"]

    def update_addon(self, **params):
        return self.client.update_addon(aws_retry=True, **params)["update"]

    def delete_addon(self, cluster, name, preserve):
        return self.client.delete_addon(clusterName=cluster, addonName=name, preserve=preserve, aws_retry=True)

    def tag(self, arn, tags):
        self.client.tag_resource(resourceArn=arn, tags=tags, aws_retry=True)

    def untag(self, arn, keys):
        self.client.untag_resource(resourceArn=arn, tagKeys=keys, aws_retry=True)

    # Waiting -------------------------------------------------------------------------------

    def wait(self, cluster, name, timeout, until_gone=False):
        """Poll until the add-on leaves CREATING/UPDATING/DELETING (or, with until_gone, until it is deleted
        or its deletion stops). Returns the last description, None once gone; raises WaitTimeout."""
        deadline = self.clock() + timeout
        delays = iter(BackoffIterator(delay=POLL_FIRST_DELAY, backoff=1.5, max_delay=POLL_MAX_DELAY, jitter=True))
        while True:
            addon = self.describe_addon(cluster, name)
            if addon is None:
                return None
            settled = addon["status"] != "DELETING" if until_gone else addon["status"] not in TRANSITIONAL_STATES
            if settled:
                return addon
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise WaitTimeout(addon)
            self.sleep(min(max(POLL_MIN_DELAY, next(delays)), remaining))
