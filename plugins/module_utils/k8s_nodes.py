# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Node reads and writes against the Kubernetes API, with retries.

Authentication and the API client come from kubernetes.core (its auth options
and client cache); this layer talks JSON to /api/v1/nodes directly: one LIST
for the whole cluster is far cheaper than the dynamic client's object
wrappers when a cluster has thousands of nodes.
"""

import json

from ansible_collections.bespin.platform.plugins.module_utils.backoff import RetryPolicy

try:
    from kubernetes.client.rest import ApiException
    from urllib3.exceptions import HTTPError as Urllib3Error
except ImportError:  # reported by the module through AnsibleK8SModule's requirement check
    ApiException = Urllib3Error = None

RETRYABLE_STATUS = frozenset((429, 500, 502, 503, 504))
CONFLICT = 409
NOT_FOUND = 404


def classify_transient(exc):
    """Retry-After hint for throttling, server errors and broken connections; None otherwise."""
    if ApiException is not None and isinstance(exc, ApiException):
        if exc.status not in RETRYABLE_STATUS:
            return None
        try:
            return float((exc.headers or {}).get("Retry-After", 0))
        except (TypeError, ValueError):
            return 0.0
    if isinstance(exc, (ConnectionError, TimeoutError)) or (Urllib3Error and isinstance(exc, Urllib3Error)):
        return 0.0
    return None


class NodeApi:
    def __init__(self, api_client, retry_policy=None):
        self.api_client = api_client
        self.retry = retry_policy or RetryPolicy()

    def _request(self, method, path, query=None, body=None, content_type=None):
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type

        def send():
            response = self.api_client.call_api(
                path,
                method,
                query_params=query or [],
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
                _preload_content=False,
            )
            return json.loads(response.data)

        return self.retry.call(send, classify_transient)

    def list_nodes(self, label_selector=None):
        query = [("labelSelector", label_selector)] if label_selector else []
        return self._request("GET", "/api/v1/nodes", query)["items"]

    def get_node(self, name):
        return self._request("GET", f"/api/v1/nodes/{name}")

    def merge_patch_node(self, name, patch):
        """JSON merge patch; a metadata.resourceVersion in `patch` makes it conditional (409 if stale)."""
        return self._request("PATCH", f"/api/v1/nodes/{name}", body=patch, content_type="application/merge-patch+json")
