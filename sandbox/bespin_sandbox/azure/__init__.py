"""The Azure side of the sandbox: an Azure Resource Manager stand-in beside Azurite.

Unmodified azure.azcollection modules reach the stand-in the way they reach
Azure from a VM with a managed identity: they fetch a token from the
App Service identity endpoint (``IDENTITY_ENDPOINT``, plain http on loopback),
and send their ``https://management.azure.com`` requests through
``HTTPS_PROXY``, which is the stand-in itself: it answers ``CONNECT`` and
terminates TLS with a certificate from the sandbox's own CA
(``REQUESTS_CA_BUNDLE``). Storage accounts point their blob endpoint at Azurite.
"""

from __future__ import annotations

# Fixed identities of the sandbox's one subscription (any valid GUIDs do).
SUBSCRIPTION_ID = "00000000-0000-4000-8000-0000000b5e51"
TENANT_ID = "00000000-0000-4000-8000-00000000ad00"
SUBSCRIPTION_NAME = "bespin-sandbox"
# The App Service protocol's shared header value. Not a secret: the endpoint only
# listens on loopback and hands out tokens nothing checks.
IDENTITY_HEADER = "bespin-sandbox-identity"

# Azurite's documented development account (public, the same on every machine).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

# The hosts the stand-in answers for when a client tunnels to them through the proxy.
ARM_HOST = "management.azure.com"
SERVED_HOSTS = (ARM_HOST, "login.microsoftonline.com")
