"""How the sandbox runs the Argo processes for the charts' workloads: settings to environment, workloads read."""

from __future__ import annotations

from bespin_sandbox.argo import Process, Workload, chart_env_mapping, parameter_env


def test_settings_reach_each_component_as_upstreams_pod_specs_wire_them(tmp_path):
    manifest = tmp_path / "application-controller" / "argocd-application-controller-statefulset.yaml"
    manifest.parent.mkdir()
    manifest.write_text(
        """
kind: StatefulSet
spec:
  template:
    spec:
      containers:
        - name: c
          env:
            - name: ARGOCD_RECONCILIATION_TIMEOUT
              valueFrom: {configMapKeyRef: {name: argocd-cm, key: timeout.reconciliation}}
            - name: ARGOCD_APPLICATION_CONTROLLER_SERVER_SIDE_DIFF
              valueFrom: {configMapKeyRef: {name: argocd-cmd-params-cm, key: controller.diff.server.side}}
            - name: ARGOCD_APPLICATION_CONTROLLER_STATUS_PROCESSORS
              valueFrom: {configMapKeyRef: {name: argocd-cmd-params-cm, key: controller.status.processors}}
            - {name: PLAIN, value: x}
"""
    )
    mapping = chart_env_mapping(tmp_path, "application-controller")
    assert mapping["ARGOCD_APPLICATION_CONTROLLER_SERVER_SIDE_DIFF"] == (
        "argocd-cmd-params-cm",
        "controller.diff.server.side",
    )
    assert "PLAIN" not in mapping
    config_maps = {
        "argocd-cm": {"timeout.reconciliation": "20s"},
        "argocd-cmd-params-cm": {"controller.diff.server.side": "true"},
    }
    # A key the ConfigMaps do not hold leaves its variable unset (upstream's refs are optional).
    assert parameter_env(mapping, config_maps) == {
        "ARGOCD_RECONCILIATION_TIMEOUT": "20s",
        "ARGOCD_APPLICATION_CONTROLLER_SERVER_SIDE_DIFF": "true",
    }


def test_a_workload_is_read_from_the_charts_object():
    item = {
        "metadata": {
            "namespace": "argocd",
            "name": "argocd-application-controller",
            "labels": {"app.kubernetes.io/part-of": "argocd", "app.kubernetes.io/component": "application-controller"},
        },
        "spec": {"template": {"spec": {"serviceAccountName": "argocd-application-controller",
                                       "containers": [{"args": ["/usr/local/bin/argocd-application-controller"]}]}}},
    }  # fmt: skip
    workload = Workload.from_object(item)
    assert (workload.part_of, workload.component, workload.service_account) == (
        "argocd",
        "application-controller",
        "argocd-application-controller",
    )


def test_a_process_is_started_anew_when_its_settings_change():
    same = [Process("p", None, ["x", "--a"], {"E": "1"}, 1) for _copy in range(2)]
    changed = Process("p", None, ["x", "--a"], {"E": "2"}, 1)
    assert same[0].fingerprint == same[1].fingerprint != changed.fingerprint
