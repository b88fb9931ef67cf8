# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the k8s_objects module must do with an ordered list of Kubernetes objects.

Pure functions, unit-tested without a cluster: checking the input, finding each
object's URL from what API discovery serves, which objects a run can know are
missing without asking (their namespace or their kind comes from an earlier
object of the same list), which reads to make (one LIST per kind and
namespace), and the operation each object needs. The module sends the requests.
"""

import re

from ansible_collections.bespin.platform.plugins.module_utils.k8s_compare import (
    decoded,
    field_path,
    live_declared,
    masked,
    object_differences,
)
from ansible_collections.bespin.platform.plugins.module_utils.k8s_syntax import (
    SyntaxProblem,
    check_dns_label,
    check_dns_subdomain,
    check_label_value,
    check_qualified_name,
    problems_of,
)

STATES = ("present", "absent")
WRAPPER_KEYS = frozenset(("definition", "state", "wait"))
OPERATIONS = ("none", "create", "update", "delete")
CRD_API_GROUP = "apiextensions.k8s.io"
# Item.kind_from for a kind that no item of the run defines, but an earlier task does (kinds_to_come).
EARLIER_TASK = "an earlier task"
DEFAULT_NAMESPACE = "default"
FIELD_MANAGER_MAX = 128

_API_VERSION = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+((alpha|beta)[0-9]+)?$")
_KIND = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_CONDITION = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_RBAC_GROUP = "rbac.authorization.k8s.io"
_PATH_SEGMENT = re.compile(r"^[^/%]+$")


class Item:
    """One element of `objects`, as checked and then resolved against API discovery."""

    def __init__(self, index, where, definition, state, wait):
        self.index = index
        self.where = where  # the path of the definition in the module's arguments
        self.definition = definition
        self.state = state
        self.wait = wait
        metadata = definition.get("metadata") or {}
        self.api_version = definition.get("apiVersion")
        self.kind = definition.get("kind")
        self.name = metadata.get("name")
        self.namespace = metadata.get("namespace") or None
        # Filled in by resolve():
        self.resource = None  # {"name": plural, "namespaced": bool}; None when the kind is not served
        self.served = False
        self.kind_from = None  # the index of the earlier CRD item that defines a kind not served yet
        self.body = None
        # Filled in by assume_missing():
        self.missing_because = None

    @property
    def group(self):
        return self.api_version.rpartition("/")[0]

    @property
    def label(self):
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    @property
    def collection_path(self):
        base = group_version_path(self.api_version)
        plural = self.resource["name"]
        if self.resource["namespaced"]:
            return f"{base}/namespaces/{self.namespace}/{plural}"
        return f"{base}/{plural}"

    @property
    def path(self):
        return f"{self.collection_path}/{self.name}"

    def identity(self):
        return (self.group, self.kind, self.namespace or "", self.name)

    def __repr__(self):
        return f"Item({self.where}: {self.label}, {self.state})"


def group_version_path(api_version):
    """The discovery (and URL) prefix of an apiVersion: /api/v1 for the core group, else /apis/<group>/<version>."""
    return "/api/v1" if api_version == "v1" else f"/apis/{api_version}"


def served_resources(discovery):
    """kind -> {"name", "namespaced"} from an APIResourceList, subresources (pods/status) left out."""
    found = {}
    for resource in (discovery or {}).get("resources") or []:
        if "/" in resource.get("name", "") or not resource.get("kind"):
            continue
        found.setdefault(resource["kind"], {"name": resource["name"], "namespaced": bool(resource.get("namespaced"))})
    return found


def option_problems(params):
    problems = []
    if params.get("wait_timeout", 1) < 1:
        problems.append(f"wait_timeout must be at least 1 second, got {params['wait_timeout']}")
    manager = params.get("field_manager")
    if not isinstance(manager, str) or not manager.strip() or len(manager) > FIELD_MANAGER_MAX:
        problems.append(f"field_manager must be a non-empty name of at most {FIELD_MANAGER_MAX} characters")
    return problems


def check_api_version(value, where):
    if not isinstance(value, str) or not _API_VERSION.match(value):
        raise SyntaxProblem(f"{where} must be v1 or <group>/<version> (apps/v1), got {value!r}")


def check_kind(value, where):
    if not isinstance(value, str) or not _KIND.match(value):
        raise SyntaxProblem(f"{where} must be a Kind name such as ConfigMap, got {value!r}")


def check_path_segment(value, where):
    """RBAC objects are named by path segments (system:controller:foo), not DNS subdomains."""
    if not isinstance(value, str) or not _PATH_SEGMENT.match(value) or value in (".", ".."):
        raise SyntaxProblem(f"{where} must be a name without '/' or '%', got {value!r}")


def _definition_problems(definition, where):
    api_version, kind = definition.get("apiVersion"), definition.get("kind")
    problems = problems_of((check_api_version, api_version, f"{where}.apiVersion"), (check_kind, kind, f"{where}.kind"))
    metadata = definition.get("metadata")
    if not isinstance(metadata, dict):
        return [*problems, f"{where}.metadata must be a mapping with the object's name"]
    name, namespace = metadata.get("name"), metadata.get("namespace")
    if isinstance(api_version, str) and api_version.startswith(_RBAC_GROUP + "/"):
        check_name = check_path_segment
    elif kind == "Namespace":
        check_name = check_dns_label
    else:
        check_name = check_dns_subdomain
    problems += problems_of((check_name, name, f"{where}.metadata.name"))
    if namespace is not None:
        problems += problems_of((check_dns_label, namespace, f"{where}.metadata.namespace"))
    problems += _mapping_problems(metadata, "labels", f"{where}.metadata", label=True)
    problems += _mapping_problems(metadata, "annotations", f"{where}.metadata")
    if kind == "Secret":
        problems += _mapping_problems(definition, "stringData", where)
        problems += _mapping_problems(definition, "data", where, base64=True)
    elif kind == "ConfigMap":
        problems += _mapping_problems(definition, "data", where)
    return problems


def _mapping_problems(parent, field, where, label=False, base64=False):
    """A mapping of strings (labels, annotations, Secret and ConfigMap data), each bad entry named."""
    value = parent.get(field)
    where = f"{where}.{field}"
    if value is None:
        return []
    if not isinstance(value, dict):
        return [f"{where} must be a mapping of names to strings"]
    problems = []
    for key, text in value.items():
        at = field_path(where, key)
        if label:
            problems += problems_of((check_qualified_name, key, at), (check_label_value, text, at))
        elif not isinstance(text, str):
            problems.append(f"{at} must be a string (quote numbers and booleans in YAML)")
        elif base64 and decoded(text) is None and text:
            problems.append(f"{at} must be base64 (or move the value, unencoded, to stringData)")
    return problems


def parse_objects(objects, state="present"):
    """(items, problems): each element of `objects` as an Item, and every bad field, named by its path."""
    items, problems, seen = [], [], {}
    for index, element in enumerate(objects or []):
        where = f"objects[{index}]"
        if not isinstance(element, dict):
            problems.append(f"{where} must be a mapping: a definition (with kind) or {{definition, state, wait}}")
            continue
        item_state, wait, definition, at = state, None, element, where
        if "kind" not in element:
            if "definition" not in element:
                problems.append(f"{where} must have kind (a definition) or definition (a wrapper of one)")
                continue
            unknown = sorted(set(element) - WRAPPER_KEYS)
            if unknown:
                problems.append(f"{where} has unknown key(s) {', '.join(map(str, unknown))} (definition, state, wait)")
            definition, at = element["definition"], f"{where}.definition"
            item_state = element.get("state") or state
            wait = element.get("wait")
            if item_state not in STATES:
                problems.append(f"{where}.state must be present or absent, got {item_state!r}")
            if wait is not None and (not isinstance(wait, str) or not _CONDITION.match(wait)):
                problems.append(f"{where}.wait must be a condition type such as Established or Available, got {wait!r}")
            elif wait is not None and element.get("state") == "absent":
                problems.append(f"{where}.wait is only for state present")
            if item_state == "absent":
                # The same list serves to remove everything (state=absent for the module): its waits do not apply.
                wait = None
        if not isinstance(definition, dict):
            problems.append(f"{at} must be a mapping (a Kubernetes definition)")
            continue
        found = _definition_problems(definition, at)
        problems += found
        if found:
            continue
        item = Item(index, at, definition, item_state, wait)
        twin = seen.get(item.identity())
        if twin is not None:
            problems.append(f"{at}.metadata.name: {item.label} is already declared at {twin.where}")
            continue
        seen[item.identity()] = item
        items.append(item)
    return items, problems


def in_order(items, state="present"):
    """The order to act in: as listed, or reversed when the module removes everything (dependents first)."""
    return list(reversed(items)) if state == "absent" else list(items)


def crd_kinds(definition):
    """(apiVersion, kind) -> resource for each version a CustomResourceDefinition serves."""
    spec = definition.get("spec") or {}
    names = spec.get("names") or {}
    group, kind, plural = spec.get("group"), names.get("kind"), names.get("plural")
    if not (group and kind and plural):
        return {}
    namespaced = spec.get("scope", "Namespaced") == "Namespaced"
    return {
        (f"{group}/{version['name']}", kind): {"name": plural, "namespaced": namespaced}
        for version in spec.get("versions") or []
        if isinstance(version, dict) and version.get("name") and version.get("served", True)
    }


def is_crd(item):
    return item.kind == "CustomResourceDefinition" and item.group == CRD_API_GROUP


def is_namespace(item):
    return item.kind == "Namespace" and item.api_version == "v1"


def resolve(items, served, state="present", kinds_to_come=False):
    """Attach each item's resource from discovery (`served`: (apiVersion, kind) -> resource or None); problems for
    kinds nothing serves. A kind that a CustomResourceDefinition earlier in the run defines counts as served, and
    with `kinds_to_come` so does any kind: an earlier task of the play (a Helm chart's CRDs) brings it."""
    problems = []
    defined = {}
    for item in in_order(items, state):
        key = (item.api_version, item.kind)
        resource = served.get(key)
        item.served = resource is not None
        if resource is None and item.state == "present" and key in defined:
            resource, item.kind_from = defined[key][1], defined[key][0]
        if resource is None and item.state == "present" and kinds_to_come and item.kind_from is None:
            item.kind_from = EARLIER_TASK
        elif resource is None and item.state == "present":
            problems.append(
                f"{item.where}.kind {item.kind} is not served by the API at {item.api_version}, and no "
                "CustomResourceDefinition earlier in objects defines it"
            )
        if item.state == "present" and is_crd(item):
            for kind_key, kind_resource in crd_kinds(item.definition).items():
                if served.get(kind_key) is None:
                    defined.setdefault(kind_key, (item.index, kind_resource))
        item.resource = resource
        if resource is not None:
            item.namespace = (item.namespace or DEFAULT_NAMESPACE) if resource["namespaced"] else None
        item.body = body_of(item)
    return problems


def body_of(item):
    """The definition as sent: the namespace set for namespaced kinds (the default one when none is given) and
    dropped for cluster-scoped ones."""
    body = dict(item.definition)
    metadata = dict(body.get("metadata") or {})
    if item.namespace:
        metadata["namespace"] = item.namespace
    else:
        metadata.pop("namespace", None)
    body["metadata"] = metadata
    return body


def namespaces_read_first(items):
    """The Namespace items to read before the rest: whether each exists tells which objects cannot exist yet."""
    return [item for item in items if is_namespace(item) and item.state == "present" and item.resource]


def assume_missing(items, found, state="present"):
    """Mark the items the run knows are missing without asking: their kind comes from a CRD that an earlier item
    creates, or their namespace from an earlier Namespace item that does not exist yet. `found` holds what was
    read so far (identity -> live object or None)."""
    creating = {}
    for item in in_order(items, state):
        if item.state != "present" or (item.resource is None and item.kind_from != EARLIER_TASK):
            continue
        if item.kind_from == EARLIER_TASK:
            item.missing_because = "its kind is not served yet (an earlier task brings it)"
        elif item.kind_from is not None:
            item.missing_because = f"its kind comes from objects[{item.kind_from}], not served yet"
        elif item.namespace in creating:
            item.missing_because = f"its namespace comes from objects[{creating[item.namespace]}], not created yet"
        if is_namespace(item) and found.get(item.identity(), False) is None:
            creating.setdefault(item.name, item.index)


def reads(items, found):
    """The requests that read every item still unknown: ("LIST", collection path, items) for several items of one
    kind and namespace, ("GET", object path, [item]) for one alone. Items not served or known missing need none."""
    groups = {}
    for item in items:
        if item.resource is None or not item.served or item.missing_because or item.identity() in found:
            continue
        groups.setdefault(item.collection_path, []).append(item)
    requests = []
    for collection, members in groups.items():
        if len(members) > 1:
            requests.append(("LIST", collection, members))
        else:
            requests.append(("GET", members[0].path, members))
    return requests


def found_in_list(members, listed):
    """identity -> live object or None, for the items a LIST covered."""
    by_name = {obj.get("metadata", {}).get("name"): obj for obj in (listed or {}).get("items") or []}
    found = {}
    for item in members:
        live = by_name.get(item.name)
        # The items of a LIST carry no apiVersion and kind of their own; the list names them once.
        found[item.identity()] = None if live is None else {"apiVersion": item.api_version, "kind": item.kind, **live}
    return found


def being_deleted(live):
    return bool(live and (live.get("metadata") or {}).get("deletionTimestamp"))


def decide(item, live):
    """(operation, differences) for an item and the live object (None when there is none)."""
    if item.state == "absent":
        # Not served means absent; an object already being deleted is as good as gone.
        if item.resource is None or live is None or being_deleted(live):
            return "none", []
        return "delete", []
    if live is None:
        return "create", []
    paths = object_differences(item.body, live)
    return ("update" if paths else "none"), paths


def diff_entry(item, live, operation):
    """(before, after) of the declared fields, Secret values masked."""
    before = live_declared(item.body, live) if live else {}
    after = {} if operation == "delete" else item.body
    return masked(before), masked(after, against=before if before else None)


def secret_values(items):
    """Every Secret value given, to keep out of logs and results (the module adds them to no_log_values)."""
    values = set()
    for item in items:
        if item.kind != "Secret":
            continue
        for field in ("data", "stringData"):
            for value in (item.definition.get(field) or {}).values():
                if isinstance(value, str) and value:
                    values.add(value)
                    text = decoded(value) if field == "data" else None
                    if text:
                        values.add(text)
    return values


def entry(item, operation, differences):
    """One entry of the module's `objects` result."""
    return {
        "api_version": item.api_version,
        "kind": item.kind,
        "name": item.name,
        "namespace": item.namespace or "",
        "operation": operation,
        "differences": differences,
    }
