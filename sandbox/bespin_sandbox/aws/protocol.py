"""What an AWS request is: its service, region, protocol and API operation.

Read from the SigV4 credential scope, the X-Amz-Target header, the query
protocol's Action parameter, or (for REST APIs) by matching the method and
path against the operation's requestUri in botocore's service model, so the
names we journal and the errors we fake are the ones botocore knows.
"""

from __future__ import annotations

import functools
import io
import json
import re
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.exceptions import UnknownServiceError

READ_PREFIXES = ("Describe", "List", "Get", "BatchGet")
# Signing names that differ from botocore's service names.
_SERVICE_ALIASES = {"monitoring": "cloudwatch", "email": "ses", "states": "stepfunctions"}
_CREDENTIAL = re.compile(r"Credential=([^/]+)/\d+/([^/]+)/([^/]+)/aws4_request")
_session = botocore.session.get_session()


@dataclass(frozen=True)
class AwsRequest:
    service: str  # the signing name: ec2, eks, iam, route53...
    region: str
    access_key: str | None
    protocol: str  # ec2, query, json, rest-json, rest-xml, smithy-rpc-v2-cbor
    operation: str  # the API operation, e.g. CreateAddon; the HTTP method when unknown
    method: str

    @property
    def is_read(self) -> bool:
        # A REST API's reads are GETs, but for some that take a body (Route53's ListTagsForResources is a POST).
        if self.protocol.startswith("rest-") and self.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return self.operation.startswith(READ_PREFIXES)


@functools.cache
def _model(service: str) -> Any | None:
    try:
        return _session.get_service_model(_SERVICE_ALIASES.get(service, service))
    except UnknownServiceError:
        return None


@functools.cache
def _rest_routes(service: str) -> list[tuple[str, re.Pattern, dict[str, str], str]]:
    """(method, path pattern, required query literals, operation), most specific first."""
    model = _model(service)
    routes = []
    for name in model.operation_names if model else []:
        http = model.operation_model(name).http
        path, _, query = http["requestUri"].partition("?")
        pattern = re.sub(r"\\\{[^}]+\\\+\\\}", ".+", re.escape(path))  # {Key+}: greedy, slashes allowed
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        required = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        routes.append((http["method"], re.compile(f"^{pattern}/?$"), required, name))
    routes.sort(key=lambda r: (-len(r[2]), -len(r[1].pattern.replace("[^/]+", "").replace(".+", ""))))
    return routes


def form_params(environ: dict) -> dict[str, str]:
    """The query protocol's parameters (body or query string); the body is put back for moto."""
    params = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        params.update(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
    return params


def identify(environ: dict) -> AwsRequest | None:
    """None for requests that are not signed AWS API calls (moto's own API, health checks)."""
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if not match:
        return None
    access_key, region, service = match.groups()
    method = environ.get("REQUEST_METHOD", "GET")
    # The path as sent: a label such as an ARN keeps its slashes encoded, so it stays one segment.
    path = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")).split("?", 1)[0]
    model = _model(service)
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return AwsRequest(service, region, access_key, "json", target.rsplit(".", 1)[-1], method)
    if environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor":
        return AwsRequest(service, region, access_key, "smithy-rpc-v2-cbor", path.rsplit("/", 1)[-1], method)
    action = form_params(environ).get("Action")
    if action:
        return AwsRequest(service, region, access_key, "ec2" if service == "ec2" else "query", action, method)
    protocol = "rest-xml" if model is not None and model.protocol == "rest-xml" else "rest-json"
    query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    for route_method, pattern, required, name in _rest_routes(service):
        if route_method == method and pattern.match(path) and all(k in query for k in required):
            return AwsRequest(service, region, access_key, protocol, name, method)
    return AwsRequest(service, region, access_key, protocol, method, method)


# Errors in each protocol's shape ------------------------------------------------------

_FAULTS = {
    # fault: (status, code per protocol family)
    "throttling": {
        "ec2": (400, "RequestLimitExceeded"),
        "query": (400, "Throttling"),
        "json": (400, "ThrottlingException"),
        "rest-json": (429, "TooManyRequestsException"),
        "rest-xml": (400, "Throttling"),
        "s3": (503, "SlowDown"),
    },
    "error500": {"json": (500, "InternalFailure"), "rest-json": (500, "InternalFailure"), "*": (500, "InternalError")},
    "error503": {"*": (503, "ServiceUnavailable")},
}
_MESSAGES = {
    "throttling": "Rate exceeded",
    "error500": "We encountered an internal error. Please try again.",
    "error503": "Service is unavailable. Please try again.",
}


def fault_response(request: AwsRequest, fault: str) -> tuple[int, list[tuple[str, str]], bytes]:
    family = "s3" if request.service == "s3" and fault == "throttling" else request.protocol
    table = _FAULTS[fault]
    status, code = table.get(family) or table.get("*") or table["json"]
    return error_response(request, status, code, _MESSAGES[fault])


def error_response(request: AwsRequest, status: int, code: str, message: str) -> tuple[int, list, bytes]:
    request_id = str(uuid.uuid4())
    headers = [("x-amzn-RequestId", request_id)]
    if request.protocol in ("json", "rest-json"):
        content_type = "application/x-amz-json-1.1" if request.protocol == "json" else "application/json"
        body = json.dumps({"__type": code, "message": message}).encode()
        headers += [("Content-Type", content_type), ("x-amzn-ErrorType", code)]
        return status, headers, body
    if request.protocol == "smithy-rpc-v2-cbor":
        # A CBOR error body is more than a stand-in needs: an empty 503 is retried by every SDK.
        return 503, headers, b""
    if request.protocol == "ec2":
        xml = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
    elif request.service == "s3":
        xml = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"
    else:
        xml = (
            f"<ErrorResponse><Error><Type>{'Receiver' if status >= 500 else 'Sender'}</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + xml.encode()
    return status, [*headers, ("Content-Type", "text/xml")], body
