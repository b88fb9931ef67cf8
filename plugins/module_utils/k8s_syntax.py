# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes syntax rules for label keys, label values and taints.

The apiserver would reject a bad key only at write time, after other nodes
were already patched; checking here lets a module refuse the whole request
before its first write, naming the offending field.
"""

import re

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")

_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

# Labels under kubernetes.io / k8s.io belong to Kubernetes. The NodeRestriction
# admission rules let a kubelet set these on its own node, so they are the ones
# a topology may set too; everything else under those domains is refused.
NODE_RESTRICTION_ALLOWED_LABELS = frozenset(
    (
        "kubernetes.io/hostname",
        "kubernetes.io/arch",
        "kubernetes.io/os",
        "beta.kubernetes.io/instance-type",
        "node.kubernetes.io/instance-type",
        "failure-domain.beta.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
        "topology.kubernetes.io/region",
        "topology.kubernetes.io/zone",
    )
)
NODE_RESTRICTION_ALLOWED_DOMAINS = ("kubelet.kubernetes.io", "node.kubernetes.io")
_RESERVED_DOMAINS = ("kubernetes.io", "k8s.io")


class SyntaxProblem(ValueError):
    """A value Kubernetes would reject; the message starts with the field path."""


def check_qualified_name(key, where):
    """A label or taint key: an optional DNS-subdomain prefix and a name."""
    if not isinstance(key, str) or not key:
        raise SyntaxProblem(f"{where}: the key must be a non-empty string")
    prefix, _sep, name = key.rpartition("/")
    if _sep and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        raise SyntaxProblem(
            f"{where}: prefix {prefix!r} of key {key!r} must be a DNS subdomain of at most 253 characters"
        )
    if len(name) > 63 or not _NAME.match(name):
        raise SyntaxProblem(
            f"{where}: name {name!r} of key {key!r} must be at most 63 characters: alphanumerics, '-', '_' or '.', "
            "starting and ending with an alphanumeric"
        )


def check_label_value(value, where):
    if not isinstance(value, str):
        raise SyntaxProblem(f"{where}: the value must be a string (quote numbers and booleans in YAML)")
    if value and (len(value) > 63 or not _NAME.match(value)):
        raise SyntaxProblem(
            f"{where}: value {value!r} must be empty or at most 63 characters: alphanumerics, '-', '_' or '.', "
            "starting and ending with an alphanumeric"
        )


def check_not_reserved(key, where):
    """Refuse keys in the Kubernetes-owned domains, except what NodeRestriction allows."""
    prefix = key.rpartition("/")[0]
    if not prefix or key in NODE_RESTRICTION_ALLOWED_LABELS:
        return
    if any(prefix == domain or prefix.endswith("." + domain) for domain in NODE_RESTRICTION_ALLOWED_DOMAINS):
        return
    if any(prefix == domain or prefix.endswith("." + domain) for domain in _RESERVED_DOMAINS):
        raise SyntaxProblem(
            f"{where}: {key!r} is under a prefix reserved for Kubernetes (kubernetes.io, k8s.io); only the keys the "
            "NodeRestriction admission rules allow may be written"
        )


def check_taint(taint, where):
    if not isinstance(taint, dict):
        raise SyntaxProblem(f"{where}: a taint must be a mapping with key, value and effect")
    unknown = sorted(set(taint) - {"key", "value", "effect"})
    if unknown:
        raise SyntaxProblem("{}: unknown field(s) {}".format(where, ", ".join(unknown)))
    check_qualified_name(taint.get("key"), where + ".key")
    check_not_reserved(taint["key"], where + ".key")
    value = taint.get("value")
    if value is not None:
        check_label_value(value, where + ".value")
    if taint.get("effect") not in TAINT_EFFECTS:
        raise SyntaxProblem(
            "{}.effect: {!r} must be one of {}".format(where, taint.get("effect"), ", ".join(TAINT_EFFECTS))
        )


_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# Helm keeps a release in Secrets named sh.helm.release.v1.<name>.v<revision>, hence its shorter limit.
HELM_RELEASE_NAME_MAX = 53


def check_dns_label(value, where, max_length=63):
    """A namespace or Service name: RFC 1123 label, lower case."""
    if not isinstance(value, str) or len(value) > max_length or not _DNS_LABEL.match(value):
        raise SyntaxProblem(
            f"{where} must be a DNS label (lower-case alphanumerics and '-', starting and ending with an "
            f"alphanumeric, at most {max_length} characters), got {value!r}"
        )


def check_dns_subdomain(value, where, max_length=253):
    """An object name most kinds take (and a Helm release name, with max_length=53)."""
    if not isinstance(value, str) or len(value) > max_length or not _DNS_SUBDOMAIN.match(value):
        raise SyntaxProblem(
            f"{where} must be a DNS subdomain (lower-case alphanumerics, '-' and '.', starting and ending with an "
            f"alphanumeric, at most {max_length} characters), got {value!r}"
        )


def problems_of(*checks):
    """Run (check, value, where, ...) tuples and return every SyntaxProblem message, not only the first."""
    problems = []
    for check, *args in checks:
        try:
            check(*args)
        except SyntaxProblem as exc:
            problems.append(str(exc))
    return problems
