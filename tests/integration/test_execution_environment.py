"""The execution environment for AWX / Automation Platform: ansible-builder writes
its build context offline, the collection ships the requirement files the image
build reads, and those files cover every third-party import of the collection.

No image is built here (no container runtime, no network): what the image build
would install is checked in the build context and by running ansible-builder's
own introspection script against the installed collection tarball.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import importlib.util
import io
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from bindep.depends import Depends
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
EE_FILE = ROOT / "execution-environment.yml"
# What ansible-builder's introspection leaves out of a collection's requirements
# (already in every EE); it still installs them from the EE's own python file.
INTROSPECT_DROPS = {"pyyaml"}
# Import names whose distribution is named otherwise.
DISTRIBUTION_OF = {"yaml": "PyYAML"}
# Python code the collection runs on the execution node: its plugins, and the
# role scripts run with the controller's Python (dr_failover's Route53 answer).
RUNTIME_SOURCES = ("plugins/**/*.py", "roles/*/files/*.py")


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, env={**os.environ, **(env or {})})


def requirement_lines(path: Path) -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line]


def ee_definition() -> dict:
    return yaml.safe_load(EE_FILE.read_text())


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    target = tmp_path_factory.mktemp("ee") / "context"
    # Proxies that lead nowhere: any attempt of `create` to reach the network
    # fails the run instead of passing by luck where a registry is reachable.
    nowhere = "http://127.0.0.1:9"
    result = run(
        "ansible-builder",
        "create",
        "-f",
        str(EE_FILE),
        "--context",
        str(target),
        "--output-filename",
        "Containerfile",
        env={"HTTP_PROXY": nowhere, "HTTPS_PROXY": nowhere, "http_proxy": nowhere, "https_proxy": nowhere},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return target


@pytest.fixture(scope="module")
def containerfile(context) -> str:
    return (context / "Containerfile").read_text()


@pytest.fixture(scope="module")
def tarball(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    result = run("ansible-galaxy", "collection", "build", "--output-path", str(out), str(ROOT))
    assert result.returncode == 0, result.stdout + result.stderr
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    return out / f"bespin-platform-{version}.tar.gz"


def test_create_writes_the_context_with_our_requirement_files(context):
    build = context / "_build"
    assert (context / "Containerfile").is_file()
    assert (build / "requirements.txt").read_text() == (ROOT / "requirements.txt").read_text()
    assert (build / "bindep.txt").read_text() == (ROOT / "bindep.txt").read_text()
    assert (build / "requirements.yml").read_text() == (ROOT / "execution-environment/requirements.yml").read_text()
    assert (build / "bespin" / "install_helm.py").read_text() == (
        ROOT / "execution-environment/install_helm.py"
    ).read_text()
    assert (build / "scripts" / "introspect.py").is_file()


def test_containerfile_installs_the_galaxy_requirements(containerfile):
    definition = ee_definition()
    assert f'ARG EE_BASE_IMAGE="{definition["images"]["base_image"]["name"]}"' in containerfile
    assert 'ARG PKGMGR="/usr/bin/microdnf"' in containerfile
    assert 'ARG PYCMD="/usr/bin/python3.12"' in containerfile
    assert re.search(r'ARG ANSIBLE_INSTALL_REFS=".*ansible-core>=2\.21[^"]*ansible-runner', containerfile)
    galaxy_stage = containerfile.split("FROM base as galaxy", 1)[1].split("FROM base as builder", 1)[0]
    assert "COPY _build /build" in galaxy_stage
    assert re.search(r"^RUN .*ansible-galaxy collection install .*-r requirements\.yml", galaxy_stage, re.M)
    # The builder stage merges our files with every installed collection's.
    assert "--user-pip=requirements.txt --user-bindep=bindep.txt" in containerfile


def helm_version_of_sandbox() -> str:
    script = (ROOT / "sandbox/scripts/build-tools.sh").read_text()
    return re.search(r"^HELM_VERSION=(v[0-9.]+)", script, re.M).group(1)


def test_containerfile_installs_helm_in_the_final_image(containerfile):
    final = containerfile.split("FROM base as final", 1)[1]
    # The Helm the sandbox tests run is the Helm the image gets.
    assert f"ARG HELM_VERSION={helm_version_of_sandbox()}" in final
    assert "COPY _build/bespin/install_helm.py /tmp/install_helm.py" in final
    step = next(line for line in final.splitlines() if "install_helm.py --version" in line)
    assert step.startswith("RUN $PYCMD /tmp/install_helm.py")
    assert '--version "$HELM_VERSION"' in step
    assert '--sha256 "$HELM_SHA256"' in step
    assert "--dest /usr/local/bin" in step
    assert step.endswith("/usr/local/bin/helm version --short")
    # Installed before the image drops to its unprivileged user.
    assert final.index("install_helm.py --version") < final.index("USER 1000")


def test_galaxy_requirements_match_galaxy_yml():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    requirements = yaml.safe_load((ROOT / "execution-environment/requirements.yml").read_text())["collections"]
    local = [entry for entry in requirements if entry.get("type") == "file"]
    assert [entry["name"] for entry in local] == [f"collections/bespin-platform-{galaxy['version']}.tar.gz"]
    from_galaxy = {entry["name"]: entry["version"] for entry in requirements if entry.get("type") != "file"}
    assert from_galaxy == galaxy["dependencies"]
    # The tarball the requirements name is one additional_build_files copies there.
    copies = [entry for entry in ee_definition()["additional_build_files"] if entry["dest"] == "collections"]
    assert len(copies) == 1
    assert fnmatch.fnmatch(Path(local[0]["name"]).name, copies[0]["src"])


def test_tarball_ships_the_ee_metadata_and_not_the_ee_definition(tarball):
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    for shipped in ("requirements.txt", "bindep.txt", "meta/execution-environment.yml"):
        assert shipped in names, f"{shipped} must ship in the collection"
    assert "execution-environment.yml" not in names
    assert not any(name.startswith("execution-environment/") for name in names)
    meta = yaml.safe_load((ROOT / "meta/execution-environment.yml").read_text())
    assert meta == {"version": 1, "dependencies": {"python": "requirements.txt", "system": "bindep.txt"}}


def test_introspection_of_the_installed_collection_finds_its_requirements(context, tarball, tmp_path):
    """What the image's builder stage runs, against the tarball installed alone."""
    collections = tmp_path / "collections"
    result = run(
        "ansible-galaxy", "collection", "install", "--force", "--no-deps", "-p", str(collections), str(tarball)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    pip_out, bindep_out = tmp_path / "out" / "requirements.txt", tmp_path / "out" / "bindep.txt"
    result = run(
        sys.executable,
        str(context / "_build/scripts/introspect.py"),
        "introspect",
        str(collections),
        f"--write-pip={pip_out}",
        f"--write-bindep={bindep_out}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    ours = "  # from collection bespin.platform"
    found_pip = {Requirement(line[: -len(ours)]) for line in pip_out.read_text().splitlines() if line.endswith(ours)}
    expected = {
        requirement
        for requirement in requirement_lines(ROOT / "requirements.txt")
        if canonicalize_name(requirement.name) not in INTROSPECT_DROPS
    }
    assert found_pip == expected
    found_bindep = bindep_out.read_text().splitlines()
    assert "openssh-clients [platform:rpm]  # from collection bespin.platform" in found_bindep
    assert "ca-certificates  # from collection bespin.platform" in found_bindep


def third_party_imports() -> dict[str, set[str]]:
    """Top-level module name -> files importing it, for code run on the execution node."""
    local = {"ansible", "ansible_collections", "__future__"}
    found: dict[str, set[str]] = {}
    for pattern in RUNTIME_SOURCES:
        for path in ROOT.glob(pattern):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".", 1)[0]
                    if top not in local and top not in sys.stdlib_module_names:
                        found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_requirements_cover_every_third_party_import():
    imports = third_party_imports()
    # The scan itself works: these are imported today.
    assert {"kubernetes", "botocore", "redis", "jsonschema", "yaml"} <= set(imports)
    required = {canonicalize_name(req.name) for req in requirement_lines(ROOT / "requirements.txt")}
    needed = {canonicalize_name(DISTRIBUTION_OF.get(name, name)): files for name, files in imports.items()}
    missing = {name: sorted(files) for name, files in needed.items() if name not in required}
    assert not missing, f"imported but not in requirements.txt: {missing}"
    unused = required - set(needed)
    assert not unused, f"in requirements.txt but imported nowhere: {sorted(unused)}"


def test_requirement_ranges_admit_the_tested_pins():
    pins = {}
    for line in (ROOT / "requirements/constraints.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[canonicalize_name(name)] = version.strip()
    for requirement in requirement_lines(ROOT / "requirements.txt"):
        operators = {spec.operator for spec in requirement.specifier}
        assert {">=", "<"} <= operators, f"{requirement} needs a lower and an upper bound"
        pin = pins[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(pin), f"{requirement} excludes the tested {pin}"


def test_bindep_names_the_packages_per_platform():
    depends = Depends((ROOT / "bindep.txt").read_text())
    rpm = [rule[0] for rule in depends.active_rules(["default", "platform:rpm", "platform:redhat"])]
    dpkg = [rule[0] for rule in depends.active_rules(["default", "platform:dpkg", "platform:debian"])]
    assert sorted(rpm) == ["ca-certificates", "openssh-clients"]
    assert sorted(dpkg) == ["ca-certificates", "openssh-client"]


# install_helm.py, run against a local stand-in for the release host.


def load_install_helm():
    spec = importlib.util.spec_from_file_location("install_helm", ROOT / "execution-environment/install_helm.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def release(tmp_path):
    """A fake helm release for this machine's architecture, as the release host lays it out."""
    install_helm = load_install_helm()
    arch = install_helm.helm_arch()
    payload = b"#!/bin/sh\necho v0.0.0-test\n"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(f"linux-{arch}/helm")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    name = f"helm-v0.0.0-linux-{arch}.tar.gz"
    digest = hashlib.sha256(buffer.getvalue()).hexdigest()
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / name).write_bytes(buffer.getvalue())
    (mirror / f"{name}.sha256sum").write_text(f"{digest}  {name}\n")
    return {"url": mirror.as_uri(), "sha256": digest, "payload": payload, "dest": tmp_path / "bin"}


def test_install_helm_checks_the_published_checksum(release):
    script = ROOT / "execution-environment/install_helm.py"
    args = ("--version", "v0.0.0", "--base-url", release["url"], "--dest", str(release["dest"]))
    result = run(sys.executable, str(script), *args)
    assert result.returncode == 0, result.stdout + result.stderr
    helm = release["dest"] / "helm"
    assert helm.read_bytes() == release["payload"]
    assert os.access(helm, os.X_OK)
    assert run(str(helm)).stdout.strip() == "v0.0.0-test"


def test_install_helm_refuses_an_archive_that_does_not_match(release):
    script = ROOT / "execution-environment/install_helm.py"
    wrong = "0" * 64
    args = ("--version", "v0.0.0", "--base-url", release["url"], "--dest", str(release["dest"]), "--sha256", wrong)
    result = run(sys.executable, str(script), *args)
    assert result.returncode != 0
    assert f"expected {wrong}" in result.stderr
    assert not (release["dest"] / "helm").exists()
    # The pinned digest is accepted.
    result = run(sys.executable, str(script), *args[:-1], release["sha256"])
    assert result.returncode == 0, result.stdout + result.stderr
