"""site.yml under stress, compared with the fault-free converge (the `reference_estate` fixture).

One scenario, from a freshly reset sandbox, every run under injected faults (20% of AWS
requests throttled or 5xx, 10% of Kubernetes requests 429, 500 or a reset connection, 10% of
Azure requests 429 with Retry-After):

1. site.yml is interrupted five times where an interruption could leave a half-made or
   duplicate resource: SIGINT while the add-ons' IAM roles are created, SIGKILL while the
   EKS managed add-ons are being created, SIGKILL while Helm installs a release (which
   leaves it pending), SIGKILL while Azure builds the VM, SIGINT while Route53's health
   check is created (the last two runs limited to the Azure and DR stages);
2. then a -vvv run, logging to a file, converges.

The estate left must equal the fault-free one (same resources, same properties, so no
duplicate health check, IAM role, VM, NIC, public IP or Helm release), and no secret the
runs handled may appear in their output, their log, or any file they wrote.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
import estate
import pytest
from ansible_run import kill_run
from azure.identity import ManagedIdentityCredential
from azure.mgmt.storage import StorageManagementClient

from bespin_sandbox.faults import clear_faults, injected, set_faults

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SITE = ["ansible-playbook", "site.yml", "-i", "inventories/sandbox"]
FAULT_RATES = {
    "aws": {"throttling": 0.10, "error500": 0.05, "error503": 0.05},
    # 429 is what a loaded API server answers (API Priority and Fairness). Helm's client retries it,
    # and nothing else on a write: a Helm install makes ~40 requests, so a few percent of 5xx and
    # resets on each already fails most installs and leaves the rest to the roles' retries.
    "kubernetes": {"throttling": 0.08, "error500": 0.01, "reset": 0.01},
    "azure": {"throttling": 0.10},
}
SEED = 11


@dataclass(frozen=True)
class Interruption:
    signal: signal.Signals
    trigger: str  # the task whose start begins the countdown
    delay: float  # seconds from its start to the signal: the task is under way
    tags: tuple[str, ...] = ()  # stages the run is limited to (earlier ones are converged by then)
    pending_release: str = ""  # "namespace/name": signal as soon as Helm shows this release pending

    @property
    def label(self) -> str:
        return f"{self.signal.name} in {self.trigger}"


INTERRUPTIONS = [
    Interruption(signal.SIGINT, "eks_addons : Create the IAM role of each add-on that calls AWS", 1.5),
    Interruption(signal.SIGKILL, "eks_addons : Install or update every add-on of the wave", 1.0),
    Interruption(signal.SIGKILL, "eks_addons : Install or upgrade the release of karpenter", 0.0,
                 pending_release="kube-system/karpenter"),
    Interruption(signal.SIGKILL, "azure_standby : Virtual machine", 2.0, ("azure_standby", "dr_failover")),
    Interruption(signal.SIGINT, "dr_failover : Health check of the primary", 0.5, ("azure_standby", "dr_failover")),
]  # fmt: skip


@dataclass
class Run:
    returncode: int
    output: str
    interrupted: bool = False


def site_env(**extra: str) -> dict[str, str]:
    # Unbuffered, uncoloured: the output file is read while the run goes on.
    return {
        **os.environ,
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_FORCE_COLOR": "0",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def helm_status(release: str) -> str:
    namespace, name = release.split("/")
    listed = subprocess.run(
        ["helm", "list", "--all", "--namespace", namespace, "--output", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:
        return "unknown"  # an injected fault: ask again
    return next((r["status"] for r in json.loads(listed.stdout) if r["name"] == name), "absent")


def wait_until_pending(release: str, process: subprocess.Popen, timeout: float = 60) -> None:
    """Until Helm shows `release` pending (its install or upgrade under way), while the run lasts."""
    deadline = time.monotonic() + timeout
    while release and process.poll() is None and time.monotonic() < deadline:
        if helm_status(release).startswith("pending"):
            return
        time.sleep(0.1)


def interrupted_run(interruption: Interruption, output: Path) -> Run:
    """site.yml, signalled (its whole process group, as a terminal's Ctrl-C or a killed CI job is)
    `delay` seconds after `trigger` appears in its output."""
    options = ["--tags", ",".join(interruption.tags)] if interruption.tags else []
    with output.open("w") as sink:
        process = subprocess.Popen(
            [*SITE, *options], stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT, env=site_env(), start_new_session=True
        )
    signalled = False
    header = f"TASK [bespin.platform.{interruption.trigger}]"
    while process.poll() is None:
        if header in output.read_text():
            time.sleep(interruption.delay)
            wait_until_pending(interruption.pending_release, process)
            if process.poll() is None:
                if interruption.signal == signal.SIGKILL:
                    kill_run(process.pid)  # the whole tree: ansible's workers have process groups of their own
                else:
                    os.killpg(process.pid, interruption.signal)  # a terminal's Ctrl-C, which ansible handles
                signalled = True
            break
        time.sleep(0.2)
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:  # SIGINT not honoured in two minutes: a hung run
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    return Run(process.returncode, output.read_text(), interrupted=signalled)


def settled_status(release: str) -> str:
    """The release's status, asked again past injected faults."""
    status = "unknown"
    for _attempt in range(20):
        status = helm_status(release)
        if status != "unknown":
            break
    return status


def killed_while_pending(step: Interruption, run: Run, output: Path) -> tuple[Run, str]:
    """`step`'s run, tried again (up to three times) when Helm finished the release between the
    sighting of its pending state and the kill: with kwok's pods Ready at once, that window is short.
    The release is uninstalled first, so the next run installs it again."""
    status = settled_status(step.pending_release)
    for attempt in range(2):
        if status.startswith("pending") or not run.interrupted:
            break
        namespace, name = step.pending_release.split("/")
        for _try in range(10):  # injected faults: ask again
            if helm_status(step.pending_release) == "absent":
                break
            uninstall = ["helm", "uninstall", name, "--namespace", namespace, "--wait"]
            subprocess.run(uninstall, capture_output=True, check=False)
        run = interrupted_run(step, output.with_name(f"{output.name}-again-{attempt}.log"))
        status = settled_status(step.pending_release)
    return run, status


@dataclass
class Scenario:
    interrupted: list[Run]
    final: Run
    log: Path
    started: float
    faults_met: dict[str, int]
    snapshot: dict
    left_pending: str


@pytest.fixture(scope="module")
def scenario(sandbox, reference_estate, tmp_path_factory) -> Scenario:
    directory = tmp_path_factory.mktemp("reliability")
    result = subprocess.run(["sandbox", "reset"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    plan = sandbox.layout.faults_file
    before = injected(plan)
    for service, rates in FAULT_RATES.items():
        set_faults(plan, service, rates, seed=SEED)
    started = time.time()
    try:
        runs, left_pending = [], ""
        for number, step in enumerate(INTERRUPTIONS):
            run = interrupted_run(step, directory / f"interrupted-{number}.log")
            if step.pending_release:
                run, left_pending = killed_while_pending(step, run, directory / f"interrupted-{number}")
            runs.append(run)
        log = directory / "ansible.log"
        final = subprocess.run(
            [*SITE, "-vvv"],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
            env=site_env(ANSIBLE_LOG_PATH=str(log)),
        )
    finally:
        clear_faults(plan)
    met = injected(plan) - before
    faults_met = {service: sum(n for key, n in met.items() if key.startswith(f"{service} ")) for service in FAULT_RATES}
    final_run = Run(final.returncode, final.stdout + final.stderr)
    return Scenario(runs, final_run, log, started, faults_met, estate.snapshot(), left_pending)


def test_every_run_met_faults_of_every_service(scenario):
    assert all(count >= 5 for count in scenario.faults_met.values()), scenario.faults_met


@pytest.mark.parametrize("step", range(len(INTERRUPTIONS)), ids=[i.label for i in INTERRUPTIONS])
def test_each_run_was_interrupted_where_asked(scenario, step):
    run = scenario.interrupted[step]
    assert run.interrupted, f"{INTERRUPTIONS[step].trigger} never came:\n{run.output[-3000:]}"
    assert run.returncode != 0


def test_the_killed_helm_install_left_its_release_pending(scenario):
    """Else the rerun's unlocking of a pending release was not put to the test."""
    assert scenario.left_pending.startswith("pending"), scenario.left_pending


def test_the_rerun_converges(scenario):
    recap = scenario.final.output.split("PLAY RECAP")[-1]
    assert scenario.final.returncode == 0, scenario.final.output[-6000:]
    assert " failed=0 " in recap and " failed=1" not in recap


def test_the_estate_equals_the_fault_free_one(scenario, reference_estate):
    assert estate.differences(reference_estate, scenario.snapshot) == []


def test_nothing_was_made_twice(scenario, reference_estate):
    """The kinds an interrupted create could duplicate, counted: exactly the fault-free estate's."""
    aws, azure = scenario.snapshot["aws"], scenario.snapshot["azure"]
    assert all(count == 1 for count in aws["route53_health_checks"].values()), aws["route53_health_checks"]
    assert sum(aws["route53_health_checks"].values()) == sum(reference_estate["aws"]["route53_health_checks"].values())
    assert sorted(aws["iam_roles"]) == sorted(reference_estate["aws"]["iam_roles"])
    for kind in ("cloudfront_distributions", "acm_certificates"):
        assert aws[kind] == reference_estate["aws"][kind], kind
        assert set(aws[kind].values()) == {1}, (kind, aws[kind])
    for kind in ("virtualMachines", "networkInterfaces", "publicIPAddresses"):
        names = sorted(name for name in azure if f"/{kind} " in name)
        assert names == sorted(name for name in reference_estate["azure"] if f"/{kind} " in name), kind
        assert len(names) == 1, (kind, names)
    releases = scenario.snapshot["helm"]
    assert releases.keys() == reference_estate["helm"].keys()
    assert {release["status"] for release in releases.values()} == {"deployed"}, releases


# Secrets --------------------------------------------------------------------------------


def known_secrets(sandbox) -> dict[str, str]:
    """The secret values the runs handled, each read from where it lives."""
    credentials = Path(os.environ["BESPIN_CREDENTIALS_DIR"])
    argocd = json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId="sandbox/argocd/admin")["SecretString"]
    )
    storage = StorageManagementClient(ManagedIdentityCredential(), os.environ["AZURE_SUBSCRIPTION_ID"])
    # as_dict(): the SDK model's own keys() method hides its `keys` field.
    keys = storage.storage_accounts.list_keys("petclinic-standby", "petclinicstandbysite").as_dict()["keys"]
    return {
        "Redis password": Path(os.environ["BESPIN_REDIS_PASSWORD_FILE"]).read_text().strip(),
        "Argo CD admin password": argocd["password"],
        "Git repository token": (credentials / "git-token").read_text().strip(),
        "standby datasource password": (credentials / "standby-datasource-password").read_text().strip(),
        # A PEM key spans lines, and forms() looks for one string: the first line of its base64 body,
        # distinctive and unbroken wherever the key would leak (in clear, or in a YAML or JSON string).
        "standby TLS private key": (credentials / "standby-tls.key").read_text().strip().splitlines()[1],
        **{f"Azure storage key {key['keyName']}": key["value"] for key in keys},
    }


def forms(value: str) -> list[bytes]:
    """A secret as it could leak: itself, or base64-encoded (as in a Kubernetes Secret's data)."""
    return [value.encode(), base64.b64encode(value.encode())]


def is_sandbox_state(folder: Path) -> bool:
    """A sandbox's own directory (this one's or another's, e.g. the second test stream's): the
    clouds' storage, holding their credentials by design, not a file a run wrote."""
    return (folder / "topology.yml").exists() and (folder / "writes").is_dir()


def written_files(since: float) -> list[Path]:
    """Files changed since `since` where a run writes: the checkout, Ansible's homes, the temp dir."""
    roots = [ROOT, Path(os.environ.get("ANSIBLE_HOME", Path.home() / ".ansible")), Path.home() / ".ansible"]
    roots.append(Path(tempfile.gettempdir()))
    found = []
    for root in roots:
        for folder, subfolders, files in os.walk(root):
            here = Path(folder)
            if is_sandbox_state(here):
                subfolders[:] = []
                continue
            subfolders[:] = [name for name in subfolders if name not in (".git", ".venv")]
            for name in files:
                path = here / name
                try:
                    if path.is_file() and path.stat().st_mtime >= since and path.stat().st_size < 50_000_000:
                        found.append(path)
                except OSError:
                    continue  # gone while walking
    return sorted(set(found))


def test_the_runs_handled_the_secrets(scenario):
    """Else the scan below would prove nothing: the Git token went into Argo CD's repository Secret,
    the admin password into Secrets Manager, the Redis password into the session store's Secrets."""
    kube = scenario.snapshot["kubernetes"]
    keys = {name: set(shape["keys"]) for name, shape in kube.items() if name.startswith("Secret ")}
    assert any(name.startswith("Secret argocd/") and "password" in held for name, held in keys.items()), keys
    assert any(name.startswith(("Secret redis/", "Secret petclinic/")) for name in keys), keys
    assert "sandbox/argocd/admin" in scenario.snapshot["aws"]["secrets"]


def test_no_secret_in_output_logs_or_written_files(scenario, sandbox):
    secrets = known_secrets(sandbox)
    assert len(secrets) >= 6 and all(len(value) >= 12 for value in secrets.values())
    assert scenario.log.exists() and scenario.log.stat().st_size > 0
    texts = {"the runs' output": "\n".join(run.output for run in [*scenario.interrupted, scenario.final]).encode()}
    for path in written_files(scenario.started):
        content = path.read_bytes()
        if not content.startswith(b"$ANSIBLE_VAULT;"):
            texts[str(path)] = content
    assert str(scenario.log) in texts
    leaks = [
        f"{name} in {where}"
        for name, value in secrets.items()
        for where, content in texts.items()
        if any(form in content for form in forms(value))
    ]
    assert leaks == []
