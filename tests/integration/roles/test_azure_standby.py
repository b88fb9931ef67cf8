"""The azure_standby role through playbooks/azure_standby.yml and inventories/sandbox.

The sandbox's ARM stand-in answers the unmodified azure.azcollection modules, Azurite
the maintenance site. One converge (after a check-mode run on the fresh sandbox) is
shared by the tests; each later run changes something on purpose and says what.
Order matters: the tests run top to bottom on the same estate.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from azure.identity import ManagedIdentityCredential
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.network import NetworkManagementClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible_run import ROOT, sandbox_mark, sandbox_writes

from bespin_sandbox.faults import clear_faults, set_faults

pytestmark = pytest.mark.sandbox
GROUP = "petclinic-standby"  # inventories/sandbox's azure_standby_resource_group
VM = "petclinic-standby-vm"
SECRETS = {
    "azure_standby_datasource_username": "petclinic",
    "azure_standby_datasource_password": "ds-Pa55-never-printed-71",
    "azure_standby_redis_host": "redis.standby.internal",
    "azure_standby_redis_password": "redis-Pa55-never-printed-72",
    "azure_standby_mysql_enabled": True,
    "azure_standby_mysql_admin_password": "mysql-Pa55-never-printed-73",
}
# Imports the playbook, then prints the role's outputs for the tests to read.
WRAPPER = f"""
- name: The standby
  ansible.builtin.import_playbook: {ROOT}/playbooks/azure_standby.yml
- name: Outputs
  hosts: platform
  gather_facts: false
  tasks:
    - name: Print the outputs
      ansible.builtin.debug:
        msg: "AZURE_STANDBY_RESULT={{{{ azure_standby_result | to_json }}}}"
      when: azure_standby_result is defined
"""


def run_playbook(wrapper: Path, *options: str, extra: dict | None = None) -> subprocess.CompletedProcess:
    command = [
        "ansible-playbook",
        str(wrapper),
        "-i",
        "inventories/sandbox/hosts.yml",
        "-e",
        json.dumps({**SECRETS, **(extra or {})}),
    ]
    command += list(options)
    env = {
        **os.environ,
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_FORCE_COLOR": "0",
        # JSON results: the outputs line is never folded.
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
    }
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT, env=env)


def recap(result: subprocess.CompletedProcess) -> dict[str, int]:
    line = re.search(r"^localhost\s*:\s*(.*)$", result.stdout, re.MULTILINE)
    assert line, result.stdout[-3000:] + result.stderr[-2000:]
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line.group(1))}


def outputs(result: subprocess.CompletedProcess) -> dict:
    found = re.search(r"AZURE_STANDBY_RESULT=(\{.*\})", result.stdout)
    assert found, result.stdout[-3000:]
    return json.loads(found.group(1).replace('\\"', '"'))


def writes(mark: str) -> int:
    return sum(n for service in sandbox_writes(mark).values() for n in service.values())


def tail(result: subprocess.CompletedProcess) -> str:
    return result.stdout[-4000:] + result.stderr[-2000:]


@pytest.fixture(scope="module")
def wrapper(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("azure_standby") / "standby.yml"
    path.write_text(WRAPPER)
    return path


@pytest.fixture(scope="module")
def clients(sandbox):
    credential = ManagedIdentityCredential()
    subscription = os.environ["AZURE_SUBSCRIPTION_ID"]
    return ComputeManagementClient(credential, subscription), NetworkManagementClient(credential, subscription)


@pytest.fixture(scope="module")
def converged(sandbox, wrapper):
    """Check mode on the freshly reset sandbox, the first converge, then a second run at -vvv."""
    mark = sandbox_mark()
    check = run_playbook(wrapper, "--check")
    check_writes = writes(mark)
    first = run_playbook(wrapper)
    mark = sandbox_mark()
    second = run_playbook(wrapper, "-vvv")
    return {
        "check": check,
        "check_writes": check_writes,
        "first": first,
        "second": second,
        "second_writes": writes(mark),
    }


def test_check_mode_on_a_fresh_sandbox_predicts_and_writes_nothing(converged):
    counts = recap(converged["check"])
    assert counts["failed"] == 0 and counts["changed"] >= 1, tail(converged["check"])
    assert converged["check_writes"] == 0


def test_the_first_run_creates_the_estate_and_sets_the_outputs(converged, clients):
    counts = recap(converged["first"])
    assert counts["failed"] == 0 and counts["changed"] > 0, tail(converged["first"])
    result = outputs(converged["first"])
    assert result["resource_group"] == GROUP and result["vm_name"] == VM
    assert result["public_ip"].startswith("20.61.")
    assert result["fqdn"] == "petclinic-standby.westeurope.cloudapp.azure.com"
    assert result["site_endpoint"] == f"{os.environ['AZURE_STORAGE_BLOB_ENDPOINT']}/$web/"
    assert result["power_state"] == "deallocated"  # the inventory's pilot light
    assert result["mysql_fqdn"] == "petclinic-standby-mysql.mysql.database.azure.com"
    compute, network = clients
    vm = compute.virtual_machines.get(GROUP, VM)
    assert vm.hardware_profile.vm_size == "Standard_B2s"
    assert vm.os_profile.linux_configuration.disable_password_authentication is True
    assert vm.storage_profile.image_reference.offer == "ubuntu-24_04-lts"
    assert vm.tags["bespin-custom-data-sha256"] == result["custom_data_sha256"]
    assert vm.tags["environment"] == "sandbox" and vm.tags["standby-mode"] == "pilot_light"
    rules = {
        rule.name: rule for rule in network.network_security_groups.get(GROUP, "petclinic-standby-nsg").security_rules
    }
    assert set(rules) == {"http", "https", "ssh-admin"}
    ssh = rules["ssh-admin"]
    assert (ssh.source_address_prefixes or [ssh.source_address_prefix]) == ["203.0.113.0/24"]
    address = network.public_ip_addresses.get(GROUP, "petclinic-standby-ip")
    assert address.sku.name == "Standard" and address.public_ip_allocation_method == "Static"
    assert address.ip_address == result["public_ip"]


def test_the_second_run_changes_nothing_and_prints_no_secret(converged):
    counts = recap(converged["second"])
    assert counts["failed"] == 0 and counts["changed"] == 0, tail(converged["second"])
    assert converged["second_writes"] == 0
    printed = converged["second"].stdout + converged["second"].stderr
    assert "ESTABLISH LOCAL CONNECTION" in printed  # really -vvv
    for name in (
        "azure_standby_datasource_password",
        "azure_standby_redis_password",
        "azure_standby_mysql_admin_password",
    ):
        assert SECRETS[name] not in printed, name


def test_ssh_from_anywhere_passes_the_checks_when_allowed(converged, wrapper):
    extra = {"azure_standby_admin_cidrs": ["0.0.0.0/0"], "azure_standby_allow_ssh_from_anywhere": True}
    result = run_playbook(wrapper, "--tags", "azure_standby_validate", extra=extra)
    assert recap(result)["failed"] == 0, tail(result)


def test_a_changed_cloud_init_fails_and_says_the_vm_must_be_recreated(converged, wrapper):
    mark = sandbox_mark()
    extra = {"azure_standby_redis_password": "redis-rotated-never-printed-74"}
    result = run_playbook(
        wrapper, "--tags", "azure_standby_validate,azure_standby_network,azure_standby_vm", extra=extra
    )
    assert recap(result)["failed"] == 1, tail(result)
    assert "must be recreated" in result.stdout and "azure_standby_recreate_on_custom_data_change" in result.stdout
    assert "redis-rotated-never-printed-74" not in result.stdout + result.stderr
    assert writes(mark) == 0


def test_warm_mode_under_azure_faults_still_converges(converged, wrapper, sandbox, clients):
    """10% 429 (with Retry-After) and 10% 500 on every ARM request: the SDK's retries absorb them."""
    plan = sandbox.layout.faults_file
    set_faults(plan, "azure", {"throttling": 0.1, "error500": 0.1}, seed=9)
    try:
        result = run_playbook(wrapper, extra={"azure_standby_mode": "warm"})
    finally:
        clear_faults(plan)
    counts = recap(result)
    assert counts["failed"] == 0 and counts["changed"] > 0, tail(result)
    assert outputs(result)["power_state"] == "running"
    compute, _network = clients
    statuses = compute.virtual_machines.instance_view(GROUP, VM).statuses
    assert "PowerState/running" in [status.code for status in statuses]


def test_recreate_on_a_changed_cloud_init_keeps_the_nic_and_the_address(converged, wrapper, clients):
    compute, network = clients
    before_vm = compute.virtual_machines.get(GROUP, VM)
    before_ip = network.public_ip_addresses.get(GROUP, "petclinic-standby-ip").ip_address
    extra = {
        "azure_standby_redis_password": "redis-rotated-never-printed-74",
        "azure_standby_recreate_on_custom_data_change": True,
    }
    result = run_playbook(
        wrapper, "--tags", "azure_standby_validate,azure_standby_network,azure_standby_vm", extra=extra
    )
    assert recap(result)["failed"] == 0, tail(result)
    assert "redis-rotated-never-printed-74" not in result.stdout + result.stderr
    after_vm = compute.virtual_machines.get(GROUP, VM)
    assert after_vm.vm_id != before_vm.vm_id
    assert after_vm.tags["bespin-custom-data-sha256"] != before_vm.tags["bespin-custom-data-sha256"]
    assert after_vm.network_profile.network_interfaces[0].id == before_vm.network_profile.network_interfaces[0].id
    assert network.public_ip_addresses.get(GROUP, "petclinic-standby-ip").ip_address == before_ip
