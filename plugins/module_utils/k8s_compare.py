# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does a live Kubernetes object differ from what we declare, and where?

Only the fields the declared definition sets are compared: the live object
always has more (status, defaults, other managers' labels and annotations), and
those must not make an object look changed. Shared by the k8s_needs_update
filter and the k8s_objects module.
"""

import base64
import binascii
import re

MASKED = "(masked)"
MASKED_CHANGED = "(masked, changed)"
# The API server applies the main resource's apply without its status; declaring one must not look like drift.
IGNORED_TOP_LEVEL = frozenset(("status",))
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def empty(value):
    """Whether a value counts as absent: None, False, "", [] or {}."""
    # Go's omitempty drops a false bool as it drops "", [] and {}: a controller that writes the whole
    # object back (Argo CD updates an Application, status and all) leaves `prune: false` absent.
    return value is None or value is False or value in ({}, [], "")


def field_path(parent, key):
    """`parent.key`, or `parent["key"]` for keys with dots or slashes (label and annotation keys)."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if _PLAIN_KEY.match(str(key)):
        return f"{parent}.{key}" if parent else str(key)
    return f'{parent}["{key}"]'


def differing_paths(desired, live, path=""):
    """The paths, under `path`, of the fields `desired` sets that `live` lacks or has otherwise."""
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return [] if empty(desired) and empty(live) else [path]
        found = []
        for key, value in desired.items():
            have = live.get(key)
            if not (empty(value) and empty(have)):
                found.extend(differing_paths(value, have, field_path(path, key)))
        return found
    if isinstance(desired, list):
        if not isinstance(live, list):
            return [] if empty(desired) and empty(live) else [path]
        if len(desired) != len(live):
            return [path]
        found = []
        for index, (want, have) in enumerate(zip(desired, live, strict=True)):
            found.extend(differing_paths(want, have, field_path(path, index)))
        return found
    if empty(desired) and empty(live):
        return []
    # Scalars of different types are equal when their text is (5 and "5"), as YAML spells them either way.
    return [] if desired == live or str(desired) == str(live) else [path]


def differs(desired, live):
    """Whether any field `desired` sets is missing from `live` or differs."""
    return bool(differing_paths(desired, live))


def k8s_needs_update(desired, live):
    """Whether the live object (None or empty when there is none) needs writing to become `desired`."""
    if not live:
        return True
    return differs(desired, live)


def decoded(value):
    """A Secret data value as text; None when it is not base64 of UTF-8."""
    try:
        return base64.b64decode(str(value), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def _string_data_paths(string_data, live_data):
    live_data = live_data if isinstance(live_data, dict) else {}
    found = []
    for key, value in (string_data or {}).items():
        have = live_data.get(key)
        # The API keeps only `data`: stringData's value is there, base64-encoded.
        if have is None or decoded(have) != str(value):
            found.append(field_path("stringData", key))
    return found


def object_differences(definition, live):
    """The declared field paths in which the live object differs (e.g. spec.replicas); [] when it has them all."""
    live = live or {}
    found = []
    is_secret = definition.get("kind") == "Secret"
    for key, value in definition.items():
        if key in IGNORED_TOP_LEVEL:
            continue
        if is_secret and key == "stringData":
            found.extend(_string_data_paths(value, live.get("data")))
            continue
        have = live.get(key)
        if not (empty(value) and empty(have)):
            found.extend(differing_paths(value, have, key))
    return found


def declared_view(desired, live):
    """The live object cut down to the fields `desired` declares (for diffs); None where it has none."""
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return live
        return {key: declared_view(value, live[key]) for key, value in desired.items() if key in live}
    if isinstance(desired, list) and isinstance(live, list):
        return [declared_view(want, have) for want, have in zip(desired, live, strict=False)] + live[len(desired) :]
    return live


def live_declared(definition, live):
    """The declared fields of a live object as the definition spells them; a Secret's stringData decoded."""
    if not live:
        return {}
    view = declared_view({k: v for k, v in definition.items() if k != "stringData"}, live)
    if definition.get("kind") == "Secret" and "stringData" in definition:
        data = live.get("data") or {}
        view["stringData"] = {key: decoded(data[key]) for key in definition["stringData"] or {} if key in data}
    return view


def masked(obj, against=None):
    """A copy of an object for diffs and logs: a Secret's data and stringData values replaced.

    With `against` (the other side of the diff), a value that differs from its counterpart there
    says so, so a diff still shows which keys change without showing any value."""
    if not isinstance(obj, dict) or obj.get("kind") != "Secret":
        return obj
    copy = dict(obj)
    other = against if isinstance(against, dict) else {}
    for field in ("data", "stringData"):
        if isinstance(obj.get(field), dict):
            theirs = other.get(field) if isinstance(other.get(field), dict) else {}
            changed = {key for key, value in obj[field].items() if key in theirs and str(theirs[key]) != str(value)}
            copy[field] = {key: MASKED_CHANGED if key in changed else MASKED for key in obj[field]}
    return copy
