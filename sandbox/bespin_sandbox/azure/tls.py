"""The TLS material the stand-in serves Azure's hostnames with.

A CA of its own (apart from the Kubernetes one, so each can be rotated alone)
signs one certificate for every host in ``SERVED_HOSTS``. Clients trust it
through ``REQUESTS_CA_BUNDLE``, which therefore has to be certifi's bundle plus
our CA: requests uses that one file for every HTTPS connection it makes.
Made once per sandbox folder and kept; keys are written 0600.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import certifi
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..pki import certificate_builder, write_file, write_private_key
from . import SERVED_HOSTS


@dataclass(frozen=True)
class AzureTls:
    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "azure-ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "azure-ca.key"

    @property
    def server_cert(self) -> Path:
        return self.directory / "azure-arm.crt"

    @property
    def server_key(self) -> Path:
        return self.directory / "azure-arm.key"

    @property
    def ca_bundle(self) -> Path:
        """certifi's public roots plus the sandbox CA, for REQUESTS_CA_BUNDLE."""
        return self.directory / "azure-ca-bundle.pem"

    def ensure(self) -> None:
        """Create whatever is missing; the bundle is rebuilt so a certifi upgrade reaches it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if not (self.ca_cert.exists() and self.ca_key.exists()):
            self._make_ca()
            self.server_cert.unlink(missing_ok=True)
        if not self._server_cert_covers_hosts():
            self._issue_server_cert()
        bundle = Path(certifi.where()).read_bytes().rstrip(b"\n") + b"\n" + self.ca_cert.read_bytes()
        write_file(self.ca_bundle, bundle, mode=0o644)

    def _make_ca(self) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bespin-sandbox-azure-ca")])
        cert = (
            certificate_builder(name, name, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(key, hashes.SHA256())
        )
        write_private_key(self.ca_key, key)
        write_file(self.ca_cert, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)

    def _server_cert_covers_hosts(self) -> bool:
        if not self.server_cert.exists():
            return False
        cert = x509.load_pem_x509_certificate(self.server_cert.read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        return set(names.get_values_for_type(x509.DNSName)) == set(SERVED_HOSTS)

    def _issue_server_cert(self) -> None:
        ca_key = serialization.load_pem_private_key(self.ca_key.read_bytes(), password=None)
        ca_cert = x509.load_pem_x509_certificate(self.ca_cert.read_bytes())
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVED_HOSTS[0])])
        # Python 3.13 verifies strictly (VERIFY_X509_STRICT): key identifiers are required.
        cert = (
            certificate_builder(subject, ca_cert.subject, key.public_key())
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in SERVED_HOSTS]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        write_private_key(self.server_key, key)
        write_file(self.server_cert, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
