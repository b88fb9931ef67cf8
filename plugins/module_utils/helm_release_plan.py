# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a Helm release needs: where its chart comes from, and what differs from the release found.

Pure functions, unit-tested without helm or a cluster; the helm_release module
runs helm on their answers.
"""

import json

try:
    import yaml
except ImportError:  # the modules using it check for PyYAML (AnsibleK8SModule's requirements)
    yaml = None

from ansible_collections.bespin.platform.plugins.module_utils.helm_pending import release_problems


class ChartSourceError(ValueError):
    pass


def chart_source(chart, mirror=""):
    """{'ref', 'repo'} to install `chart` from ({'chart', 'repository', 'chart_ref'}); the first match wins:
    the chart's own chart_ref (a local path or a full oci:// reference), the mirror, the upstream repository."""
    if not isinstance(chart, dict) or not chart.get("chart"):
        raise ChartSourceError(f"expected a chart with a 'chart' name, got {chart!r}")
    if chart.get("chart_ref"):
        return {"ref": chart["chart_ref"], "repo": ""}
    if mirror:
        return {"ref": chart["chart"], "repo": mirror}
    repository = chart.get("repository") or ""
    if not repository:
        raise ChartSourceError(f"chart {chart['chart']!r} has no repository, chart_ref or mirror")
    if repository.startswith("oci://"):
        return {"ref": f"{repository.rstrip('/')}/{chart['chart']}", "repo": ""}
    return {"ref": chart["chart"], "repo": repository}


def chart_name_of(ref):
    """The chart name a ref installs, when the ref says it: a repository chart name or the last segment of an
    oci:// reference. None for a local path or archive, whose name is inside it."""
    if ref.startswith("oci://"):
        return ref.rstrip("/").rpartition("/")[2]
    if "/" in ref or ref.endswith((".tgz", ".tar.gz")) or ref.startswith("."):
        return None
    return ref


def normalised(values):
    """Values as helm stores and returns them (JSON), so a number and its YAML spelling compare equal."""
    return json.loads(json.dumps(values or {}, sort_keys=True, default=str))


MASKED = "(masked)"


def masked_manifest(manifest):
    """A multi-document manifest with every Secret's data replaced, for diffs that may be logged."""
    documents = []
    for document in yaml.safe_load_all(manifest or ""):
        if not isinstance(document, dict):
            continue
        if document.get("kind") == "Secret":
            for field in ("data", "stringData"):
                if field in document:
                    document[field] = {key: MASKED for key in document[field] or {}}
        documents.append(document)
    return yaml.safe_dump_all(documents, sort_keys=True) if documents else ""


def differences(found, found_values, wanted):
    """Why the release must be installed or upgraded, as short phrases; empty when it is as wanted.

    found: its `helm list` entry (or None); found_values: `helm get values`; wanted: chart_name (or None),
    version and values."""
    if found is None:
        return ["the release is absent"]
    reasons = []
    if found.get("status") != "deployed":
        reasons.append(f"its last revision is {found.get('status')}")
    label, version, name = found.get("chart") or "", wanted["version"], wanted.get("chart_name")
    if (name and label != f"{name}-{version}") or not label.endswith(f"-{version}"):
        reasons.append(f"chart {label} is installed, {name or 'the chart'} {version} is wanted")
    if normalised(found_values) != normalised(wanted["values"]):
        reasons.append("its values differ")
    return reasons


def bad_fields(params):
    """Messages naming each bad option, before helm runs."""
    problems = release_problems(params["name"], params["namespace"])
    if params["state"] == "present":
        if not params.get("chart_ref"):
            problems.append("chart_ref is required with state=present")
        if not str(params.get("chart_version") or "").strip():
            problems.append("chart_version is required with state=present (a pinned version, not latest)")
        if not isinstance(params.get("values") or {}, dict):
            problems.append("values must be a mapping")
    if params["timeout"] < 1:
        problems.append(f"timeout must be at least 1 second, got {params['timeout']}")
    for index, crd in enumerate(params.get("wait_crds") or []):
        if "." not in str(crd):
            problems.append(f"wait_crds[{index}] must be a CRD name (<plural>.<group>), got {crd!r}")
    return problems
