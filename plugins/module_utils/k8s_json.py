# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plain JSON requests to the Kubernetes API, retried on throttling, server errors and resets.

Authentication and the API client come from kubernetes.core (its auth options
and client cache). Requests go through the client's call_api with
_preload_content=False: a LIST of thousands of objects is far cheaper as JSON
than through the dynamic client's object wrappers.
"""

import json

from ansible_collections.bespin.platform.plugins.module_utils.backoff import RetryPolicy

try:
    from kubernetes.client.rest import ApiException
    from urllib3.exceptions import HTTPError as Urllib3Error
except ImportError:  # reported by the modules through AnsibleK8SModule's requirement check
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


class JsonApi:
    def __init__(self, api_client, retry_policy=None):
        self.api_client = api_client
        self.retry = retry_policy or RetryPolicy()

    def request(self, method, path, query=None, body=None, content_type=None):
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
