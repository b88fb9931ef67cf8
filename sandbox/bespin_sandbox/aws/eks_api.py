"""The EKS add-on and Pod Identity REST routes (rest-json, as in botocore's EKS service model)."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .eks_addons import AddonStore, EksError, Scope
from .moto_bridge import account_for
from .protocol import AwsRequest, error_response

# Each requestUri and method of the operations we serve; everything else on EKS goes to moto.
ROUTES = Map(
    [
        Rule("/clusters/<name>/addons", methods=["POST"], endpoint="CreateAddon"),
        Rule("/clusters/<name>/addons", methods=["GET"], endpoint="ListAddons"),
        Rule("/clusters/<name>/addons/<addon>", methods=["GET"], endpoint="DescribeAddon"),
        Rule("/clusters/<name>/addons/<addon>", methods=["DELETE"], endpoint="DeleteAddon"),
        Rule("/clusters/<name>/addons/<addon>/update", methods=["POST"], endpoint="UpdateAddon"),
        Rule("/addons/supported-versions", methods=["GET"], endpoint="DescribeAddonVersions"),
        Rule("/addons/configuration-schemas", methods=["GET"], endpoint="DescribeAddonConfiguration"),
        Rule("/clusters/<name>/pod-identity-associations", methods=["POST"], endpoint="CreatePodIdentityAssociation"),
        Rule("/clusters/<name>/pod-identity-associations", methods=["GET"], endpoint="ListPodIdentityAssociations"),
        Rule(
            "/clusters/<name>/pod-identity-associations/<association>",
            methods=["GET"],
            endpoint="DescribePodIdentityAssociation",
        ),
        Rule(
            "/clusters/<name>/pod-identity-associations/<association>",
            methods=["POST"],
            endpoint="UpdatePodIdentityAssociation",
        ),
        Rule(
            "/clusters/<name>/pod-identity-associations/<association>",
            methods=["DELETE"],
            endpoint="DeletePodIdentityAssociation",
        ),
        Rule("/clusters/<name>/updates/<update>", methods=["GET"], endpoint="DescribeUpdate"),
        Rule("/tags/<path:arn>", methods=["GET"], endpoint="ListTagsForResource"),
        Rule("/tags/<path:arn>", methods=["POST"], endpoint="TagResource"),
        Rule("/tags/<path:arn>", methods=["DELETE"], endpoint="UntagResource"),
    ],
    strict_slashes=False,
)
_LIST_PARAMS = ("types", "publishers", "owners", "tagKeys")


class EksAddonApi:
    def __init__(self, store: AddonStore):
        self.store = store

    def match(self, request: AwsRequest, environ: dict) -> Callable | None:
        """The handler for this request, or None to let moto serve it."""
        if request.service != "eks":
            return None
        try:
            endpoint, args = ROUTES.bind_to_environ(environ).match()
        except HTTPException:
            return None
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        if endpoint == "DescribeUpdate" and "addonName" not in query:
            return None  # cluster and nodegroup updates are moto's
        if endpoint.endswith(("TagResource", "TagsForResource")) and not self.store.owns_arn(
            urllib.parse.unquote(args["arn"])
        ):
            return None  # cluster and nodegroup tags are moto's
        return lambda start_response: self._serve(request, environ, endpoint, args, start_response)

    def _serve(self, request: AwsRequest, environ: dict, endpoint: str, args: dict, start_response) -> list[bytes]:
        http = Request(environ)
        query = {
            k: (v if k in _LIST_PARAMS else v[0]) for k, v in urllib.parse.parse_qs(http.query_string.decode()).items()
        }
        body = json.loads(http.get_data() or b"{}") if http.method == "POST" else {}
        scope = Scope(account_for(request.access_key), request.region)
        try:
            result = self._call(scope, endpoint, args, query, body)
            response = Response(json.dumps(result), status=200, content_type="application/json")
        except EksError as exc:
            status, headers, _ = error_response(request, exc.status, exc.code, exc.message)
            payload = json.dumps({"__type": exc.code, "message": exc.message, **exc.fields})
            response = Response(payload, status=status, headers=headers)
        return response(environ, start_response)

    def _call(self, scope: Scope, endpoint: str, args: dict, query: dict, body: dict) -> dict:
        store, cluster = self.store, args.get("name")
        match endpoint:
            case "CreateAddon":
                return store.create_addon(scope, cluster, body)
            case "ListAddons":
                return store.list_addons(scope, cluster, query.get("maxResults"), query.get("nextToken"))
            case "DescribeAddon":
                return store.describe_addon(scope, cluster, args["addon"])
            case "DeleteAddon":
                return store.delete_addon(scope, cluster, args["addon"], query.get("preserve") == "true")
            case "UpdateAddon":
                return store.update_addon(scope, cluster, args["addon"], body)
            case "DescribeUpdate":
                return store.describe_update(scope, cluster, query["addonName"], args["update"])
            case "DescribeAddonVersions":
                return store.describe_addon_versions(query)
            case "DescribeAddonConfiguration":
                return store.describe_addon_configuration(query.get("addonName", ""), query.get("addonVersion", ""))
            case "CreatePodIdentityAssociation":
                return store.create_association(scope, cluster, body)
            case "ListPodIdentityAssociations":
                return store.list_associations(scope, cluster, query)
            case "DescribePodIdentityAssociation":
                return store.describe_association(scope, cluster, args["association"])
            case "UpdatePodIdentityAssociation":
                return store.update_association(scope, cluster, args["association"], body)
            case "DeletePodIdentityAssociation":
                return store.delete_association(scope, cluster, args["association"])
            case "ListTagsForResource":
                return store.list_tags(urllib.parse.unquote(args["arn"]))
            case "TagResource":
                return store.tag(urllib.parse.unquote(args["arn"]), body.get("tags") or {})
            case "UntagResource":
                return store.untag(urllib.parse.unquote(args["arn"]), query.get("tagKeys", []))
        raise EksError("InvalidRequestException", f"{endpoint} is not served")
