"""Read-only data Azure serves per region: VM sizes, marketplace images, locations.

A small, fixed subset with Azure's published figures, enough for the sizes
and images the platform's playbooks use.
"""

from __future__ import annotations

LOCATIONS = {
    "westeurope": "West Europe",
    "northeurope": "North Europe",
    "eastus": "East US",
    "eastus2": "East US 2",
    "westus2": "West US 2",
    "uksouth": "UK South",
    "germanywestcentral": "Germany West Central",
}

# name: (cores, memory MiB, resource disk MiB, max data disks), as `az vm list-sizes` reports them.
VM_SIZES = {
    "Standard_B1s": (1, 1024, 4096, 2),
    "Standard_B1ms": (1, 2048, 4096, 2),
    "Standard_B2s": (2, 4096, 8192, 4),
    "Standard_B2ms": (2, 8192, 16384, 4),
    "Standard_B4ms": (4, 16384, 32768, 8),
    "Standard_D2s_v3": (2, 8192, 16384, 4),
    "Standard_D4s_v3": (4, 16384, 32768, 8),
    "Standard_D2s_v5": (2, 8192, 0, 4),
    "Standard_D4s_v5": (4, 16384, 0, 8),
    "Standard_E2s_v5": (2, 16384, 0, 4),
}


def vm_sizes() -> list[dict]:
    return [
        {
            "name": name,
            "numberOfCores": cores,
            "osDiskSizeInMB": 1047552,
            "resourceDiskSizeInMB": resource_disk,
            "memoryInMB": memory,
            "maxDataDiskCount": disks,
        }
        for name, (cores, memory, resource_disk, disks) in VM_SIZES.items()
    ]


# publisher -> offer -> sku -> (versions oldest first, Hyper-V generation, architecture)
IMAGES = {
    "Canonical": {
        "ubuntu-24_04-lts": {
            "server": (("24.04.202409120", "24.04.202505150", "24.04.202510010"), "V2", "x64"),
            "server-gen1": (("24.04.202409120", "24.04.202505150", "24.04.202510010"), "V1", "x64"),
            "server-arm64": (("24.04.202409120", "24.04.202505150", "24.04.202510010"), "V2", "Arm64"),
        },
        "0001-com-ubuntu-server-jammy": {
            "22_04-lts-gen2": (("22.04.202409110", "22.04.202505140", "22.04.202510020"), "V2", "x64"),
        },
    },
}


def image_sku(publisher: str, offer: str, sku: str) -> tuple[tuple[str, ...], str, str] | None:
    lookup = {p.lower(): offers for p, offers in IMAGES.items()}.get(publisher.lower(), {})
    skus = {o.lower(): s for o, s in lookup.items()}.get(offer.lower(), {})
    return {s.lower(): entry for s, entry in skus.items()}.get(sku.lower())
