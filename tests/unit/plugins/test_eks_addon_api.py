"""eks_addon_api: which EKS errors are retried, and the wait that polls until an add-on settles.

The client here is a scripted stand-in for EKS (the thing under test is our retry
policy and polling loop, not boto3); the integration tests run the real calls
against the sandbox.
"""

from __future__ import annotations

import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from botocore.exceptions import ClientError

from ansible_collections.bespin.platform.plugins.module_utils.eks_addon_api import (
    RETRY,
    EksAddonApi,
    WaitTimeout,
    association_id,
    health_summary,
)


def client_error(code, status):
    return ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")


class ScriptedEks:
    """Answers describe_addon from a script: each item is an add-on status, None (gone) or an error to raise."""

    def __init__(self, script):
        self.script = list(script)
        self.calls = 0

    def describe_addon(self, clusterName, addonName):
        self.calls += 1
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        if step is None:
            raise client_error("ResourceNotFoundException", 404)
        return {"addon": {"addonName": addonName, "status": step, "health": {"issues": []}}}


@pytest.fixture
def no_backoff_sleep(monkeypatch):
    slept = []
    monkeypatch.setattr("ansible_collections.amazon.aws.plugins.module_utils.cloud.time.sleep", slept.append)
    return slept


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def api_for(script, clock=None):
    eks = ScriptedEks(script)
    clock = clock or FakeClock()
    return EksAddonApi(RetryingBotoClientWrapper(eks, RETRY), sleep=clock.sleep, clock=clock), eks


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("TooManyRequestsException", 429),
        ("ThrottlingException", 400),
        ("InternalFailure", 500),
        ("ServerException", 500),
        ("ServiceUnavailableException", 503),
        ("ServiceUnavailable", 503),
    ],
)
def test_throttling_and_server_errors_are_retried(code, status, no_backoff_sleep):
    api, eks = api_for([client_error(code, status), client_error(code, status), "ACTIVE"])
    assert api.describe_addon("petclinic", "coredns")["status"] == "ACTIVE"
    assert eks.calls == 3
    assert len(no_backoff_sleep) == 2
    assert all(0 <= delay <= 30 for delay in no_backoff_sleep)


def test_client_errors_are_not_retried(no_backoff_sleep):
    api, eks = api_for([client_error("InvalidParameterException", 400), "ACTIVE"])
    with pytest.raises(ClientError):
        api.describe_addon("petclinic", "coredns")
    assert (eks.calls, no_backoff_sleep) == (1, [])


def test_missing_add_on_reads_as_none(no_backoff_sleep):
    api, _eks = api_for([None])
    assert api.describe_addon("petclinic", "coredns") is None


def test_wait_polls_until_the_add_on_settles():
    clock = FakeClock()
    api, eks = api_for(["CREATING", "CREATING", "CREATING", "DEGRADED"], clock)
    assert api.wait("petclinic", "coredns", timeout=600)["status"] == "DEGRADED"
    assert eks.calls == 4
    assert len(clock.sleeps) == 3 and all(1.0 <= s <= 30.0 for s in clock.sleeps)


def test_wait_for_deletion_ends_when_gone_or_failed():
    api, _eks = api_for(["DELETING", "DELETING", None])
    assert api.wait("petclinic", "coredns", timeout=600, until_gone=True) is None
    api, _eks = api_for(["DELETING", "DELETE_FAILED"])
    assert api.wait("petclinic", "coredns", timeout=600, until_gone=True)["status"] == "DELETE_FAILED"


def test_wait_gives_up_at_the_timeout_with_the_last_description():
    clock = FakeClock()
    api, _eks = api_for(["UPDATING"], clock)
    with pytest.raises(WaitTimeout) as raised:
        api.wait("petclinic", "coredns", timeout=100)
    assert raised.value.addon["status"] == "UPDATING"
    assert clock.now == pytest.approx(100)  # the last sleep is cut to the deadline


def test_helpers():
    arn = "arn:aws:eks:ap-northeast-2:123456789012:podidentityassociation/petclinic/a-0123456789abcdefg"
    assert association_id(arn) == "a-0123456789abcdefg"
    addon = {
        "health": {
            "issues": [{"code": "InsufficientNumberOfReplicas", "message": "no node", "resourceIds": ["kube-system/x"]}]
        }
    }
    assert health_summary(addon) == "InsufficientNumberOfReplicas: no node (kube-system/x)"
    assert health_summary({"health": {"issues": []}}) == "no health issue reported"
