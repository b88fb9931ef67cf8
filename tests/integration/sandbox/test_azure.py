"""The sandbox's Azure side: unmodified azure.azcollection modules against the ARM stand-in and Azurite.

Playbooks under azure/ run through ansible-playbook with the sandbox's
environment (managed identity, HTTPS_PROXY to the stand-in); the Azure SDK
checks what the modules cannot show (error codes, throttling, back-references).
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.identity import ManagedIdentityCredential
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.resource import ResourceManagementClient
from azure.mgmt.storage import StorageManagementClient

from bespin_sandbox.accounting import mark, writes_since

pytestmark = pytest.mark.sandbox
PLAYBOOKS = Path(__file__).resolve().parent / "azure"
GROUP = "bespin-web"  # the resource group vm.yml creates


def run_playbook(name: str, *options: str) -> dict[str, int]:
    """Run one playbook; the PLAY RECAP counts for localhost."""
    command = ["ansible-playbook", str(PLAYBOOKS / name), *options]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{name} failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
    recap = re.search(r"^localhost\s*:\s*(.*)$", result.stdout, re.MULTILINE)
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", recap.group(1))}


def sandbox_cli(*args: str) -> str:
    result = subprocess.run(["sandbox", *args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def credential(sandbox):
    return ManagedIdentityCredential()


@pytest.fixture(scope="module")
def subscription(sandbox) -> str:
    return os.environ["AZURE_SUBSCRIPTION_ID"]


@pytest.fixture(scope="module")
def web_vm(sandbox):
    """The estate of vm.yml, created once for this module; the recap of that first run."""
    return run_playbook("vm.yml")


def test_playbook_creates_the_web_vm_estate(web_vm):
    # Resource group, vnet, subnet, NSG, public IP, NIC, VM; the playbook's own asserts read them back.
    assert web_vm["changed"] == 7
    assert web_vm["failed"] == 0


def test_second_run_changes_nothing(web_vm):
    recap = run_playbook("vm.yml", "--skip-tags", "read-back")
    assert recap["changed"] == 0
    assert recap["ok"] == 7


def test_server_fills_references_back(web_vm, credential, subscription):
    network = NetworkManagementClient(credential, subscription)
    address = network.public_ip_addresses.get(GROUP, "web-ip")
    nic = network.network_interfaces.get(GROUP, "web-nic")
    assert address.ip_configuration.id == nic.ip_configurations[0].id
    assert nic.virtual_machine.id.endswith("/virtualMachines/web-vm")
    assert nic.dns_settings.internal_domain_name_suffix.endswith(".internal.cloudapp.net")
    subnet = network.subnets.get(GROUP, "web-vnet", "web")
    assert [c.id for c in subnet.ip_configurations] == [nic.ip_configurations[0].id]


def test_custom_data_is_write_only_and_fixed_at_creation(web_vm, credential, subscription):
    compute = ComputeManagementClient(credential, subscription)
    vm = compute.virtual_machines.get(GROUP, "web-vm")
    assert vm.os_profile.custom_data is None  # Azure never returns it
    assert vm.storage_profile.image_reference.exact_version.startswith("24.04.")
    vm.os_profile.custom_data = base64.b64encode(b"#cloud-config\npackages: [apache2]\n").decode()
    with pytest.raises(HttpResponseError) as refused:
        compute.virtual_machines.begin_create_or_update(GROUP, "web-vm", vm).result()
    assert refused.value.error.code == "PropertyChangeNotAllowed"
    assert refused.value.status_code == 409


def test_deallocate_and_start_are_two_counted_writes(web_vm, sandbox):
    token = mark(sandbox.layout.writes_dir)
    recap = run_playbook("power.yml")
    assert recap["changed"] == 2
    writes = [(w.verb, w.path) for w in writes_since(sandbox.layout.writes_dir, token) if w.service == "azure"]
    assert writes == [
        ("POST", "Microsoft.Compute/virtualMachines/deallocate"),
        ("POST", "Microsoft.Compute/virtualMachines/start"),
    ]


def test_writes_are_counted_exactly(sandbox, credential, subscription):
    resources = ResourceManagementClient(credential, subscription)
    storage = StorageManagementClient(credential, subscription)
    token = mark(sandbox.layout.writes_dir)
    resources.resource_groups.create_or_update("bespin-count", {"location": "westeurope"})
    assert storage.storage_accounts.check_name_availability({"name": "bespincount"}).name_available
    storage.storage_accounts.begin_create(
        "bespin-count", "bespincount", {"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}
    ).result()
    assert storage.storage_accounts.list_keys("bespin-count", "bespincount").keys_property[0].value
    resources.resource_groups.update("bespin-count", {"tags": {"purpose": "count"}})
    storage.storage_accounts.delete("bespin-count", "bespincount")
    resources.resource_groups.begin_delete("bespin-count").result()
    writes = [(w.verb, w.path) for w in writes_since(sandbox.layout.writes_dir, token) if w.service == "azure"]
    assert writes == [
        ("PUT", "Microsoft.Resources/resourceGroups"),
        ("PUT", "Microsoft.Storage/storageAccounts"),
        ("PATCH", "Microsoft.Resources/resourceGroups"),
        ("DELETE", "Microsoft.Storage/storageAccounts"),
        ("DELETE", "Microsoft.Resources/resourceGroups"),
    ]
    assert not resources.resource_groups.check_existence("bespin-count")


def test_errors_have_arm_codes(sandbox, credential, subscription):
    resources = ResourceManagementClient(credential, subscription)
    network = NetworkManagementClient(credential, subscription)
    with pytest.raises(ResourceNotFoundError) as missing_group:
        resources.resource_groups.get("bespin-missing")
    assert missing_group.value.error.code == "ResourceGroupNotFound"
    resources.resource_groups.create_or_update("bespin-errors", {"location": "westeurope"})
    with pytest.raises(ResourceNotFoundError) as missing_vnet:
        network.virtual_networks.get("bespin-errors", "nothing-here")
    assert missing_vnet.value.error.code == "ResourceNotFound"


def test_static_website_page_is_readable_from_azurite(sandbox):
    recap = run_playbook("website.yml")
    assert recap["failed"] == 0
    url = f"{os.environ['AZURE_STORAGE_BLOB_ENDPOINT']}/$web/index.html"
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - the sandbox's loopback Azurite
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/html"
        assert b"Hello from $web" in response.read()


def test_throttled_resource_group_reads_still_succeed(sandbox, credential, subscription):
    resources = ResourceManagementClient(credential, subscription)
    resources.resource_groups.create_or_update("bespin-throttled", {"location": "westeurope"})
    sandbox_cli("faults", "set", "azure", "throttling=0.2")
    try:
        result = subprocess.run(
            [
                "ansible",
                "localhost",
                "-m",
                "azure.azcollection.azure_rm_resourcegroup_info",
                "-a",
                "name=bespin-throttled",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-2000:]
        assert re.search(r"^\s+name: bespin-throttled$", result.stdout, re.MULTILINE), result.stdout
        # The SDK retries after the Retry-After the stand-in sends; count the 429s it met.
        statuses = []
        for _attempt in range(10):
            group = resources.resource_groups.get(
                "bespin-throttled",
                raw_response_hook=lambda response: statuses.append(response.http_response.status_code),
            )
            assert group.name == "bespin-throttled"
        assert 429 in statuses
        assert statuses.count(200) == 10
    finally:
        sandbox_cli("faults", "clear")
