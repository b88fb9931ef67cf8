"""EKS bearer tokens, checked the way the EKS control plane checks them.

A token is ``k8s-aws-v1.`` + the base64url of an STS GetCallerIdentity URL
presigned with SigV4, with the cluster name as the signed ``x-k8s-aws-id``
header (what ``aws eks get-token`` makes). kube-apiserver sends every bearer
token it does not know to a TokenReview webhook; in EKS that webhook asks STS
whose signature it is. moto does not verify signatures, so we recompute the
signature with botocore's SigV4 signer for the credentials the sandbox hands
out and compare: a token made for another cluster, tampered with, or older
than 15 minutes is refused.
"""

from __future__ import annotations

import base64
import datetime
import hmac
import urllib.parse

from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .moto_bridge import account_for, eks_cluster_names

TOKEN_PREFIX = "k8s-aws-v1."  # noqa: S105 - a format marker, not a secret
CLUSTER_ID_HEADER = "x-k8s-aws-id"
# EKS accepts a token for 15 minutes after it was signed, whatever X-Amz-Expires says.
MAX_TOKEN_AGE = datetime.timedelta(minutes=15)
SANDBOX_CREDENTIALS = {"testing": "testing"}  # access key -> secret: the dummy pair `sandbox env` exports
ADMIN_GROUP = "system:masters"  # the cluster creator's access, as EKS grants it by default


class TokenRejected(Exception):
    pass


def review(token_review: dict, now: datetime.datetime | None = None) -> dict:
    """Answer a TokenReview (authentication.k8s.io/v1)."""
    token = (token_review.get("spec") or {}).get("token", "")
    try:
        status = {"authenticated": True, "user": authenticate(token, now)}
    except TokenRejected as exc:
        status = {"authenticated": False, "error": str(exc)}
    return {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "status": status}


def authenticate(token: str, now: datetime.datetime | None = None) -> dict:
    url = _decode(token)
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    if query.get("Action") != "GetCallerIdentity" or query.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        raise TokenRejected("not a presigned STS GetCallerIdentity request")
    signed_headers = query.get("X-Amz-SignedHeaders", "").split(";")
    if CLUSTER_ID_HEADER not in signed_headers:
        raise TokenRejected(f"the {CLUSTER_ID_HEADER} header is not signed")
    try:
        access_key, _day, region, service, _terminator = query["X-Amz-Credential"].split("/")
        signed_at = datetime.datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
        expires = int(query["X-Amz-Expires"])
        signature = query["X-Amz-Signature"]
    except (KeyError, ValueError) as exc:
        raise TokenRejected(f"malformed presigned URL: {exc}") from exc
    now = now or datetime.datetime.now(datetime.UTC)
    if service != "sts" or not now - MAX_TOKEN_AGE <= signed_at <= now + datetime.timedelta(minutes=5):
        raise TokenRejected("token expired or not signed for STS")
    secret = SANDBOX_CREDENTIALS.get(access_key)
    if secret is None:
        raise TokenRejected(f"unknown access key {access_key}")
    account = account_for(access_key)
    for cluster in eks_cluster_names(account, region):
        expected = _signature(parts, query, cluster, Credentials(access_key, secret), region, expires)
        if hmac.compare_digest(expected, signature):
            arn = f"arn:aws:iam::{account}:root"
            return {
                "username": arn,
                "uid": f"aws-iam-authenticator:{account}:{access_key}",
                "groups": [ADMIN_GROUP],
                "extra": {"arn": [arn], "accessKeyId": [access_key], "clusterName": [cluster]},
            }
    raise TokenRejected(f"signature does not match any cluster of account {account} in {region}")


def _decode(token: str) -> str:
    if not token.startswith(TOKEN_PREFIX):
        raise TokenRejected(f"not an EKS token (no {TOKEN_PREFIX} prefix)")
    encoded = token.removeprefix(TOKEN_PREFIX)
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise TokenRejected("token is not base64url") from exc


def _signature(parts, query: dict, cluster: str, credentials: Credentials, region: str, expires: int) -> str:
    """The SigV4 query signature a client holding `credentials` would have made for `cluster`."""
    unsigned = {k: v for k, v in query.items() if k != "X-Amz-Signature"}
    url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, urllib.parse.urlencode(unsigned), ""))
    request = AWSRequest(method="GET", url=url, headers={"host": parts.netloc, CLUSTER_ID_HEADER: cluster})
    request.context["timestamp"] = query["X-Amz-Date"]
    signer = SigV4QueryAuth(credentials, "sts", region, expires=expires)
    return signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
