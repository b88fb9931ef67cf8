"""inventories/example: its variables are the roles' own, no secret sits in it in clear,
and on a private sandbox with the seed-003 nodegroups the inventory finds the 13
nodes (also without Azure credentials), site.yml parses with it, the node_topology
playbook converges them (placement proved by the real scheduler), and a second run
changes nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

ROOT = Path(__file__).resolve().parents[2]
TOPOLOGY = ROOT / "sandbox" / "bespin_sandbox" / "topologies" / "seed-003.yml"
INVENTORY = ROOT / "inventories" / "example"
GROUP_VARS = INVENTORY / "group_vars"
VAULT_FILE = GROUP_VARS / "platform" / "vault.yml"
needs_sandbox = [pytest.mark.sandbox, pytest.mark.slow]

# Variables the example sets that are not role options: Ansible's connection
# settings, the node topology's per-nodegroup declarations, the vault's values
# and the playbooks' own bespin_* settings. A playbook's own settings (named
# after it, e.g. dr_drill_*) count when its header comment documents them.
NOT_ROLE_OPTIONS = re.compile(r"^(ansible_\w+|node_labels|node_taints|vault_\w+|bespin_\w+)$")
# Keys that look secret but hold where a secret is kept, or how it is handled.
SECRET_LOCATIONS = {
    "argocd_admin_password_source",
    "argocd_admin_secret_name",
    "argocd_remove_initial_admin_secret",
    "secrets_manager_secret",
    "eks_addons_secret_store_name",
    "eks_addons_secret_name_prefix",
    "redis_session_generate_password",
    "redis_session_password_secret",
    "redis_session_password_secret_key",
    "redis_session_app_secret_name",
}
SECRET_KEY = re.compile(r"password|passwd|token|secret|private_key", re.IGNORECASE)
VAULT_REFERENCE = re.compile(r"^\{\{\s*(vault_\w+)\s*\}\}$")
VAULT_HEADER = re.compile(r"^\$ANSIBLE_VAULT;1\.[12];AES256(;[\w.-]+)?\n([0-9a-f]+\n?)+$")


class Vaulted(str):
    """The ciphertext of a `!vault` value, as found in the file."""


class VaultLoader(yaml.SafeLoader):
    """SafeLoader that also accepts ansible-vault's `!vault` tag."""


VaultLoader.add_constructor("!vault", lambda loader, node: Vaulted(loader.construct_scalar(node)))


def load_text(text: str):
    return yaml.load(text, Loader=VaultLoader)  # noqa: S506 - a SafeLoader subclass


def load(path: Path):
    return load_text(path.read_text())


def group_vars_files() -> list[Path]:
    return sorted(GROUP_VARS.rglob("*.yml"))


def example_yaml_files() -> list[Path]:
    return sorted(INVENTORY.rglob("*.yml"))


def role_options() -> set[str]:
    names = set()
    for spec in ROOT.glob("roles/*/meta/argument_specs.yml"):
        for entry in (yaml.safe_load(spec.read_text())["argument_specs"] or {}).values():
            names.update((entry or {}).get("options") or {})
    return names


def playbook_options() -> set[str]:
    """The <playbook>_* names each playbook's header comment documents."""
    names = set()
    for playbook in ROOT.glob("playbooks/*.yml"):
        own = re.compile(rf"\b{re.escape(playbook.stem)}_\w+")
        for line in playbook.read_text().splitlines():
            if line.startswith("#"):
                names.update(own.findall(line))
    return names


def walk(value, path=()):
    """Every (key path, value) pair under a YAML document."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, str(key)), item
            yield from walk(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, (*path, str(index)))


def test_every_variable_of_the_example_is_a_role_option():
    known = role_options() | playbook_options()
    assert "argocd_repositories" in known and "azure_standby_mode" in known
    assert "dr_drill_rto_target_seconds" in known
    unknown = {
        f"{path.relative_to(INVENTORY)}: {name}"
        for path in group_vars_files()
        for name in load(path) or {}
        if not NOT_ROLE_OPTIONS.match(name) and name not in known
    }
    assert not unknown, f"not an option of any role's meta/argument_specs.yml: {sorted(unknown)}"


def test_the_vaulted_values_are_vault_ciphertext_and_every_reference_resolves():
    vaulted = load(VAULT_FILE)
    assert vaulted, "vault.yml holds no variable"
    for name, value in vaulted.items():
        assert name.startswith("vault_"), name
        assert isinstance(value, Vaulted), f"{name} is not a !vault value"
        assert VAULT_HEADER.match(value.strip() + "\n"), f"{name} is not ansible-vault AES256 ciphertext"
        assert "change-me" not in value
    referenced = set()
    for path in example_yaml_files():
        if path == VAULT_FILE:
            continue
        for keys, value in walk(load(path)):
            assert not keys[-1].startswith("vault_"), f"{path.name}: {keys[-1]} belongs in vault.yml"
            if isinstance(value, str):
                referenced.update(re.findall(r"\bvault_\w+", value))
    assert referenced == set(vaulted), f"referenced {sorted(referenced)}, vaulted {sorted(vaulted)}"


def clear_secrets(document) -> list[str]:
    """Key paths whose key looks secret and whose value is a literal: not a lookup,
    a vault_* reference or a !vault value."""
    clear = []
    for keys, value in walk(document):
        if not SECRET_KEY.search(keys[-1]) or keys[-1] in SECRET_LOCATIONS:
            continue
        if isinstance(value, Vaulted) or value in ("", None):
            continue
        if isinstance(value, str) and ("lookup(" in value or VAULT_REFERENCE.match(value.strip())):
            continue
        clear.append(".".join(keys))
    return clear


def test_no_secret_is_written_in_clear():
    clear = [
        f"{path.relative_to(INVENTORY)}: {keys}" for path in example_yaml_files() for keys in clear_secrets(load(path))
    ]
    assert not clear, f"secret-looking values that are not a lookup, a vault_* reference or !vault: {clear}"


def test_the_clear_secret_check_sees_nested_literals():
    document = load_text(
        "argocd_repositories:\n  - {name: git, secrets_manager_secret: ci/git, password: hunter2hunter2}\n"
        "redis_session_password: \"{{ lookup('amazon.aws.secretsmanager_secret', 'x') }}\"\n"
        "azure_standby_redis_password: '{{ vault_redis }}'\n"
        "vault_redis: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n"
        "azure_standby_mysql_admin_password: change-me\n"
    )
    assert clear_secrets(document) == ["argocd_repositories.0.password", "azure_standby_mysql_admin_password"]


@pytest.fixture(scope="module")
def seed_003(tmp_path_factory):
    """A second sandbox (own folder and ports) with the example's nodegroups."""
    state = tmp_path_factory.mktemp("seed-003") / "state"
    env = {**os.environ, "BESPIN_SANDBOX_DIR": str(state), "BESPIN_SANDBOX_PORT_BASE": "27000"}
    command = ["sandbox", "up", "--topology", str(TOPOLOGY)]
    up = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert up.returncode == 0, up.stderr
    exports = subprocess.run(["sandbox", "env"], env=env, capture_output=True, text=True, check=True).stdout
    for line in exports.splitlines():
        name, _equals, value = line.removeprefix("export ").partition("=")
        env[name] = value.strip("'\"")
    yield env
    subprocess.run(["sandbox", "down"], env=env, capture_output=True, check=False)


@pytest.fixture
def without_azure(seed_003, tmp_path):
    """The sandbox's AWS and Kubernetes, but no Azure credentials of any kind."""
    azure = re.compile(r"^(AZURE_|ANSIBLE_AZURE_|IDENTITY_|MSI_|ARM_)")
    env = {name: value for name, value in seed_003.items() if not azure.match(name)}
    # No ~/.azure/credentials or az CLI login either: an empty home.
    env["HOME"] = str(tmp_path)
    env["AZURE_CONFIG_DIR"] = str(tmp_path / ".azure")
    return env


def ansible(env, *command):
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.mark.sandbox
@pytest.mark.slow
def test_the_example_inventory_groups_the_13_nodes_by_nodegroup(seed_003):
    listed = json.loads(ansible(seed_003, "ansible-inventory", "-i", str(INVENTORY), "--list").stdout)
    assert len(listed["eks_nodes"]["hosts"]) == 13
    assert len(listed["nodegroup_api_auth"]["hosts"]) == 1
    hostvars = listed["_meta"]["hostvars"]
    auth = listed["nodegroup_api_auth"]["hosts"][0]
    assert hostvars[auth]["node_labels"] == {"domain": "auth", "workload": "api", "phase": "1"}
    # The platform's settings go to the controller only, not to the nodes.
    assert listed["platform"]["hosts"] == ["localhost"]
    assert hostvars["localhost"]["redis_session_namespace"] == "redis"
    assert "redis_session_namespace" not in hostvars[auth]


@pytest.mark.sandbox
@pytest.mark.slow
def test_the_graph_without_azure_credentials_has_the_controller_and_the_nodes(without_azure):
    graph = ansible(without_azure, "ansible-inventory", "-i", str(INVENTORY), "--graph")
    groups = {}
    current = None
    for line in graph.stdout.splitlines():
        name = line.strip(" |-")
        if name.startswith("@"):
            current = groups.setdefault(name[1:].rstrip(":"), [])
        elif current is not None:
            current.append(name)
    assert groups["platform"] == ["localhost"]
    assert len(groups["eks_nodes"]) == 13
    assert len([name for name in groups if name.startswith("nodegroup_")]) == 13
    # The Azure source failed (a warning, not an error) and only its group is missing.
    assert "azure_standby_vm" not in groups
    assert "standby.azure_rm.yml" in graph.stderr


@pytest.mark.sandbox
@pytest.mark.slow
def test_site_yml_passes_syntax_check_with_the_example(without_azure):
    result = ansible(without_azure, "ansible-playbook", "site.yml", "-i", str(INVENTORY), "--syntax-check")
    assert "playbook: site.yml" in result.stdout


@pytest.mark.sandbox
@pytest.mark.slow
def test_the_node_topology_playbook_converges_and_proves_placement(seed_003):
    playbook = ["ansible-playbook", "-i", str(INVENTORY), "playbooks/node_topology.yml"]
    first = ansible(seed_003, *playbook).stdout
    assert "placement" in first.lower()
    core = client.CoreV1Api(config.new_client_from_config(config_file=seed_003["KUBECONFIG"]))
    by_nodegroup = {node.metadata.labels["eks.amazonaws.com/nodegroup"]: node for node in core.list_node().items}
    chat = by_nodegroup["api-chat"]
    assert {k: chat.metadata.labels[k] for k in ("domain", "workload", "phase")} == {
        "domain": "chat",
        "workload": "api",
        "phase": "3",
    }
    assert [(t.key, t.value, t.effect) for t in chat.spec.taints] == [("domain", "chat", "NoSchedule")]
    storage = by_nodegroup["worker-storage"]
    assert storage.metadata.labels["domain"] == "scan" and not storage.spec.taints

    # Nothing to change, so no placement probe either: the rerun writes nothing at all.
    sandbox = ["sandbox", "writes"]
    mark = subprocess.run([*sandbox, "--mark"], env=seed_003, capture_output=True, text=True, check=True).stdout
    second = ansible(seed_003, *playbook).stdout
    recap = second[second.index("PLAY RECAP") :]
    changed = [int(n) for n in re.findall(r"changed=(\d+)", recap)]
    assert changed and not any(changed), recap
    since = [*sandbox, "--since", mark.strip(), "--json"]
    writes = json.loads(subprocess.run(since, env=seed_003, capture_output=True, text=True, check=True).stdout)
    assert writes == {}, writes
