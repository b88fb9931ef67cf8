# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Node reads and writes against the Kubernetes API (JSON, with retries; see k8s_json)."""

from ansible_collections.bespin.platform.plugins.module_utils.k8s_json import JsonApi


class NodeApi(JsonApi):
    def list_nodes(self, label_selector=None):
        query = [("labelSelector", label_selector)] if label_selector else []
        return self.request("GET", "/api/v1/nodes", query)["items"]

    def get_node(self, name):
        return self.request("GET", f"/api/v1/nodes/{name}")

    def merge_patch_node(self, name, patch):
        """JSON merge patch; a metadata.resourceVersion in `patch` makes it conditional (409 if stale)."""
        return self.request("PATCH", f"/api/v1/nodes/{name}", body=patch, content_type="application/merge-patch+json")
