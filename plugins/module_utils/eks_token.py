# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connect to an EKS cluster's Kubernetes API from AWS credentials alone.

EKS authenticates a bearer token made of a presigned STS GetCallerIdentity
URL that signs the cluster name in the x-k8s-aws-id header; `aws eks
get-token` makes one, but needs the aws CLI. boto3 can presign the same
request, so we do it here: endpoint and CA from DescribeCluster, token from
STS, nothing else installed.
"""

import base64

TOKEN_PREFIX = "k8s-aws-v1."  # noqa: S105 - a format marker, not a secret
CLUSTER_ID_HEADER = "x-k8s-aws-id"
# What `aws eks get-token` asks for; EKS honours a token for 15 minutes from signing anyway.
PRESIGN_SECONDS = 60


def bearer_token(sts_client, cluster_name):
    """A token EKS accepts for `cluster_name`, signed with the client's credentials."""

    def sign_cluster_name(request, **_kwargs):
        request.headers[CLUSTER_ID_HEADER] = cluster_name

    events = sts_client.meta.events
    events.register_first("before-sign.sts.GetCallerIdentity", sign_cluster_name)
    try:
        url = sts_client.generate_presigned_url(
            "get_caller_identity", Params={}, ExpiresIn=PRESIGN_SECONDS, HttpMethod="GET"
        )
    finally:
        events.unregister("before-sign.sts.GetCallerIdentity", sign_cluster_name)
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def cluster_connection(eks_client, sts_client, cluster_name):
    """`(endpoint, ca_pem, token)` for the cluster; the CA is PEM text."""
    cluster = eks_client.describe_cluster(name=cluster_name)["cluster"]
    if cluster.get("status") not in (None, "ACTIVE", "UPDATING"):
        raise ValueError(f"cluster {cluster_name} is {cluster['status']}, not ACTIVE")
    ca_pem = base64.b64decode(cluster["certificateAuthority"]["data"]).decode()
    return cluster["endpoint"], ca_pem, bearer_token(sts_client, cluster_name)
