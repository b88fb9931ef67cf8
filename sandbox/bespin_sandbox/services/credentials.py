"""Credentials the estate's users would hold, generated once per sandbox and kept in files.

The sandbox inventory reads them with file lookups, as a real inventory reads a vault:
the Git token Argo CD uses for the GitOps repository, the standby's datasource
password, and the standby's HTTPS certificate and key (self-signed, for the FQDN its
public IP gets). Tests know them from the same files and scan every run's output for them.
The Redis password is the Redis service's own (it configures the servers with it).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..pki import certificate_builder, write_file, write_private_key
from .base import Service

GENERATED = ("git-token", "standby-datasource-password")
# The standby VM's FQDN in the sandbox inventory: <dns_label>.<location>.cloudapp.azure.com.
STANDBY_FQDN = "petclinic-standby.westeurope.cloudapp.azure.com"
STANDBY_TLS_CERT = "standby-tls.crt"
STANDBY_TLS_KEY = "standby-tls.key"


class CredentialsService(Service):
    name = "credentials"

    @property
    def directory(self) -> Path:
        return self.layout.root / "credentials"

    def prepare(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        for name in GENERATED:
            path = self.directory / name
            if not path.exists():
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as handle:
                    handle.write(secrets.token_urlsafe(24))
        if not (self.directory / STANDBY_TLS_CERT).exists() or not (self.directory / STANDBY_TLS_KEY).exists():
            self._standby_certificate()

    def _standby_certificate(self) -> None:
        """A self-signed serving certificate for the standby's FQDN, and its key (0600)."""
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, STANDBY_FQDN)])
        certificate = (
            certificate_builder(name, name, key.public_key())
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(STANDBY_FQDN)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        # The key first: a certificate without its key is made again with a new key.
        write_private_key(self.directory / STANDBY_TLS_KEY, key)
        write_file(self.directory / STANDBY_TLS_CERT, certificate.public_bytes(serialization.Encoding.PEM), mode=0o644)

    def env(self) -> dict[str, str]:
        return {"BESPIN_CREDENTIALS_DIR": str(self.directory)}
