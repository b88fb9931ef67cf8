"""What is done with a release an interrupted run left pending, and which helm failures are retried."""

from __future__ import annotations

import pytest

from ansible_collections.bespin.platform.plugins.module_utils.helm_pending import (
    bad_fields,
    is_transient,
    pending_release,
    recovery,
)


def test_only_a_pending_release_is_picked():
    listed = [
        {"name": "karpenter", "status": "deployed", "revision": "3"},
        {"name": "argo-cd", "status": "pending-upgrade", "revision": "5"},
        {"name": "redis", "status": "failed", "revision": "1"},
    ]
    assert pending_release(listed, "karpenter") is None
    assert pending_release(listed, "argo-cd")["revision"] == "5"
    assert pending_release(listed, "redis") is None, "a failed release can be upgraded: it is not locked"
    assert pending_release(listed, "absent") is None


def test_an_interrupted_upgrade_rolls_back_to_the_newest_revision_that_ran():
    history = [
        {"revision": 1, "status": "superseded"},
        {"revision": 2, "status": "failed"},
        {"revision": 3, "status": "deployed"},
        {"revision": 4, "status": "pending-upgrade"},
    ]
    assert recovery(history, 4) == ("rollback", 3)


def test_an_interrupted_rollback_goes_back_past_the_failed_revisions():
    history = [{"revision": 1, "status": "superseded"}, {"revision": 2, "status": "failed"},
               {"revision": 3, "status": "pending-rollback"}]  # fmt: skip
    assert recovery(history, 3) == ("rollback", 1)


def test_an_interrupted_first_install_is_uninstalled():
    assert recovery([{"revision": 1, "status": "pending-install"}], 1) == ("uninstall", None)
    assert recovery([{"revision": 1, "status": "failed"}, {"revision": 2, "status": "pending-upgrade"}], 2) == (
        "uninstall",
        None,
    )


@pytest.mark.parametrize(
    "stderr",
    [
        "Error: the server has received too many requests and has asked us to try again later",
        'Error: an error on the server ("") has prevented the request from succeeding',
        "Error: Internal error occurred: etcdserver: request timed out",
        "Error: the server is currently unable to handle the request (ServiceUnavailable)",
        "Error: read tcp 127.0.0.1:5->127.0.0.1:6443: read: connection reset by peer",
        'Error: Get "https://127.0.0.1:6443/api": unexpected EOF',
        "Error: Kubernetes cluster unreachable: dial tcp: i/o timeout",
    ],
)
def test_throttling_server_errors_and_broken_connections_are_retried(stderr):
    assert is_transient(stderr)


@pytest.mark.parametrize(
    "stderr",
    [
        "Error: release: not found",
        'Error: secrets is forbidden: User "dev" cannot list resource "secrets" in the namespace "argocd"',
        "Error: another operation (install/upgrade/rollback) is in progress",
        "",
    ],
)
def test_lasting_failures_are_not_retried(stderr):
    assert not is_transient(stderr)


def test_bad_fields_are_each_named_with_their_index():
    problems = bad_fields(
        [{"name": "ok", "namespace": "kube-system"}, {"name": "Bad_Name", "namespace": "kube-system"},
         {"name": "x" * 54, "namespace": "Not A Namespace"}],
        0,
    )  # fmt: skip
    assert [problem.split(" ")[0] for problem in problems] == [
        "releases[1].name",
        "releases[2].name",
        "releases[2].namespace",
        "timeout",
    ]
    assert bad_fields([{"name": "argo-cd", "namespace": "argocd"}], 300) == []
