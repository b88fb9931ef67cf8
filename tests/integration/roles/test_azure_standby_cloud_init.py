"""The azure_standby role's cloud-init, checked by the programs that read it on the VM.

No VM boots in the sandbox, so the cloud-init the role renders is never run there. Here it
is rendered as the role renders it (its template, defaults and vars, the sandbox inventory,
and its own settings checks first) for both certificate sources, and given to Debian's
`cloud-init schema`, `nginx -t` and `systemd-analyze verify` (`make setup` installs them:
scripts/install-system-packages.sh). Each validator is also shown a rendering broken on
purpose, so that it is seen to fail. No sandbox is needed: the inventory's credential files
are made by the sandbox's own credentials service in a temporary folder.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography import x509

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ansible_run import ROOT
from tls_pairs import self_signed

from bespin_sandbox.layout import Layout
from bespin_sandbox.services.credentials import STANDBY_FQDN, STANDBY_TLS_CERT, STANDBY_TLS_KEY, CredentialsService

TEMPLATE = Path(ROOT) / "roles" / "azure_standby" / "templates" / "cloud-init.yml.j2"
# Where the cloud-init puts what nginx reads (the role's vars/main.yml); mapped into a test folder.
TLS_DIR = "/etc/ssl/bespin/"
ACME_WEBROOT = "/var/www/acme"
SITE = "/etc/nginx/sites-available/default"
UNIT_DIR = "/etc/systemd/system/"
DR_NAME = "dr.petclinic.example.com"
SOURCES = {
    # The sandbox inventory's own settings: the pem source with its credentials service's pair.
    "pem": {},
    "acme": {
        "azure_standby_tls_source": "acme",
        "azure_standby_tls_acme_email": "platform@example.com",
        "azure_standby_tls_extra_names": [DR_NAME],
    },
}
# The role's settings checks, then its template rendered into `dest`. The copy is the test's
# own file (the role writes no cloud-init on the controller); no_log as the role's rendering is.
RENDER = """
- name: Render the standby's cloud-init as the role does
  hosts: platform
  gather_facts: false
  tasks:
    - name: The role's settings checks, with its defaults and vars
      ansible.builtin.include_role:
        name: azure_standby
        tasks_from: validate.yml
        public: true
    - name: The cloud-init
      ansible.builtin.copy:
        content: "{{ lookup('ansible.builtin.template', template) }}"
        dest: "{{ dest }}"
        mode: "0600"
      no_log: true
"""
# Each case's settings checks in a block of its own: every failure message in one run.
CHECK_CASE = """
    - name: Case {name}
      block:
        - name: Checks {name}
          ansible.builtin.include_role:
            name: azure_standby
            tasks_from: validate.yml
          vars: {vars}
        - name: Passed {name}
          ansible.builtin.debug:
            msg: "CASE {name} PASSED"
      rescue:
        - name: Failed {name}
          ansible.builtin.debug:
            msg: "CASE {name} FAILED {{{{ ansible_failed_result.msg | b64encode }}}}"
"""


def run_ansible(playbook: Path, extra: dict, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ansible-playbook", str(playbook), "-i", "inventories/sandbox/hosts.yml", "-e", json.dumps(extra)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, **env, "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_PYTHON_INTERPRETER": sys.executable},
    )


def make_pair(names: list[str], days: int = 30) -> tuple[str, str]:
    """A self-signed certificate for `names` (expired when days < 0) and its key, as PEM."""
    return self_signed(common_name=names[0], sans=names, days=days)


def key_line(pem: str) -> str:
    """The first line of a PEM key's base64 body: distinctive, and on one line wherever it leaks."""
    return pem.strip().splitlines()[1]


@pytest.fixture(scope="module")
def inventory_env(tmp_path_factory) -> dict[str, str]:
    """What the sandbox inventory's lookups read: a credentials folder as `sandbox up` makes it."""
    root = tmp_path_factory.mktemp("sandbox-state")
    credentials = CredentialsService(Layout(root=root, port_base=0))
    credentials.prepare()
    redis_password = root / "redis-password"
    redis_password.write_text("test-redis-password-not-a-secret\n")
    return {
        **credentials.env(),
        "BESPIN_REDIS_PASSWORD_FILE": str(redis_password),
        # The role is found by its name from the checkout, as molecule finds it.
        "ANSIBLE_ROLES_PATH": str(Path(ROOT) / "roles"),
    }


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, inventory_env) -> dict[str, dict]:
    """Each source's cloud-init: its text, parsed, and the run that made it."""
    folder = tmp_path_factory.mktemp("cloud-init")
    playbook = folder / "render.yml"
    playbook.write_text(RENDER)
    result = {}
    for source, settings in SOURCES.items():
        dest = folder / f"{source}.yml"
        run = run_ansible(playbook, {**settings, "template": str(TEMPLATE), "dest": str(dest)}, inventory_env)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
        text = dest.read_text()
        result[source] = {"path": dest, "text": text, "config": yaml.safe_load(text), "run": run}
    return result


def files_of(config: dict) -> dict[str, dict]:
    return {entry["path"]: entry for entry in config["write_files"]}


# The validators ---------------------------------------------------------------------------


def cloud_init_schema(text: str, folder: Path) -> subprocess.CompletedProcess:
    path = folder / "user-data.yml"
    path.write_text(text)
    return subprocess.run(
        ["cloud-init", "schema", "--config-file", str(path)], capture_output=True, text=True, check=False
    )


def mapped(text: str, folder: Path) -> str:
    """The VM's TLS paths moved into `folder`."""
    return text.replace(TLS_DIR, f"{folder}/ssl/").replace(ACME_WEBROOT, f"{folder}/acme")


def tls_files(config: dict, folder: Path) -> None:
    """The certificate and key where nginx reads them: written from write_files (pem), or made by
    the cloud-init's own bootstrap command, run here with its paths mapped (acme)."""
    (folder / "ssl").mkdir(parents=True, exist_ok=True)
    for path, entry in files_of(config).items():
        if path.startswith(TLS_DIR):
            target = Path(mapped(path, folder))
            target.write_text(entry["content"])
            target.chmod(int(entry["permissions"], 8))
    for command in config.get("bootcmd", []):
        done = subprocess.run([mapped(part, folder) for part in command], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr


def nginx_test(config: dict, folder: Path) -> subprocess.CompletedProcess:
    """`nginx -t` of the site inside this machine's Debian nginx.conf (the VM's Ubuntu one is the
    same file), its pid, logs and sites-enabled include moved into `folder`."""
    tls_files(config, folder)
    sites = folder / "sites-enabled"
    sites.mkdir(exist_ok=True)
    (sites / "default").write_text(mapped(files_of(config)[SITE]["content"], folder))
    main = Path("/etc/nginx/nginx.conf").read_text()
    for old, new in [
        ("pid /run/nginx.pid;", f"pid {folder}/nginx.pid;"),
        ("/var/log/nginx/", f"{folder}/"),
        ("include /etc/nginx/sites-enabled/*;", f"include {sites}/*;"),
    ]:
        assert old in main, f"/etc/nginx/nginx.conf has no {old!r}: adapt the test to it"
        main = main.replace(old, new)
    (folder / "nginx.conf").write_text(main)
    return subprocess.run(
        ["nginx", "-t", "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")],
        capture_output=True,
        text=True,
        check=False,
    )


# The units name what the VM's packages install and this machine has not: docker.service and
# /usr/bin/docker (docker.io), /usr/bin/certbot (certbot). `systemd-analyze verify` would
# refuse them for that alone ("Unit docker.service not found", "Command /usr/bin/docker is
# not executable"), so it verifies them in a root of their own (--root): this machine's
# systemd units (nginx.service among them, from the nginx package), the rendered units, and
# stand-ins for exactly those: a docker.service and executables that do nothing. Everything
# else - sections, directives, their values, dependencies - is systemd's own verdict, and
# any message at all counts as a failure (an unknown directive is only warned about).
VM_PACKAGES_STUBS = ["/usr/bin/docker", "/usr/bin/certbot"]


def systemd_verify(config: dict, folder: Path, units: dict[str, str] | None = None) -> tuple[int, str]:
    root = folder / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    unit_dir = root / UNIT_DIR.lstrip("/")
    unit_dir.mkdir(parents=True)
    (unit_dir / "docker.service").write_text("[Unit]\nDescription=stand-in\n[Service]\nExecStart=/usr/bin/docker\n")
    for stub in VM_PACKAGES_STUBS:
        path = root / stub.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\nexit 0\n")
        path.chmod(0o755)
    if units is None:
        units = {Path(p).name: e["content"] for p, e in files_of(config).items() if p.startswith(UNIT_DIR)}
    for name, content in units.items():
        (unit_dir / name).write_text(content)
    done = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", *sorted(units)], capture_output=True, text=True, check=False
    )
    return done.returncode, (done.stdout + done.stderr).strip()


# The renderings pass ----------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
def test_cloud_init_schema_accepts_the_rendering(rendered, source, tmp_path):
    done = cloud_init_schema(rendered[source]["text"], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Valid cloud-config" in done.stdout


@pytest.mark.parametrize("source", SOURCES)
def test_nginx_accepts_the_site_with_its_certificate(rendered, source, tmp_path):
    done = nginx_test(rendered[source]["config"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


@pytest.mark.parametrize("source", SOURCES)
def test_systemd_accepts_the_units(rendered, source, tmp_path):
    status, output = systemd_verify(rendered[source]["config"], tmp_path)
    assert (status, output) == (0, "")


# What the renderings hold -----------------------------------------------------------------


def servers(site: str) -> list[str]:
    return ["server {" + block for block in site.split("server {")[1:]]


@pytest.mark.parametrize("source", SOURCES)
def test_https_serves_health_and_port_80_only_redirects(rendered, source):
    http, https = servers(files_of(rendered[source]["config"])[SITE]["content"])
    assert "listen 80 default_server;" in http and "listen 443" not in http
    assert "listen 443 ssl http2 default_server;" in https and "listen [::]:443 ssl http2 default_server;" in https
    assert "location = /health {\n        proxy_pass http://127.0.0.1:8080/actuator/health;" in https
    assert f"ssl_certificate {TLS_DIR}standby-fullchain.pem;" in https
    assert f"ssl_certificate_key {TLS_DIR}standby-key.pem;" in https
    assert "return 301 https://$host$request_uri;" in http
    assert ("/.well-known/acme-challenge/" in http) is (source == "acme")
    assert "proxy_pass" not in http


def test_pem_writes_the_inventorys_pair_with_a_private_key(rendered, inventory_env):
    credentials = Path(inventory_env["BESPIN_CREDENTIALS_DIR"])
    files = files_of(rendered["pem"]["config"])
    certificate, key = files[f"{TLS_DIR}standby-fullchain.pem"], files[f"{TLS_DIR}standby-key.pem"]
    assert certificate["content"].strip() == (credentials / STANDBY_TLS_CERT).read_text().strip()
    assert key["content"].strip() == (credentials / STANDBY_TLS_KEY).read_text().strip()
    assert key["permissions"] == "0600" and key["owner"] == "root:root"
    assert f"server_name {STANDBY_FQDN};" in files[SITE]["content"]
    assert "bootcmd" not in rendered["pem"]["config"] and "certbot" not in rendered["pem"]["config"]["packages"]


def test_acme_bootstraps_then_asks_certbot_and_renews(rendered, tmp_path):
    config = rendered["acme"]["config"]
    files = files_of(config)
    assert "certbot" in config["packages"]
    assert not any(path.startswith(TLS_DIR) for path in files)  # no key travels in the cloud-init
    service = files[f"{UNIT_DIR}standby-tls-acme.service"]["content"]
    assert f"--domains {STANDBY_FQDN},{DR_NAME}" in service
    assert "--email platform@example.com" in service and "--webroot-path /var/www/acme" in service
    assert "--deploy-hook /usr/local/sbin/standby-tls-deploy" in service
    assert ["systemctl", "enable", "--now", "standby-tls-acme.timer"] in config["runcmd"]
    assert files["/usr/local/sbin/standby-tls-deploy"]["permissions"] == "0755"
    # The bootstrap pair: made once for every name, the key 0600, kept on a later boot.
    tls_files(config, tmp_path)
    key = tmp_path / "ssl" / "standby-key.pem"
    certificate = x509.load_pem_x509_certificate((tmp_path / "ssl" / "standby-fullchain.pem").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == [STANDBY_FQDN, DR_NAME]
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    first = key.read_bytes()
    tls_files(config, tmp_path)
    assert key.read_bytes() == first


def test_the_rendering_run_prints_no_private_key(rendered, inventory_env):
    line = key_line((Path(inventory_env["BESPIN_CREDENTIALS_DIR"]) / STANDBY_TLS_KEY).read_text())
    assert line in rendered["pem"]["text"]  # else the scan below proves nothing
    for source in SOURCES:
        run = rendered[source]["run"]
        assert line not in run.stdout + run.stderr


# Broken renderings fail -------------------------------------------------------------------


def test_cloud_init_schema_refuses_a_broken_rendering(rendered, tmp_path):
    config = dict(rendered["pem"]["config"], packages="docker.io nginx")  # a string, not a list
    done = cloud_init_schema("#cloud-config\n" + yaml.safe_dump(config), tmp_path)
    assert done.returncode != 0
    assert "packages" in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("ssl_session_timeout 1d;", "ssl_session_timeout_typo 1d;", "unknown directive"),
        ("ssl_protocols TLSv1.2 TLSv1.3;", "ssl_protocols TLSv1.2 TLSv1.3", 'invalid value "ssl_session_cache"'),
    ],
)
def test_nginx_refuses_a_broken_site(rendered, tmp_path, old, new, message):
    config = rendered["pem"]["config"]
    site = files_of(config)[SITE]["content"]
    assert old in site
    broken = dict(config, write_files=[dict(e, content=site.replace(old, new)) if e["path"] == SITE else e
                                       for e in config["write_files"]])  # fmt: skip
    done = nginx_test(broken, tmp_path)
    assert done.returncode != 0 and message in done.stderr, done.stderr


def test_nginx_refuses_a_key_that_is_not_the_certificates(rendered, tmp_path):
    _other_certificate, other_key = make_pair([STANDBY_FQDN])
    config = rendered["pem"]["config"]
    broken = dict(config, write_files=[dict(e, content=other_key) if e["path"] == f"{TLS_DIR}standby-key.pem" else e
                                       for e in config["write_files"]])  # fmt: skip
    done = nginx_test(broken, tmp_path)
    assert done.returncode != 0 and "key values mismatch" in done.stderr, done.stderr


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("Restart=always", "Restrat=always", "Unknown key"),
        ("[Service]\n", "[Service]\nType=oneshot\n", "isn't allowed for Type=oneshot"),
        ("ExecStart=/usr/bin/docker run", "ExecStart=/usr/bin/dockr run", "is not executable"),
    ],
)
def test_systemd_refuses_a_broken_unit(rendered, tmp_path, old, new, message):
    unit = files_of(rendered["pem"]["config"])[f"{UNIT_DIR}standby-app.service"]["content"]
    assert old in unit
    status, output = systemd_verify({}, tmp_path, units={"standby-app.service": unit.replace(old, new)})
    assert (status, output) != (0, "") and message in output, output


# The settings checks -----------------------------------------------------------------------


def test_the_settings_checks_name_the_variable_and_print_no_key(tmp_path, inventory_env):
    fqdn_pair = make_pair([STANDBY_FQDN])
    other_pair = make_pair([STANDBY_FQDN])
    expired = make_pair([STANDBY_FQDN], days=-1)
    elsewhere = make_pair(["www.example.org"])
    acme = SOURCES["acme"]

    def pem(pair, **more):
        return {
            "azure_standby_tls_source": "pem",
            "azure_standby_tls_certificate": pair[0],
            "azure_standby_tls_private_key": pair[1],
            **more,
        }

    fqdn_for = rf"is not valid for {re.escape(STANDBY_FQDN)} \(it is for www\.example\.org\)"
    cases = {
        "good_pem": (pem(fqdn_pair), None),
        "good_acme": (acme, None),
        "no_certificate": (pem(("", fqdn_pair[1])), r"azure_standby_tls_certificate is required .*it is empty"),
        "not_a_certificate": (pem(("hello", fqdn_pair[1])), r"azure_standby_tls_certificate is required .*is not one"),
        "no_key": (pem((fqdn_pair[0], "")), r"azure_standby_tls_private_key is required .*it is empty"),
        "key_is_a_certificate": (pem((fqdn_pair[0],) * 2), r"azure_standby_tls_private_key is required .*is not one"),
        "other_key": (pem((fqdn_pair[0], other_pair[1])),
                      r"azure_standby_tls_private_key is not the key of azure_standby_tls_certificate"),
        "expired": (pem(expired), r"azure_standby_tls_certificate expired on"),
        "wrong_names": (pem(elsewhere), rf"azure_standby_tls_certificate {fqdn_for}"),
        "extra_name_uncovered": (pem(fqdn_pair, azure_standby_tls_extra_names=[DR_NAME]),
                                 rf"azure_standby_tls_certificate is not valid for {re.escape(DR_NAME)} "),
        "bad_extra_name": ({**acme, "azure_standby_tls_extra_names": ["*.example.com"]},
                           r"azure_standby_tls_extra_names must be a list of .*not DNS names: \*\.example\.com"),
        "no_email": ({**acme, "azure_standby_tls_acme_email": ""}, r"azure_standby_tls_acme_email is required"),
        "bad_server": ({**acme, "azure_standby_tls_acme_server": "http://ca.example.com/directory"},
                       r"azure_standby_tls_acme_server must be the https:// URL"),
    }  # fmt: skip
    # Every case's values as variables of the play, each include given its own by name.
    values = {}
    tasks = ""
    for name, (settings, _expected) in cases.items():
        refs = {}
        for variable, value in settings.items():
            values[f"case_{name}_{variable}"] = value
            refs[variable] = f"{{{{ case_{name}_{variable} }}}}"
        tasks += CHECK_CASE.format(name=name, vars=json.dumps(refs))
    playbook = tmp_path / "checks.yml"
    playbook.write_text(f"- name: Settings checks\n  hosts: platform\n  gather_facts: false\n  tasks:{tasks}")
    run = run_ansible(playbook, values, inventory_env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    outcomes = {}
    for found in re.finditer(r"CASE (\w+) (PASSED|FAILED)(?: ([A-Za-z0-9+/=]+))?", run.stdout):
        outcomes[found[1]] = base64.b64decode(found[3]).decode() if found[2] == "FAILED" else None
    assert set(outcomes) == set(cases), run.stdout[-3000:]
    for name, (_settings, expected) in cases.items():
        if expected is None:
            assert outcomes[name] is None, f"{name}: {outcomes[name]}"
        else:
            assert outcomes[name] is not None and re.search(expected, outcomes[name]), f"{name}: {outcomes[name]}"
    for _certificate, key in [fqdn_pair, other_pair, expired, elsewhere]:
        assert key_line(key) not in run.stdout + run.stderr
