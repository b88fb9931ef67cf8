# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the node_topology module changes on each node: validation and planning.

Pure functions over plain dicts, so the rules (what is owned, what is kept,
what counts as a change) are unit tested without a cluster.

Ownership:
- a label is set or removed when the request declares it (a null value removes it);
  labels matching an owned prefix that the request does not declare are removed;
  an owned prefix ending in "/" matches every key under it, otherwise it matches
  that exact (unprefixed) key;
- a taint is identified by key and effect; declared taints replace their match;
  taints whose key is owned and that are not declared are removed; every other
  taint (for example the node lifecycle controller's) is kept as it is.
"""

from ansible_collections.bespin.platform.plugins.module_utils.k8s_syntax import (
    SyntaxProblem,
    check_label_value,
    check_not_reserved,
    check_qualified_name,
    check_taint,
)


def validate_request(nodes, owned_label_prefixes, owned_taint_keys):
    """Check the whole request before anything is written; returns it normalised.
    Raises SyntaxProblem whose message starts with the offending field's path."""
    if not isinstance(nodes, dict):
        raise SyntaxProblem("nodes: must be a mapping of node name to {labels, taints}")
    for index, prefix in enumerate(owned_label_prefixes):
        if not isinstance(prefix, str) or not prefix:
            raise SyntaxProblem(f"owned_label_prefixes[{index}]: must be a non-empty string")
        check_not_reserved(prefix, f"owned_label_prefixes[{index}]")
    for index, key in enumerate(owned_taint_keys):
        check_qualified_name(key, f"owned_taint_keys[{index}]")
    normalised = {}
    for name, spec in nodes.items():
        where = f"nodes.{name}"
        spec = {} if spec is None else spec
        if not isinstance(spec, dict):
            raise SyntaxProblem(f"{where}: must be a mapping with labels and/or taints")
        unknown = sorted(set(spec) - {"labels", "taints"})
        if unknown:
            raise SyntaxProblem("{}: unknown field(s) {} (expected labels, taints)".format(where, ", ".join(unknown)))
        labels = spec.get("labels") or {}
        if not isinstance(labels, dict):
            raise SyntaxProblem(f"{where}.labels: must be a mapping of key to value (null removes)")
        for key, value in labels.items():
            check_qualified_name(key, f"{where}.labels")
            check_not_reserved(key, f"{where}.labels.{key}")
            if value is not None:
                check_label_value(value, f"{where}.labels.{key}")
        taints = spec.get("taints")
        if taints is not None and not isinstance(taints, list):
            raise SyntaxProblem(f"{where}.taints: must be a list of {{key, value, effect}}")
        seen = set()
        for index, taint in enumerate(taints or []):
            check_taint(taint, f"{where}.taints[{index}]")
            identity = (taint["key"], taint["effect"])
            if identity in seen:
                raise SyntaxProblem(f"{where}.taints[{index}]: duplicate taint {identity[0]}:{identity[1]}")
            seen.add(identity)
        normalised[name] = {"labels": dict(labels), "taints": [_taint(t) for t in taints or []]}
    return normalised


def _taint(taint):
    """A taint as the API stores it: no value key when the value is empty."""
    result = {"key": taint["key"], "effect": taint["effect"]}
    if taint.get("value"):
        result["value"] = taint["value"]
    return result


def _identity(taint):
    return (taint["key"], taint.get("value") or "", taint["effect"])


def _owned_label(key, owned_label_prefixes):
    return any(key.startswith(p) if p.endswith("/") else key == p for p in owned_label_prefixes)


def plan_node(node, spec, owned_label_prefixes, owned_taint_keys):
    """The change one node needs, or None. `node` is the API object (a dict)."""
    current_labels = node["metadata"].get("labels") or {}
    current_taints = node.get("spec", {}).get("taints") or []

    label_patch = {}
    for key, value in spec["labels"].items():
        if value is None and key in current_labels:
            label_patch[key] = None
        elif value is not None and current_labels.get(key) != value:
            label_patch[key] = value
    for key in current_labels:
        if key not in spec["labels"] and _owned_label(key, owned_label_prefixes):
            label_patch[key] = None

    declared = spec["taints"]
    declared_ids = {(t["key"], t["effect"]) for t in declared}
    kept = [
        t for t in current_taints if (t["key"], t["effect"]) not in declared_ids and t["key"] not in owned_taint_keys
    ]
    # Declared taints that already exist keep their place (and timeAdded).
    current_by_identity = {_identity(t): t for t in current_taints}
    desired_taints = kept + [current_by_identity.get(_identity(t), t) for t in declared]
    taints_changed = sorted(map(_identity, desired_taints)) != sorted(map(_identity, current_taints))

    if not label_patch and not taints_changed:
        return None
    after_labels = {k: v for k, v in {**current_labels, **label_patch}.items() if v is not None}
    removed_taints = sorted(set(map(_identity, current_taints)) - set(map(_identity, desired_taints)))
    added_taints = sorted(set(map(_identity, desired_taints)) - set(map(_identity, current_taints)))
    patch = {"metadata": {"resourceVersion": node["metadata"]["resourceVersion"]}}
    if label_patch:
        patch["metadata"]["labels"] = label_patch
    if taints_changed:
        patch["spec"] = {"taints": desired_taints}
    return {
        "patch": patch,
        "summary": {
            "labels_set": {k: v for k, v in label_patch.items() if v is not None},
            "labels_removed": sorted(k for k, v in label_patch.items() if v is None),
            "taints_added": [_as_text(t) for t in added_taints],
            "taints_removed": [_as_text(t) for t in removed_taints],
        },
        "before": {"labels": dict(current_labels), "taints": [_as_text(_identity(t)) for t in current_taints]},
        "after": {"labels": after_labels, "taints": [_as_text(_identity(t)) for t in desired_taints]},
    }


def _as_text(identity):
    key, value, effect = identity
    return f"{key}={value}:{effect}" if value else f"{key}:{effect}"
