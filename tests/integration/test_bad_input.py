"""Bad input across every role and several modules, in ONE ansible-playbook run.

Each case is a block: a write mark, then the role (include_role) or the module with the
case's values; the rescue keeps the failure's message. The test then asserts per case that
it failed, that the message names the offending variable (a module's option), and that the
sandbox counted no write between its mark and the next case's. One Ansible start-up for the
whole matrix keeps it cheap enough for `make test`.

Marks are taken with the sandbox's own accounting (what `sandbox writes --mark` prints) by a
bare Python, and the writes between two marks are counted here with the same code as
`sandbox writes --since`: the CLI imports the Kubernetes client first, 1.5-2.5 s a call on a
busy 2-CPU machine, and two calls per case would cost more than the cases themselves.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bespin_sandbox.accounting import summarize, writes_since

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ansible_run import ROOT

pytestmark = pytest.mark.sandbox


@dataclass(frozen=True)
class Case:
    id: str
    target: str  # a role of the collection, or a module's FQCN
    given: dict  # the role's variables, or the module's options
    names: str  # what the message must name: the variable (role) or the option (module)
    secrets: tuple[str, ...] = field(default=())


# What every include of a role gets besides the case's values, as the playbooks give it.
KUBE = "{{ bespin_kubeconfig }}"
ZONE = "petclinic.example.com"
DR_BASE = {
    # Every DR case sets these, so the inventory's settings and the absent standby facts never
    # decide a case.
    "dr_failover_zone": ZONE,
    "dr_failover_record_name": f"www.{ZONE}",
    "dr_failover_record_type": "A",
    "dr_failover_primary_alb_dns_name": "k8s-test-0123456789.ap-northeast-2.elb.amazonaws.com",
    "dr_failover_primary_alb_zone_id": "ZWKZPGTI48KDX",
    "dr_failover_primary_target": "",
    "dr_failover_dr_record_name": f"dr.{ZONE}",
    "dr_failover_standby_fqdn": "web-vm.westeurope.cloudapp.azure.com",
    "dr_failover_standby_ip": "20.61.0.4",
    "dr_failover_standby_site_endpoint": "https://bespinsite.z6.web.core.windows.net/",
}
ROLE_BASE = {
    "argocd": {"argocd_kubeconfig": KUBE},
    "azure_standby": {},
    "dr_failover": DR_BASE,
    "eks_addons": {"eks_addons_kubeconfig": KUBE},
    "node_topology": {},
    "redis_session": {"redis_session_kubeconfig": KUBE},
}
ROOT_APP = {"enabled": True, "name": "root", "project": "default", "path": "bootstrap", "target_revision": "HEAD"}
APPSET = {"enabled": True, "name": "domains", "project": "default", "repo_url": "https://git.example.com/gitops.git",
          "path_prefix": "k8s/overlays", "target_revision": "HEAD"}  # fmt: skip
CHART = {"chart": "argo-cd", "version": "9.1.0", "repository": "https://argoproj.github.io/argo-helm", "chart_ref": ""}
KARPENTER = {"enabled": True, "chart": "karpenter", "version": "1.8.1", "repository": "oci://public.ecr.aws/karpenter",
             "release": "karpenter", "namespace": "kube-system", "iam": "karpenter", "values": {}}  # fmt: skip
EC = {"backend": "elasticache", "elasticache_vpc_id": "vpc-0123456789abcdef0",
      "elasticache_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]}  # fmt: skip
SENTINELS = ["127.0.0.1:26379", "127.0.0.1:26380", "127.0.0.1:26381"]
CLUSTER = "{{ lookup('ansible.builtin.env', 'BESPIN_EKS_CLUSTER') }}"
# Distinctive fake secrets: none may show anywhere in the run's output.
REPO_PASSWORD = "badin-repo-password-7f3c1a"  # noqa: S105 - fake, must never be printed
REPO_KEY = "badin-repo-ssh-key-9d2e4b"
BCRYPT = "badin-not-a-bcrypt-hash-5a8f"
MYSQL_SHORT = "bdn7Qz!"  # 7 characters: one too few
REDIS_SHORT = "badin-rd-6c1e"  # 13 characters: three too few
REDIS_AT = "badin@redis-password-4b7d0e"
EC_TOKEN = "badin~token~not~allowed~8e2f"  # noqa: S105 - fake, must never be printed
EC_AUTH = "badin-ec-auth-token-3c9a7e51"
SENTINEL_AUTH = "badin-sentinel-auth-2f6b"


def redis(**values) -> dict:
    return {f"redis_session_{key}": value for key, value in values.items()}


CASES = [
    # argocd ------------------------------------------------------------------------------------
    Case("argocd-namespace-label", "argocd", {"argocd_namespace": "Argo_CD"}, "argocd_namespace"),
    Case("argocd-chart-unpinned", "argocd", {"argocd_chart": {**CHART, "version": "latest"}}, "argocd_chart.version"),
    Case("argocd-alb-no-certificate", "argocd", {"argocd_server_exposure": "alb"}, "argocd_alb_certificate_arn"),
    Case("argocd-alb-not-acm", "argocd",
         {"argocd_server_exposure": "alb", "argocd_alb_certificate_arn": "arn:aws:iam::123456789012:certificate/a"},
         "argocd_alb_certificate_arn"),
    Case("argocd-timeout-range", "argocd", {"argocd_timeout": 0}, "argocd_timeout"),
    Case("argocd-bcrypt-missing", "argocd",
         {"argocd_admin_password_source": "bcrypt_hash", "argocd_admin_password_bcrypt": ""},
         "argocd_admin_password_bcrypt"),
    Case("argocd-bcrypt-malformed", "argocd",
         {"argocd_admin_password_source": "bcrypt_hash", "argocd_admin_password_bcrypt": BCRYPT},
         "argocd_admin_password_bcrypt", (BCRYPT,)),
    Case("argocd-repo-two-credentials", "argocd",
         {"argocd_repositories": [{"name": "gitops", "url": "https://git.example.com/gitops.git", "username": "git",
                                   "password": REPO_PASSWORD, "ssh_private_key": REPO_KEY}]},
         "argocd_repositories[0]", (REPO_PASSWORD, REPO_KEY)),
    Case("argocd-appset-domain-label", "argocd", {"argocd_domain_appset": {**APPSET, "domains": ["auth", "Chat_Room"]}},
         "argocd_domain_appset.domains"),
    Case("argocd-self-managed-local-chart", "argocd",
         {"argocd_self_managed": True, "argocd_chart": {**CHART, "chart_ref": "/srv/charts/argo-cd"}},
         "argocd_self_managed"),
    Case("argocd-root-app-no-repo", "argocd", {"argocd_root_app": {**ROOT_APP, "repo_url": ""}},
         "argocd_root_app.repo_url"),
    # azure_standby -----------------------------------------------------------------------------
    Case("azure-ssh-anywhere", "azure_standby", {"azure_standby_admin_cidrs": ["0.0.0.0/0"]},
         "azure_standby_allow_ssh_from_anywhere"),
    Case("azure-ssh-anywhere-v6", "azure_standby", {"azure_standby_admin_cidrs": ["203.0.113.0/24", "::/0"]},
         "azure_standby_admin_cidrs"),
    Case("azure-cidr-prefix", "azure_standby", {"azure_standby_admin_cidrs": ["10.0.0.0/33"]},
         "azure_standby_admin_cidrs"),
    Case("azure-cidr-word", "azure_standby", {"azure_standby_admin_cidrs": ["office"]}, "azure_standby_admin_cidrs"),
    Case("azure-vm-size", "azure_standby", {"azure_standby_vm_size": "Standard_M128s"}, "azure_standby_vm_size"),
    Case("azure-no-ssh-key", "azure_standby", {"azure_standby_ssh_public_key": ""}, "azure_standby_ssh_public_key"),
    Case("azure-dns-label", "azure_standby", {"azure_standby_dns_label": "Petclinic_Standby"},
         "azure_standby_dns_label"),
    Case("azure-mode", "azure_standby", {"azure_standby_mode": "hot"}, "azure_standby_mode"),
    Case("azure-mysql-no-password", "azure_standby",
         {"azure_standby_mysql_enabled": True, "azure_standby_mysql_admin_password": ""},
         "azure_standby_mysql_admin_password"),
    Case("azure-mysql-short-password", "azure_standby",
         {"azure_standby_mysql_enabled": True, "azure_standby_mysql_admin_password": MYSQL_SHORT},
         "azure_standby_mysql_admin_password", (MYSQL_SHORT,)),
    Case("azure-vnet-cidr", "azure_standby", {"azure_standby_vnet_cidr": "10.40.0.0"}, "azure_standby_vnet_cidr"),
    # dr_failover -------------------------------------------------------------------------------
    Case("dr-secondary-missing", "dr_failover", {"dr_failover_standby_ip": "", "dr_failover_secondary_kind": "vm"},
         "dr_failover_standby_ip (azure_standby_public_ip)"),
    Case("dr-site-needs-cname", "dr_failover", {"dr_failover_secondary_kind": "site"},
         "dr_failover_secondary_kind site"),
    Case("dr-primary-missing", "dr_failover", {"dr_failover_primary_alb_dns_name": ""}, "dr_failover_primary_target"),
    Case("dr-alias-no-zone-id", "dr_failover", {"dr_failover_primary_alb_zone_id": ""},
         "dr_failover_primary_alb_zone_id"),
    Case("dr-zone-malformed", "dr_failover", {"dr_failover_zone": "petclinic..example"},
         "dr_failover_zone must be a domain name"),
    Case("dr-record-outside-zone", "dr_failover", {"dr_failover_record_name": "www.example.org"},
         "dr_failover_record_name"),
    Case("dr-host-outside-zone", "dr_failover", {"dr_failover_dr_record_name": "dr.example.org"},
         "dr_failover_dr_record_name"),
    Case("dr-cname-at-apex", "dr_failover",
         {"dr_failover_record_type": "CNAME", "dr_failover_record_name": ZONE, "dr_failover_primary_alb_dns_name": "",
          "dr_failover_primary_target": "origin.example.org"},
         "dr_failover_record_name is the zone apex"),
    Case("dr-record-type-choice", "dr_failover", {"dr_failover_record_type": "MX"},
         "dr_failover_record_type must be one of"),
    Case("dr-threshold-0", "dr_failover", {"dr_failover_health_check_failure_threshold": 0},
         "dr_failover_health_check_failure_threshold"),
    Case("dr-threshold-11", "dr_failover", {"dr_failover_health_check_failure_threshold": 11},
         "dr_failover_health_check_failure_threshold"),
    Case("dr-interval-20", "dr_failover", {"dr_failover_health_check_request_interval": 20},
         "dr_failover_health_check_request_interval"),
    Case("dr-path-no-slash", "dr_failover", {"dr_failover_health_check_path": "health"},
         "dr_failover_health_check_path"),
    Case("dr-path-space", "dr_failover", {"dr_failover_health_check_path": "/he alth"},
         "dr_failover_health_check_path"),
    Case("dr-no-such-zone", "dr_failover",
         {"dr_failover_zone": "nowhere.example.net", "dr_failover_record_name": "www.nowhere.example.net",
          "dr_failover_dr_record_name": ""},
         "dr_failover_zone: no single public hosted zone"),
    # eks_addons --------------------------------------------------------------------------------
    Case("eks-cluster-name-empty", "eks_addons", {"eks_addons_cluster_name": ""}, "eks_addons_cluster_name"),
    Case("eks-iam-mode-choice", "eks_addons", {"eks_addons_iam_mode": "kiam"}, "eks_addons_iam_mode"),
    Case("eks-managed-unknown-iam", "eks_addons",
         {"eks_addons_managed": [{"name": "vpc-cni", "version": "default", "iam": "no-such-profile"}]},
         "eks_addons_managed[0]"),
    Case("eks-managed-no-name", "eks_addons", {"eks_addons_managed": [{"version": "default"}]}, "eks_addons_managed"),
    Case("eks-helm-unpinned", "eks_addons", {"eks_addons_helm": {"karpenter": {**KARPENTER, "version": ""}}},
         "eks_addons_helm.karpenter"),
    Case("eks-karpenter-capacity", "eks_addons", {"eks_addons_karpenter_capacity_types": ["spot", "preemptible"]},
         "eks_addons_karpenter_capacity_types"),
    Case("eks-karpenter-cpu-limit", "eks_addons", {"eks_addons_karpenter_cpu_limit": 0},
         "eks_addons_karpenter_cpu_limit"),
    Case("eks-wait-timeout-type", "eks_addons", {"eks_addons_wait_timeout": "forever"}, "eks_addons_wait_timeout"),
    # node_topology ------------------------------------------------------------------------------
    Case("nodes-parallelism-0", "node_topology", {"node_topology_parallelism": 0}, "node_topology_parallelism"),
    Case("nodes-parallelism-65", "node_topology", {"node_topology_parallelism": 65}, "node_topology_parallelism"),
    Case("nodes-missing-choice", "node_topology", {"node_topology_missing_nodes": "ignore"},
         "node_topology_missing_nodes"),
    Case("nodes-verify-type", "node_topology", {"node_topology_verify_placement": "perhaps"},
         "node_topology_verify_placement"),
    Case("nodes-probe-timeout-type", "node_topology", {"node_topology_probe_timeout": "2m"},
         "node_topology_probe_timeout"),
    # redis_session -----------------------------------------------------------------------------
    Case("redis-quorum-0", "redis_session", redis(quorum=0), "redis_session_quorum"),
    Case("redis-quorum-4", "redis_session", redis(quorum=4), "redis_session_quorum"),
    Case("redis-backend-choice", "redis_session", redis(backend="memcached"), "redis_session_backend"),
    Case("redis-spring-boot-4", "redis_session", redis(spring_boot_major=4), "redis_session_spring_boot_major"),
    Case("redis-allkeys-policy", "redis_session", redis(maxmemory_policy="allkeys-lru"),
         "redis_session_maxmemory_policy"),
    Case("redis-password-short", "redis_session", redis(password=REDIS_SHORT),
         "redis_session_password", (REDIS_SHORT,)),
    Case("redis-password-at-sign", "redis_session", redis(password=REDIS_AT), "redis_session_password", (REDIS_AT,)),
    Case("redis-password-not-given", "redis_session",
         redis(password="", generate_password=False, password_secret="no-such-secret"),  # noqa: S106 - a name
         "redis_session_password: not given"),
    Case("redis-app-namespace", "redis_session", redis(app_namespace="Not_A_Namespace"), "redis_session_app_namespace"),
    Case("redis-port-range", "redis_session", redis(port=70000), "redis_session_port"),
    Case("redis-replicas-1", "redis_session", redis(replicas=1, quorum=1), "redis_session_replicas"),
    Case("redis-tls-no-secret", "redis_session", redis(tls_enabled=True, tls_secret=""), "redis_session_tls_secret"),
    Case("redis-elasticache-token-chars", "redis_session", redis(**EC, password=EC_TOKEN), "redis_session_password",
         (EC_TOKEN,)),
    # modules, called directly -------------------------------------------------------------------
    Case("eks_addon-role-arn", "bespin.platform.eks_addon",
         {"cluster_name": CLUSTER, "name": "vpc-cni", "service_account_role_arn": "arn:aws:iam::123456789012:user/ops"},
         "service_account_role_arn"),
    Case("eks_addon-preserve-on-create", "bespin.platform.eks_addon",
         {"cluster_name": CLUSTER, "name": "vpc-cni", "resolve_conflicts_on_create": "PRESERVE"},
         "resolve_conflicts_on_create"),
    Case("elasticache-clusters-7", "bespin.platform.elasticache_replication_group",
         {"replication_group_id": "bad-input", "cache_node_type": "cache.t4g.small", "num_cache_clusters": 7},
         "num_cache_clusters"),
    Case("elasticache-token-without-tls", "bespin.platform.elasticache_replication_group",
         {"replication_group_id": "bad-input", "cache_node_type": "cache.t4g.small", "num_cache_clusters": 2,
          "transit_encryption_enabled": False, "auth_token": EC_AUTH},
         "auth_token", (EC_AUTH,)),
    Case("sentinel-quorum-5", "bespin.platform.redis_sentinel",
         {"sentinels": SENTINELS, "master_name": "badin", "master_host": "127.0.0.1", "quorum": 5}, "quorum"),
    Case("sentinel-down-after-0", "bespin.platform.redis_sentinel",
         {"sentinels": SENTINELS, "master_name": "badin", "quorum": 2, "down_after_milliseconds": 0,
          "auth_pass": SENTINEL_AUTH},
         "down_after_milliseconds", (SENTINEL_AUTH,)),
    Case("redis_config-not-secret", "bespin.platform.redis_config",
         {"nodes": ["127.0.0.1:6379"], "settings": {}, "secret_settings": {"maxmemory": "1gb"}}, "secret_settings"),
    Case("node_topology-taint-effect", "bespin.platform.node_topology",
         {"nodes": {"petclinic-app-0": {"taints": [{"key": "dedicated", "value": "app", "effect": "Sometimes"}]}}},
         "nodes.petclinic-app-0.taints[0]"),
    Case("argocd_app_wait-both-selectors", "bespin.platform.argocd_app_wait",
         {"names": ["root"], "label_selector": "app=root"}, "label_selector"),
]  # fmt: skip

# Seconds the whole matrix may take; it needs a few minutes at most.
MATRIX_TIMEOUT = 1800
# A mark as `sandbox writes --mark` prints it, from the same accounting code.
MARK = shlex.join(
    [
        sys.executable,
        "-c",
        "from bespin_sandbox.accounting import mark; from bespin_sandbox.layout import Layout; "
        "print(mark(Layout.from_env().writes_dir))",
    ]
)
TAKE_MARK = f"{{{{ lookup('ansible.builtin.pipe', {MARK!r}) }}}}"
# The failure's message; for a loop, the failed items' messages too (a censored one says so).
MESSAGE = (
    "([ansible_failed_result.msg | default(ansible_failed_result.censored | default(''))]"
    " + (ansible_failed_result.results | default([]) | selectattr('failed', 'defined') | selectattr('failed')"
    " | map(attribute='msg', default='(censored)') | list)) | select | join(' || ')"
)


def target_task(case: Case) -> dict:
    if "." in case.target:
        return {"name": f"{case.id}: {case.target}", case.target: case.given}
    return {
        "name": f"{case.id}: role {case.target}",
        "ansible.builtin.include_role": {"name": f"bespin.platform.{case.target}"},
        "vars": {**ROLE_BASE[case.target], **case.given},
    }


def record(case: Case, failed: bool) -> dict:
    """Adds the case's outcome to bad_input_results: failed or not, the message, the failed task, its mark."""
    if failed:
        outcome = f"'failed': true, 'msg': {MESSAGE}, 'task': ansible_failed_task.name"
    else:
        outcome = "'failed': false, 'msg': 'no failure', 'task': ''"
    entry = f"{{{case.id!r}: {{{outcome}, 'mark': bad_input_mark}}}}"
    return {
        "name": f"{case.id}: {'failed' if failed else 'did not fail'}",
        "ansible.builtin.set_fact": {"bad_input_results": f"{{{{ bad_input_results | combine({entry}) }}}}"},
    }


def matrix_play() -> list[dict]:
    """One block per case: a mark, the role or module, the outcome kept (rescued when it failed)."""
    tasks = [{"name": "No outcome yet", "ansible.builtin.set_fact": {"bad_input_results": {}}}]
    for case in CASES:
        tasks.append(
            {
                "name": f"case {case.id}",
                "block": [
                    {"name": f"{case.id}: mark", "ansible.builtin.set_fact": {"bad_input_mark": TAKE_MARK}},
                    target_task(case),
                    record(case, failed=False),
                ],
                "rescue": [record(case, failed=True)],
            }
        )
    tasks += [
        {"name": "The last mark", "ansible.builtin.set_fact": {"bad_input_last_mark": TAKE_MARK}},
        {"name": "Outcomes", "ansible.builtin.debug": {"msg": {"results": "{{ bad_input_results }}",
                                                               "last_mark": "{{ bad_input_last_mark }}"}}},
    ]  # fmt: skip
    return [{"name": "Bad input", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]


def write_counts(directory: Path, start: str, end: str) -> dict[str, int]:
    """Writes (dry runs left out) between two marks, by service and verb: the journals hold
    from `start` to now, less what came after `end`."""

    def counts(mark: str) -> Counter:
        summary = summarize(writes_since(directory, mark))
        return Counter(
            {
                f"{service} {verb}": n
                for service, verbs in summary.items()
                for verb, n in verbs.items()
                if "dry-run" not in verb
            }
        )

    return dict(counts(start) - counts(end))


@pytest.fixture(scope="module")
def matrix(sandbox_session) -> dict:
    """The whole matrix in one ansible-playbook run: per case its outcome and its writes. No reset
    first (a minute saved): the cases fail on their values whatever the estate holds, and the
    marks count only what each case itself writes."""
    env = {
        **os.environ,
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".yml", prefix="bad-input-") as playbook:
        json.dump(matrix_play(), playbook)  # JSON is YAML
        playbook.flush()
        started = time.monotonic()
        try:
            # A case that does not fail runs its whole role: bounded, so the suite still ends.
            run = subprocess.run(
                ["ansible-playbook", playbook.name],
                capture_output=True,
                text=True,
                check=False,
                cwd=ROOT,
                env=env,
                timeout=MATRIX_TIMEOUT,
            )
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"the matrix run took over {MATRIX_TIMEOUT} s: some case did not fail") from exc
        seconds = time.monotonic() - started
    output = run.stdout + run.stderr
    try:
        last = json.loads(run.stdout)["plays"][0]["tasks"][-1]
        outcomes = last["hosts"]["localhost"]["msg"]
    except (json.JSONDecodeError, KeyError, IndexError) as exc:
        raise AssertionError(f"the matrix run ended early:\n{output[-5000:]}") from exc
    assert last["task"]["name"] == "Outcomes", output[-5000:]
    results = outcomes["results"]
    marks = [results[case.id]["mark"] for case in CASES if case.id in results] + [outcomes["last_mark"]]
    directory = sandbox_session.layout.writes_dir
    writes = {}
    for index, case in enumerate(c for c in CASES if c.id in results):
        writes[case.id] = write_counts(directory, marks[index], marks[index + 1])
    print(f"bad-input matrix: {len(CASES)} cases in one run, {seconds:.1f} s")
    return {"results": results, "writes": writes, "output": output, "seconds": seconds}


def test_the_matrix_is_large_and_covers_every_role_and_modules():
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)
    per_target = Counter(case.target for case in CASES)
    for role in ROLE_BASE:
        assert per_target[role] >= 5, role
    assert len([target for target in per_target if "." in target]) >= 4


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_fails_before_any_write_naming_the_variable(matrix, case):
    assert case.id in matrix["results"], f"{case.id}: no outcome recorded"
    outcome = matrix["results"][case.id]
    assert outcome["failed"], f"{case.id}: {case.target} did not fail"
    assert case.names in outcome["msg"], f"{case.id}: {outcome['task']}: {outcome['msg']}"
    assert matrix["writes"][case.id] == {}, f"{case.id}: wrote {matrix['writes'][case.id]}"


def test_no_secret_given_shows_in_the_output(matrix):
    leaked = [secret for case in CASES for secret in case.secrets if secret in matrix["output"]]
    assert leaked == []
