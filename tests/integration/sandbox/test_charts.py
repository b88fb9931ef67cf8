"""The sandbox's Helm chart repository and the stand-in charts it serves (sandbox/charts).

Each chart is installed from the repository the way a role would install it (`helm install
--repo --version --wait`), into a namespace of its own, and what the roles wait on and use
is checked on the cluster: CRDs Established, Deployments Available, the IRSA annotation on
the ServiceAccount, webhooks that do not block writes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config, dynamic
from kubernetes.client.rest import ApiException

from bespin_sandbox.layout import Layout
from bespin_sandbox.services.charts import INDEX, ChartsService, generated_crds

CHARTS = Path(__file__).resolve().parents[3] / "sandbox" / "charts"
ROLE_ARN = "arn:aws:iam::123456789012:role/petclinic-{}"
INSTALL_TIMEOUT = "300s"
IRSA = "eks.amazonaws.com/role-arn"


def chart_names() -> list[str]:
    return sorted(path.name for path in CHARTS.iterdir() if (path / "Chart.yaml").is_file())


def chart_metadata(name: str) -> dict:
    return yaml.safe_load((CHARTS / name / "Chart.yaml").read_text())


# What each chart must render for the roles, in the names the upstream chart gives its
# objects for the usual release name. "values" are what the role sets.
EXPECTED = {
    "aws-load-balancer-controller": {
        "release": "aws-load-balancer-controller",
        "values": {
            "clusterName": "petclinic",
            "region": "ap-northeast-2",
            "serviceAccount": {"annotations": {IRSA: ROLE_ARN.format("alb")}},
        },
        "crds": ["targetgroupbindings.elbv2.k8s.aws", "ingressclassparams.elbv2.k8s.aws"],
        "deployments": ["aws-load-balancer-controller"],
        "irsa": ("aws-load-balancer-controller", ROLE_ARN.format("alb")),
    },
    "karpenter": {
        "release": "karpenter",
        "values": {
            "settings": {"clusterName": "petclinic", "interruptionQueue": "petclinic"},
            "serviceAccount": {"annotations": {IRSA: ROLE_ARN.format("karpenter")}},
        },
        "crds": ["nodepools.karpenter.sh", "nodeclaims.karpenter.sh", "ec2nodeclasses.karpenter.k8s.aws"],
        "deployments": ["karpenter"],
        "irsa": ("karpenter", ROLE_ARN.format("karpenter")),
    },
    "metrics-server": {"release": "metrics-server", "values": {}, "crds": [], "deployments": ["metrics-server"]},
    "external-secrets": {
        "release": "external-secrets",
        "values": {"installCRDs": True, "serviceAccount": {"annotations": {IRSA: ROLE_ARN.format("eso")}}},
        "crds": [
            "externalsecrets.external-secrets.io",
            "secretstores.external-secrets.io",
            "clustersecretstores.external-secrets.io",
        ],
        "deployments": ["external-secrets", "external-secrets-webhook", "external-secrets-cert-controller"],
        "irsa": ("external-secrets", ROLE_ARN.format("eso")),
    },
    "argo-rollouts": {
        "release": "argo-rollouts",
        "values": {},
        "crds": [
            "rollouts.argoproj.io",
            "analysistemplates.argoproj.io",
            "clusteranalysistemplates.argoproj.io",
            "analysisruns.argoproj.io",
            "experiments.argoproj.io",
        ],
        "deployments": ["argo-rollouts"],
    },
    "kube-prometheus-stack": {
        "release": "kube-prometheus-stack",
        "values": {},
        "crds": [
            "servicemonitors.monitoring.coreos.com",
            "podmonitors.monitoring.coreos.com",
            "prometheusrules.monitoring.coreos.com",
            "prometheuses.monitoring.coreos.com",
            "alertmanagers.monitoring.coreos.com",
        ],
        "deployments": [
            "kube-prometheus-stack-operator",
            "kube-prometheus-stack-grafana",
            "kube-prometheus-stack-kube-state-metrics",
        ],
        "daemonsets": ["kube-prometheus-stack-prometheus-node-exporter"],
    },
    "opencost": {"release": "opencost", "values": {}, "crds": [], "deployments": ["opencost"]},
    "argo-cd": {
        "release": "argocd",
        "values": {"global": {"domain": "argocd.petclinic.example"}},
        "crds": ["applications.argoproj.io", "appprojects.argoproj.io", "applicationsets.argoproj.io"],
        "deployments": [
            "argocd-server",
            "argocd-repo-server",
            "argocd-applicationset-controller",
            "argocd-redis",
            "argocd-dex-server",
        ],
        "statefulsets": ["argocd-application-controller"],
    },
    # What the redis_session role (in_cluster backend) sets. No persistence: the sandbox has
    # no StorageClass, so PVCs would stay Pending and `--wait` would time out (see the chart README).
    "redis-ha": {
        "release": "petclinic-redis",
        "values": {
            "replicas": 3,
            "auth": True,
            "existingSecret": "petclinic-redis-auth",
            "authKey": "redis-password",
            "redis": {
                "masterGroupName": "mymaster",
                "config": {
                    "maxmemory-policy": "volatile-lru",
                    "maxmemory": "256mb",
                    "appendonly": "yes",
                    "min-replicas-to-write": 1,
                },
                "resources": {"requests": {"cpu": "100m", "memory": "320Mi"}, "limits": {"memory": "320Mi"}},
            },
            "sentinel": {
                "quorum": 2,
                "config": {"down-after-milliseconds": 5000, "failover-timeout": 60000, "parallel-syncs": 1},
                "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
            },
            "podDisruptionBudget": {"maxUnavailable": 1},
            "persistentVolume": {"enabled": False, "size": "8Gi", "storageClass": ""},
            "tls": {"secretName": "", "certFile": "tls.crt", "keyFile": "tls.key", "caCertFile": "ca.crt"},
            "haproxy": {"enabled": False},
        },
        "crds": [],
        "deployments": [],
        "statefulsets": ["petclinic-redis-redis-ha-server"],
    },
}
# Charts that refuse to render without these (as upstream does).
REQUIRED_VALUES = {
    "aws-load-balancer-controller": ["--set", "clusterName=lint"],
    "karpenter": ["--set", "settings.clusterName=lint"],
}


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["helm", *args], capture_output=True, text=True, check=False)
    if check:
        assert result.returncode == 0, f"helm {' '.join(args)}:\n{result.stderr}"
    return result


def render(chart: str, *args: str) -> list[dict]:
    output = helm("template", EXPECTED[chart]["release"], str(CHARTS / chart), *args).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


def replicas(docs: list[dict]) -> dict[str, int | None]:
    return {
        doc["metadata"]["name"]: doc["spec"].get("replicas")
        for doc in docs
        if doc["kind"] in ("Deployment", "StatefulSet")
    }


def crd_folder(chart: str) -> Path:
    """Where a chart's CRDs come from: its crds/, or the controllers' build for Argo CD and Argo Rollouts."""
    return generated_crds(chart) or CHARTS / chart / "crds"


def crd_names(chart: str) -> set[str]:
    return {
        doc["metadata"]["name"]
        for path in crd_folder(chart).glob("*.yaml")
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    }


# No cluster ---------------------------------------------------------------------


def test_every_chart_is_listed_in_the_expectations():
    assert sorted(EXPECTED) == chart_names()


@pytest.mark.parametrize("chart", chart_names())
def test_helm_lint_passes(chart):
    helm("lint", "--strict", str(CHARTS / chart), *REQUIRED_VALUES.get(chart, []))


@pytest.mark.parametrize("chart", chart_names())
def test_the_readme_says_it_is_a_stand_in_for_the_upstream_version(chart):
    readme = (CHARTS / chart / "README.md").read_text()
    assert "stand-in" in readme
    assert f"**{chart_metadata(chart)['version']}**" in readme


@pytest.mark.parametrize("chart", [name for name in chart_names() if generated_crds(name) is None])
def test_the_crds_are_permissive_and_keep_the_upstream_subresources(chart):
    for path in (CHARTS / chart / "crds").glob("*.yaml"):
        for crd in (doc for doc in yaml.safe_load_all(path.read_text()) if doc):
            versions = crd["spec"]["versions"]
            assert sum(version["storage"] for version in versions) == 1, crd["metadata"]["name"]
            for version in versions:
                schema = version["schema"]["openAPIV3Schema"]["properties"]
                assert schema["spec"]["x-kubernetes-preserve-unknown-fields"] is True
    if chart == "argo-cd":
        crds = yaml.safe_load_all((CHARTS / chart / "crds" / "argo-cd.yaml").read_text())
        by_name = {doc["metadata"]["name"]: doc for doc in crds if doc}
        # Argo CD writes an Application's status as a plain field: no status subresource upstream.
        assert "subresources" not in by_name["applications.argoproj.io"]["spec"]["versions"][0]
        assert by_name["applicationsets.argoproj.io"]["spec"]["versions"][0]["subresources"] == {"status": {}}


@pytest.mark.parametrize("chart", ["aws-load-balancer-controller", "karpenter"])
def test_a_missing_cluster_name_is_refused_naming_the_value(chart):
    result = helm("template", "x", str(CHARTS / chart), check=False)
    assert result.returncode != 0
    assert "clusterName" in result.stderr


def test_argo_cd_ha_values_change_the_replica_counts():
    single = replicas(render("argo-cd"))
    assert single["argocd-server"] == 1
    assert single["argocd-repo-server"] == 1
    assert single["argocd-applicationset-controller"] == 1
    assert single["argocd-application-controller"] == 1
    assert single["argocd-redis"] == 1
    assert "argocd-redis-ha-server" not in single

    ha_docs = render(
        "argo-cd",
        *["--set", "redis-ha.enabled=true", "--set", "controller.replicas=2", "--set", "server.replicas=3"],
        *["--set", "repoServer.replicas=3", "--set", "applicationSet.replicas=2"],
    )
    ha = replicas(ha_docs)
    assert ha["argocd-server"] == 3
    assert ha["argocd-repo-server"] == 3
    assert ha["argocd-applicationset-controller"] == 2
    assert ha["argocd-application-controller"] == 2
    assert ha["argocd-redis-ha-server"] == 3
    assert ha["argocd-redis-ha-haproxy"] == 3
    assert "argocd-redis" not in ha
    controller = next(
        d for d in ha_docs if d["kind"] == "StatefulSet" and d["metadata"]["name"].endswith("-controller")
    )
    assert {"name": "ARGOCD_CONTROLLER_REPLICAS", "value": "2"} in controller["spec"]["template"]["spec"]["containers"][
        0
    ]["env"]
    # Every component now reaches Redis through the HA proxy.
    server = next(d for d in ha_docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "argocd-server")
    assert "--redis=argocd-redis-ha-haproxy:6379" in server["spec"]["template"]["spec"]["containers"][0]["args"]

    autoscaled = replicas(render("argo-cd", "--set", "server.autoscaling.enabled=true"))
    assert autoscaled["argocd-server"] is None  # the HPA owns the count


def test_argo_cd_renders_its_settings_objects_as_upstream_names_them():
    docs = render(
        "argo-cd",
        *[
            "--set",
            "global.domain=argocd.petclinic.example",
            "--set",
            "configs.secret.argocdServerAdminPassword=$2a$10$x",
        ],
        *["--set", "configs.secret.argocdServerAdminPasswordMtime=2026-01-01T00:00:00Z"],
    )
    by_name = {(doc["kind"], doc["metadata"]["name"]): doc for doc in docs}
    assert by_name["ConfigMap", "argocd-cm"]["data"]["url"] == "https://argocd.petclinic.example"
    assert ("ConfigMap", "argocd-rbac-cm") in by_name
    secret = by_name["Secret", "argocd-secret"]
    assert secret["metadata"]["labels"]["app.kubernetes.io/part-of"] == "argocd"
    assert secret["data"]["admin.password"] == "JDJhJDEwJHg="  # base64 of the hash as given
    assert secret["data"]["admin.passwordMtime"] == "MjAyNi0wMS0wMVQwMDowMDowMFo="
    # The server creates the initial admin secret at runtime upstream: never the chart.
    assert ("Secret", "argocd-initial-admin-secret") not in by_name


def archive_digests(directory: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in directory.glob("*.tgz")}


def test_the_repository_is_packaged_once_and_again_only_for_a_changed_chart(tmp_path):
    source = tmp_path / "charts"
    for name in ("metrics-server", "opencost"):
        shutil.copytree(CHARTS / name, source / name)
    service = ChartsService(Layout(tmp_path / "state", 0), source=source)
    index = service.directory / INDEX

    service.prepare()
    first = index.read_bytes()
    archives = archive_digests(service.directory)
    assert set(archives) == {"metrics-server-3.13.0.tgz", "opencost-2.4.0.tgz"}

    service.prepare()
    assert index.read_bytes() == first

    values = source / "opencost" / "values.yaml"
    values.write_text(values.read_text() + "# changed\n")
    service.prepare()
    assert index.read_bytes() != first
    after = archive_digests(service.directory)
    # Untouched: packaging again would have written new timestamps into the archive.
    assert after["metrics-server-3.13.0.tgz"] == archives["metrics-server-3.13.0.tgz"]
    assert after["opencost-2.4.0.tgz"] != archives["opencost-2.4.0.tgz"]

    shutil.rmtree(source / "metrics-server")
    service.prepare()
    assert sorted(path.name for path in service.directory.glob("*.tgz")) == ["opencost-2.4.0.tgz"]
    assert "metrics-server" not in yaml.safe_load(index.read_text())["entries"]


# Against the sandbox --------------------------------------------------------------


@pytest.fixture(scope="module")
def repo_url(sandbox):
    return os.environ["BESPIN_CHART_REPO_URL"]


@pytest.fixture(scope="module")
def api(sandbox):
    return config.new_client_from_config(config_file=str(sandbox.layout.kubeconfig))


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the sandbox's loopback repository
        return response.read()


@pytest.mark.sandbox
def test_the_index_lists_every_chart_with_its_version(repo_url):
    entries = yaml.safe_load(fetch(f"{repo_url}/{INDEX}"))["entries"]
    assert sorted(entries) == chart_names()
    for name, versions in entries.items():
        (entry,) = versions
        metadata = chart_metadata(name)
        assert (entry["version"], entry["appVersion"]) == (metadata["version"], metadata["appVersion"])
        assert entry["annotations"]["bespin.platform/stand-in"] == "true"
        archive = fetch(f"{repo_url}/{entry['urls'][0]}")
        assert hashlib.sha256(archive).hexdigest() == entry["digest"]


def install(chart: str, repo_url: str, kubeconfig: str, tmp_path: Path) -> subprocess.CompletedProcess:
    expected = EXPECTED[chart]
    values = tmp_path / f"{chart}.yaml"
    values.write_text(yaml.safe_dump(expected["values"]))
    return helm(
        *["install", expected["release"], chart, "--repo", repo_url, "--version", chart_metadata(chart)["version"]],
        *["--namespace", namespace_of(chart), "--create-namespace", "--kubeconfig", kubeconfig],
        *["--values", str(values), "--wait", "--timeout", INSTALL_TIMEOUT],
        check=False,
    )


def namespace_of(chart: str) -> str:
    return f"charts-{EXPECTED[chart]['release']}"


def condition(obj, kind: str) -> str | None:
    return next((c.status for c in obj.status.conditions or [] if c.type == kind), None)


@pytest.mark.sandbox
@pytest.mark.slow
def test_every_chart_installs_from_the_repository_and_renders_what_the_roles_wait_on(sandbox, repo_url, api, tmp_path):
    kubeconfig = str(sandbox.layout.kubeconfig)
    charts = chart_names()
    try:
        # Four at a time: `--wait` mostly waits, and the machine has two CPUs.
        with ThreadPoolExecutor(4) as pool:
            results = dict(
                zip(charts, pool.map(lambda c: install(c, repo_url, kubeconfig, tmp_path), charts), strict=True)
            )
        failed = {chart: result.stderr for chart, result in results.items() if result.returncode != 0}
        assert not failed, failed

        extensions = client.ApiextensionsV1Api(api)
        apps = client.AppsV1Api(api)
        core = client.CoreV1Api(api)
        for chart in charts:
            expected, namespace = EXPECTED[chart], namespace_of(chart)
            assert set(expected["crds"]) <= crd_names(chart)
            for crd in crd_names(chart):
                assert condition(extensions.read_custom_resource_definition(crd), "Established") == "True", crd
            for name in expected["deployments"]:
                assert condition(apps.read_namespaced_deployment(name, namespace), "Available") == "True", name
            for name in expected.get("statefulsets", []):
                workload = apps.read_namespaced_stateful_set(name, namespace)
                assert workload.status.ready_replicas == workload.spec.replicas, name
            for name in expected.get("daemonsets", []):
                workload = apps.read_namespaced_daemon_set(name, namespace)
                # The node exporter tolerates the tainted infra nodes too: one pod per node.
                assert workload.status.number_ready == len(core.list_node().items), name
            if "irsa" in expected:
                account, arn = expected["irsa"]
                annotations = core.read_namespaced_service_account(account, namespace).metadata.annotations
                assert annotations[IRSA] == arn

        # The webhooks fail open: objects they validate are stored although nothing answers.
        resources = dynamic.DynamicClient(api).resources
        store = resources.get(api_version="external-secrets.io/v1", kind="ClusterSecretStore")
        store.create(
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "ClusterSecretStore",
                "metadata": {"name": "aws-secrets-manager"},
                "spec": {"provider": {"aws": {"service": "SecretsManager", "region": "ap-northeast-2"}}},
            }
        )
        assert store.get(name="aws-secrets-manager").spec.provider.aws.service == "SecretsManager"
        binding = resources.get(api_version="elbv2.k8s.aws/v1beta1", kind="TargetGroupBinding")
        binding.create(
            {
                "apiVersion": "elbv2.k8s.aws/v1beta1",
                "kind": "TargetGroupBinding",
                "metadata": {"name": "web", "namespace": namespace_of("aws-load-balancer-controller")},
                "spec": {"serviceRef": {"name": "web", "port": 80}, "targetGroupARN": "arn:aws:elasticloadbalancing:x"},
            }
        )
        assert client.NetworkingV1Api(api).read_ingress_class("alb").spec.controller == "ingress.k8s.aws/alb"
    finally:
        remove_installs(charts, kubeconfig, api)


def remove_installs(charts: list[str], kubeconfig: str, api) -> None:
    """Uninstall, then what helm leaves behind: crds/ (as with the real charts, custom objects
    go with their CRD) and the namespaces."""
    for chart in charts:
        helm(
            "uninstall",
            EXPECTED[chart]["release"],
            "--namespace",
            namespace_of(chart),
            "--kubeconfig",
            kubeconfig,
            "--wait",
            check=False,
        )
    extensions, core = client.ApiextensionsV1Api(api), client.CoreV1Api(api)
    for chart in charts:
        for crd in crd_names(chart):
            ignore_missing(extensions.delete_custom_resource_definition, crd)
        ignore_missing(core.delete_namespace, namespace_of(chart))


def ignore_missing(delete, name: str) -> None:
    try:
        delete(name)
    except ApiException as exc:
        if exc.status != 404:
            raise


@pytest.mark.sandbox
@pytest.mark.slow
def test_redis_ha_installs_with_the_redis_session_values_and_configures_sentinel(sandbox, repo_url, api, tmp_path):
    """The redis_session role's install, on its own: servers ready, Sentinel configured from the
    values, the PDB and per-server announce Services present, the password read from the
    role's Secret (none created by the chart)."""
    kubeconfig, expected = str(sandbox.layout.kubeconfig), EXPECTED["redis-ha"]
    # Not namespace_of(): the all-charts test may have just deleted that namespace.
    namespace, fullname = "charts-redis-ha-session", "petclinic-redis-redis-ha"
    values = tmp_path / "redis-ha.yaml"
    values.write_text(yaml.safe_dump(expected["values"]))
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    try:
        helm(
            *["install", expected["release"], "redis-ha", "--repo", repo_url, "--version", "4.35.1"],
            *["--namespace", namespace, "--create-namespace", "--kubeconfig", kubeconfig],
            *["--values", str(values), "--wait", "--timeout", INSTALL_TIMEOUT],
        )
        servers = apps.read_namespaced_stateful_set(f"{fullname}-server", namespace)
        assert servers.spec.replicas == servers.status.ready_replicas == 3
        containers = {c.name: c for c in servers.spec.template.spec.containers}
        assert containers["redis"].image == "redis:8.2.2-alpine"
        assert [(p.name, p.container_port) for p in containers["sentinel"].ports] == [("sentinel", 26379)]
        password = containers["redis"].env[0].value_from.secret_key_ref
        assert (password.name, password.key) == ("petclinic-redis-auth", "redis-password")
        assert not servers.spec.volume_claim_templates  # persistence off: an emptyDir
        with pytest.raises(ApiException) as missing:
            core.read_namespaced_secret(fullname, namespace)
        assert missing.value.status == 404

        sentinel_conf = core.read_namespaced_config_map(f"{fullname}-configmap", namespace).data["sentinel.conf"]
        lines = sentinel_conf.splitlines()
        assert f"sentinel monitor mymaster {fullname}-announce-0 6379 2" in lines
        assert "sentinel down-after-milliseconds mymaster 5000" in lines
        assert "sentinel failover-timeout mymaster 60000" in lines
        redis_conf = core.read_namespaced_config_map(f"{fullname}-configmap", namespace).data["redis.conf"]
        assert {"maxmemory 256mb", "appendonly yes", "min-replicas-to-write 1"} <= set(redis_conf.splitlines())

        budget = client.PolicyV1Api(api).read_namespaced_pod_disruption_budget(f"{fullname}-pdb", namespace)
        assert budget.spec.max_unavailable == 1
        assert budget.spec.selector.match_labels[fullname] == "replica"
        for index in range(3):
            announce = core.read_namespaced_service(f"{fullname}-announce-{index}", namespace)
            assert announce.spec.selector["statefulset.kubernetes.io/pod-name"] == f"{fullname}-server-{index}"
        headless = core.read_namespaced_service(fullname, namespace)
        assert headless.spec.cluster_ip == "None"
        assert {(p.name, p.port) for p in headless.spec.ports} == {("tcp-server", 6379), ("tcp-sentinel", 26379)}
    finally:
        helm("uninstall", expected["release"], "--namespace", namespace, "--kubeconfig", kubeconfig, check=False)
        ignore_missing(core.delete_namespace, namespace)
