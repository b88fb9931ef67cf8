# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DNS names as certificates hold them: the form they are compared in, which are valid, and which a
certificate's names cover.

One rule for every certificate the collection checks (ACM's for CloudFront, the standby's PEM pair):
a wildcard ``*.example.com`` covers exactly one label to its left (``www.example.com``), not the
apex ``example.com`` nor ``a.b.example.com``, and never another wildcard.
"""

import re

MAX_NAME = 253
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
WILDCARD = "*."


def normalise(name):
    """The name in the form ACM compares it: lower case, no trailing dot."""
    return str(name).strip().lower().rstrip(".")


def valid_domain(name):
    """Whether `name` is a DNS name ACM can put in a certificate: two labels or more, each 1-63 letters, digits
    or inner hyphens, 253 characters at most, optionally after a leading ``*.``."""
    if not isinstance(name, str):
        return False
    name = normalise(name)
    if not name or len(name) > MAX_NAME:
        return False
    labels = name.removeprefix(WILDCARD).split(".")
    return len(labels) >= 2 and all(LABEL.match(label) for label in labels)


def covers(cert_names, name):
    """Whether one of the certificate's names is `name` or a wildcard one label above it."""
    wanted = normalise(name)
    head, _dot, parent = wanted.partition(".")
    # What a wildcard must read to cover `wanted`; a wildcard never covers another wildcard.
    wildcard = f"{WILDCARD}{parent}" if head and head != "*" and parent else None
    return any(cert_name in (wanted, wildcard) for cert_name in map(normalise, cert_names))


def uncovered(cert_names, names):
    """The `names` (as given, in order) the certificate's names do not cover."""
    cert_names = list(cert_names)
    return [name for name in names if not covers(cert_names, name)]
