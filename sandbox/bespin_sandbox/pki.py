"""Keys and certificates of the local control plane.

Made once per sandbox folder and kept across ``up``/``down`` so that a
kubeconfig handed out earlier stays valid. Files are written 0600.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = datetime.timedelta(days=3650)
# The ClusterIP of the `kubernetes` Service in the sandbox's service range.
SERVICE_CLUSTER_IP_RANGE = "10.100.0.0/16"
_KUBERNETES_SERVICE_IP = "10.100.0.1"


# Client identities: (user, group). The components get the users the apiserver's
# bootstrap RBAC policy grants exactly what they need, so the audit log tells
# their background writes apart from a client's. system:masters is bound to
# cluster-admin; kwok writes every simulated node's and pod's status.
CLIENT_IDENTITIES = {
    "admin": ("bespin-admin", "system:masters"),
    # The sandbox's own seeding and resets: kept out of write accounting.
    "sandbox": ("system:bespin-sandbox", "system:masters"),
    "kube-controller-manager": ("system:kube-controller-manager", None),
    "kube-scheduler": ("system:kube-scheduler", None),
    "kwok": ("system:kwok", "system:masters"),
}
# The fault proxy's own identity towards the apiserver's request-header
# authentication (--requestheader-allowed-names); no kubeconfig is made for it.
FRONT_PROXY_IDENTITY = "front-proxy"
FRONT_PROXY_USER = "bespin-kube-fault-proxy"


@dataclass(frozen=True)
class Pki:
    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def serving_cert(self) -> Path:
        return self.directory / "apiserver.crt"

    @property
    def serving_key(self) -> Path:
        return self.directory / "apiserver.key"

    @property
    def admin_cert(self) -> Path:
        return self.client_cert("admin")

    @property
    def admin_key(self) -> Path:
        return self.client_key("admin")

    def client_cert(self, identity: str) -> Path:
        return self.directory / f"{identity}.crt"

    def client_key(self, identity: str) -> Path:
        return self.directory / f"{identity}.key"

    @property
    def service_account_key(self) -> Path:
        return self.directory / "sa.key"

    @property
    def service_account_pub(self) -> Path:
        return self.directory / "sa.pub"

    def ensure(self) -> None:
        """Create whatever is missing; existing material is kept."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if not (self.ca_cert.exists() and self.ca_key.exists()):
            key = ec.generate_private_key(ec.SECP256R1())
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bespin-sandbox-ca")])
            cert = (
                certificate_builder(name, name, key.public_key())
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .add_extension(
                    x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
                )
                .sign(key, hashes.SHA256())
            )
            write_private_key(self.ca_key, key)
            write_file(self.ca_cert, cert.public_bytes(serialization.Encoding.PEM))
        if not self.serving_cert.exists():
            sans = [
                x509.DNSName("localhost"),
                x509.DNSName("kubernetes"),
                x509.DNSName("kubernetes.default"),
                x509.DNSName("kubernetes.default.svc"),
                x509.DNSName("kubernetes.default.svc.cluster.local"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                x509.IPAddress(ipaddress.ip_address(_KUBERNETES_SERVICE_IP)),
            ]
            self._issue(self.serving_cert, self.serving_key, "kube-apiserver", None, sans, server=True)
        for identity, (common_name, organization) in {
            **CLIENT_IDENTITIES,
            FRONT_PROXY_IDENTITY: (FRONT_PROXY_USER, None),
        }.items():
            if not self.client_cert(identity).exists():
                self._issue(
                    self.client_cert(identity), self.client_key(identity), common_name, organization, [], server=False
                )
        if not self.service_account_key.exists():
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            write_private_key(self.service_account_key, key)
            write_file(
                self.service_account_pub,
                key.public_key().public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                ),
            )

    def _issue(self, cert_path, key_path, common_name, organization, sans, server):
        ca_key = serialization.load_pem_private_key(self.ca_key.read_bytes(), password=None)
        ca_cert = x509.load_pem_x509_certificate(self.ca_cert.read_bytes())
        key = ec.generate_private_key(ec.SECP256R1())
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        if organization:
            attributes.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        # Python 3.13 verifies strictly (VERIFY_X509_STRICT): key identifiers are required.
        builder = (
            certificate_builder(x509.Name(attributes), ca_cert.subject, key.public_key())
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        write_private_key(key_path, key)
        write_file(cert_path, builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))


def certificate_builder(subject, issuer, public_key) -> x509.CertificateBuilder:
    """A certificate valid from five minutes ago for ten years (shared with azure/tls.py)."""
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
    )


def write_private_key(path: Path, key) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    write_file(path, pem, mode=0o600)


def write_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Atomic replace, so a client never reads half a certificate or bundle."""
    staging = path.with_name(path.name + ".tmp")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(staging, path)
