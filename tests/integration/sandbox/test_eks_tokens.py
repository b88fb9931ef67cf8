"""The sandbox authenticates EKS bearer tokens as EKS does: a presigned STS request for this cluster."""

from __future__ import annotations

import base64

import boto3
import pytest
from kubernetes import client

from ansible_collections.bespin.platform.plugins.module_utils.eks_token import TOKEN_PREFIX, bearer_token
from bespin_sandbox import topology as topologies

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def cluster(sandbox):
    name = topologies.load(sandbox.layout.topology_file).cluster_name
    return boto3.client("eks").describe_cluster(name=name)["cluster"]


def who_am_i(cluster, tmp_path, token):
    ca = tmp_path / "ca.pem"
    ca.write_bytes(base64.b64decode(cluster["certificateAuthority"]["data"]))
    configuration = client.Configuration(host=cluster["endpoint"], api_key={"authorization": f"Bearer {token}"})
    configuration.ssl_ca_cert = str(ca)
    with client.ApiClient(configuration) as api:
        review = client.AuthenticationV1Api(api).create_self_subject_review({"metadata": {}})
    return review.status.user_info


def test_describe_cluster_gives_the_sandbox_api_and_a_token_for_it_authenticates(cluster, tmp_path):
    assert cluster["endpoint"].startswith("https://127.0.0.1:")
    user = who_am_i(cluster, tmp_path, bearer_token(boto3.client("sts"), cluster["name"]))
    account = boto3.client("sts").get_caller_identity()["Account"]
    assert user.username == f"arn:aws:iam::{account}:root"
    assert "system:masters" in user.groups


@pytest.mark.parametrize("forgery", ["other cluster", "tampered", "not a token"])
def test_tokens_for_another_cluster_or_tampered_are_refused(cluster, tmp_path, forgery):
    token = bearer_token(boto3.client("sts"), "other-cluster" if forgery == "other cluster" else cluster["name"])
    if forgery == "tampered":
        url = base64.urlsafe_b64decode(token.removeprefix(TOKEN_PREFIX) + "==").decode()
        forged = url.replace("Action=GetCallerIdentity", "Action=GetCallerIdentity&Extra=1")
        token = TOKEN_PREFIX + base64.urlsafe_b64encode(forged.encode()).decode().rstrip("=")
    if forgery == "not a token":
        token = TOKEN_PREFIX + "bm90IGEgdXJs"  # "not a url"
    with pytest.raises(client.ApiException) as refused:
        who_am_i(cluster, tmp_path, token)
    assert refused.value.status == 401
