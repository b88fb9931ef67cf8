"""Write accounting: journals, marks, the kube-apiserver audit log and the summary."""

from __future__ import annotations

import json

from bespin_sandbox.accounting import Journal, Write, mark, real_total, summarize, writes_since


def audit_event(verb: str, uri: str, stage: str = "ResponseComplete") -> str:
    """An audit.k8s.io/v1 event as kube-apiserver writes it with --audit-log-format=json."""
    event = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata",
        "auditID": "5d7a8a3e-5a52-4d8f-9d0c-1f2e3a4b5c6d",
        "stage": stage,
        "requestURI": uri,
        "verb": verb,
        "user": {"username": "bespin-admin", "groups": ["system:masters", "system:authenticated"]},
        "sourceIPs": ["127.0.0.1"],
        "userAgent": "kubectl/v1.36.3 (linux/amd64) kubernetes/unknown",
        "objectRef": {"resource": "configmaps", "namespace": "demo", "name": "settings", "apiVersion": "v1"},
        "responseStatus": {"metadata": {}, "code": 201},
        "requestReceivedTimestamp": "2026-11-22T03:07:08.123456Z",
        "stageTimestamp": "2026-11-22T03:07:08.130000Z",
    }
    return json.dumps(event) + "\n"


def test_a_journal_records_one_write_per_line(tmp_path):
    journal = Journal(tmp_path, "aws")
    journal.record("CreateCluster", "/clusters")
    journal.record("DeleteCluster", "/clusters/demo", dry_run=True)

    assert writes_since(tmp_path) == [
        Write("aws", "CreateCluster", "/clusters"),
        Write("aws", "DeleteCluster", "/clusters/demo", dry_run=True),
    ]


def test_writes_since_a_mark_are_only_those_after_it(tmp_path):
    journal = Journal(tmp_path, "azure")
    journal.record("PUT", "/subscriptions/s/resourceGroups/before")
    token = mark(tmp_path)
    journal.record("PUT", "/subscriptions/s/resourceGroups/after")
    Journal(tmp_path, "aws").record("CreateBucket", "/bucket")  # a journal that did not exist at the mark

    assert writes_since(tmp_path, token) == [
        Write("aws", "CreateBucket", "/bucket"),
        Write("azure", "PUT", "/subscriptions/s/resourceGroups/after"),
    ]
    assert writes_since(tmp_path, mark(tmp_path)) == []


def test_a_mark_of_an_empty_folder_counts_everything_after(tmp_path):
    token = mark(tmp_path / "writes")
    Journal(tmp_path / "writes", "aws").record("CreateRole", "/")
    assert writes_since(tmp_path / "writes", token) == [Write("aws", "CreateRole", "/")]


def test_the_audit_log_counts_completed_requests_and_sees_dry_runs(tmp_path):
    log = tmp_path / "kubernetes.audit.log"
    log.write_text(
        audit_event("create", "/api/v1/namespaces/demo/configmaps?fieldManager=kubectl-create", stage="RequestReceived")
        + audit_event("create", "/api/v1/namespaces/demo/configmaps?fieldManager=kubectl-create")
        + audit_event("create", "/api/v1/namespaces/demo/configmaps?dryRun=All&fieldManager=kubectl-create")
        + audit_event("patch", "/api/v1/namespaces/demo/configmaps/settings")
    )

    assert writes_since(tmp_path) == [
        Write("kubernetes", "create", "/api/v1/namespaces/demo/configmaps"),
        Write("kubernetes", "create", "/api/v1/namespaces/demo/configmaps", dry_run=True),
        Write("kubernetes", "patch", "/api/v1/namespaces/demo/configmaps/settings"),
    ]


def test_a_mark_covers_the_audit_log_too(tmp_path):
    log = tmp_path / "kubernetes.audit.log"
    log.write_text(audit_event("delete", "/api/v1/namespaces/old"))
    token = mark(tmp_path)
    with log.open("a") as handle:
        handle.write(audit_event("create", "/api/v1/namespaces"))
    assert writes_since(tmp_path, token) == [Write("kubernetes", "create", "/api/v1/namespaces")]


def test_the_summary_counts_by_service_and_verb_with_dry_runs_apart():
    writes = [
        Write("kubernetes", "create", "/a"),
        Write("kubernetes", "create", "/b"),
        Write("kubernetes", "create", "/c", dry_run=True),
        Write("kubernetes", "delete", "/a"),
        Write("aws", "CreateCluster", "/clusters"),
    ]
    assert summarize(writes) == {
        "aws": {"CreateCluster": 1},
        "kubernetes": {"create": 2, "create (dry-run)": 1, "delete": 1},
    }
    assert summarize([]) == {}


def test_the_real_total_leaves_dry_runs_out():
    summary = {"kubernetes": {"create": 3, "create (dry-run)": 5, "patch": 1}, "aws": {"CreateRole": 2}}
    assert real_total(summary) == 6
    assert real_total({}) == 0
