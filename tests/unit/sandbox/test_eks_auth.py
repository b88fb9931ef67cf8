"""Token checks that need no AWS state: shape and age of an EKS bearer token."""

from __future__ import annotations

import datetime

import boto3
import pytest

from ansible_collections.bespin.platform.plugins.module_utils.eks_token import bearer_token
from bespin_sandbox.aws import eks_auth


@pytest.fixture
def sts():
    return boto3.client(
        "sts",
        region_name="ap-northeast-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's dummy pair
    )


def test_a_token_signs_the_cluster_name_header(sts):
    token = bearer_token(sts, "petclinic")
    url = eks_auth._decode(token)
    assert "Action=GetCallerIdentity" in url
    assert "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id" in url
    assert "=" not in token.removeprefix(eks_auth.TOKEN_PREFIX)  # base64url without padding, as EKS expects


def test_a_token_older_than_15_minutes_is_refused(sts):
    token = bearer_token(sts, "petclinic")
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=16)
    answer = eks_auth.review({"spec": {"token": token}}, now=later)
    assert answer["status"] == {"authenticated": False, "error": "token expired or not signed for STS"}


@pytest.mark.parametrize("token", ["", "Bearer abc", "k8s-aws-v1.!!!"])
def test_garbage_is_refused_with_a_reason(token):
    answer = eks_auth.review({"spec": {"token": token}})
    assert answer["status"]["authenticated"] is False
    assert answer["status"]["error"]
