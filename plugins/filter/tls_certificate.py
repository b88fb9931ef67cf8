# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tls_certificate_info and tls_private_key_id filters: what a PEM certificate and key are.

The azure_standby role checks a given certificate and key before it writes anything.
community.crypto would do it (x509_certificate_info takes content), but it is not a
dependency of this collection, and adding it for two reads is more than they are worth;
the ``cryptography`` library these filters use is already there wherever the role runs
(the Azure SDKs that azure.azcollection needs require it, and requirements.txt lists it).
tls_private_key_id is documented in tls_private_key_id.yml beside this file.

Nothing a private key holds ever leaves tls_private_key_id: it answers with the sha256
of the key's public half, or an empty string, and its errors never quote its input.
"""

DOCUMENTATION = r"""
name: tls_certificate_info
author: bespin.platform maintainers (@bespin)
version_added: 0.1.0
short_description: Read a PEM certificate chain's leaf, and check it covers host names
description:
  - Parses the first certificate of a PEM chain (the leaf) and returns its DNS names, its
    expiry, the sha256 of its public key, and which of the given host names it does not cover.
  - A subject alternative name C(*.example.com) covers one label (C(www.example.com), not
    C(example.com) nor C(a.b.example.com)); without DNS alternative names, the common name counts.
  - Input that is not a PEM certificate gives C(valid=false), never an error.
  - Needs the Python C(cryptography) library on the controller.
options:
  _input:
    description: The PEM chain, leaf first.
    type: str
    required: true
  hostnames:
    description: Host names the certificate must cover.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: The certificate covers the site's names
  ansible.builtin.assert:
    that:
      - info.valid and not info.expired and info.uncovered == []
  vars:
    info: "{{ certificate_pem | bespin.platform.tls_certificate_info(hostnames=['www.example.com']) }}"

- name: The key is the certificate's
  ansible.builtin.assert:
    that: >-
      (key_pem | bespin.platform.tls_private_key_id)
      == (certificate_pem | bespin.platform.tls_certificate_info).public_key_sha256
  no_log: true
"""

RETURN = r"""
_value:
  description:
    - C(valid) (a certificate was read), C(names) (its DNS names), C(not_after) (ISO 8601, UTC),
      C(expired), C(uncovered) (the O(hostnames) it does not cover) and C(public_key_sha256)
      (hex sha256 of its DER SubjectPublicKeyInfo, the same as tls_private_key_id gives for its key).
  type: dict
"""

import datetime
import hashlib

from ansible.errors import AnsibleFilterError

from ansible_collections.bespin.platform.plugins.module_utils.host_names import uncovered

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import NameOID
except ImportError:  # reported when a filter is used, not when Ansible loads the plugin
    x509 = None

_NOT_READ = {"valid": False, "names": [], "not_after": "", "expired": False, "uncovered": [], "public_key_sha256": ""}


def _need_cryptography(name):
    if x509 is None:
        raise AnsibleFilterError(f"{name}: the Python library 'cryptography' is required on the controller")


def _public_key_sha256(public_key):
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def _names(certificate):
    try:
        alternative = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = alternative.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        names = []
    if names:
        return names
    return [str(a.value) for a in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]


def tls_certificate_info(pem, hostnames=None):
    _need_cryptography("tls_certificate_info")
    if not isinstance(pem, str) or "-----BEGIN CERTIFICATE-----" not in pem:
        return dict(_NOT_READ)
    try:
        certificate = x509.load_pem_x509_certificate(pem.strip().encode())
    except ValueError:
        return dict(_NOT_READ)
    names = _names(certificate)
    not_after = certificate.not_valid_after_utc
    return {
        "valid": True,
        "names": names,
        "not_after": not_after.isoformat(),
        "expired": not_after <= datetime.datetime.now(datetime.UTC),
        "uncovered": uncovered(names, hostnames or []),
        "public_key_sha256": _public_key_sha256(certificate.public_key()),
    }


def tls_private_key_id(pem):
    """The sha256 of the key's public half ('' for anything that is not an unencrypted PEM private key)."""
    _need_cryptography("tls_private_key_id")
    if not isinstance(pem, str) or "PRIVATE KEY-----" not in pem:
        return ""
    try:
        key = serialization.load_pem_private_key(pem.strip().encode(), password=None)
    except Exception:  # any failure to read it is "not a key", and quotes nothing of it
        return ""
    return _public_key_sha256(key.public_key())


class FilterModule:
    def filters(self):
        return {"tls_certificate_info": tls_certificate_info, "tls_private_key_id": tls_private_key_id}
