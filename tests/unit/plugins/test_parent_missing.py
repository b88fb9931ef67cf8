"""parent_missing: which refusals mean "what this object lives in does not exist yet"
(check mode predicts those objects as created) and which are real failures."""

from __future__ import annotations

from ansible_collections.bespin.platform.plugins.test import parent_missing as plugin

parent_missing = plugin.parent_missing

K8S_NAMESPACE = (
    'Failed to create object: {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
    '"message":"namespaces \\"argocd\\" not found","reason":"NotFound",'
    '"details":{"name":"argocd","kind":"namespaces"},"code":404}'
)
K8S_KIND = "Failed to find exact match for argoproj.io/v1alpha1.Application by [kind, name, singularName, shortNames]"
AZURE_GROUP = (
    "Error retrieving resource group petclinic-standby - (ResourceGroupNotFound) Resource group "
    "'petclinic-standby' could not be found.\nCode: ResourceGroupNotFound\n"
    "Message: Resource group 'petclinic-standby' could not be found."
)


def failed(msg: str, **extra) -> dict:
    return {"failed": True, "changed": False, "msg": msg, **extra}


def test_a_namespace_that_does_not_exist():
    assert parent_missing(failed(K8S_NAMESPACE))
    assert parent_missing(failed(K8S_NAMESPACE), "argocd")
    assert not parent_missing(failed(K8S_NAMESPACE), "redis")


def test_the_namespace_refusal_as_bytes_from_server_side_apply():
    # kubernetes.core prints some bodies as a bytes literal, with escaped quotes.
    body = K8S_NAMESPACE.split(": ", 1)[1]
    assert parent_missing(failed(f"Failed to apply object: b'{body}'"), "argocd")


def test_some_other_object_not_found_is_not_a_missing_parent():
    gone = K8S_NAMESPACE.replace('"kind":"namespaces"', '"kind":"secrets"')
    assert not parent_missing(failed(gone))
    forbidden = K8S_NAMESPACE.replace('"reason":"NotFound"', '"reason":"Forbidden"')
    assert not parent_missing(failed(forbidden))


def test_a_kind_the_cluster_does_not_serve():
    assert parent_missing(failed(K8S_KIND))
    assert parent_missing(failed(K8S_KIND), "Application")
    assert parent_missing(failed(K8S_KIND), "argoproj.io/v1alpha1.Application")
    assert not parent_missing(failed(K8S_KIND), "AppProject")


def test_an_azure_resource_group_that_does_not_exist():
    assert parent_missing(failed(AZURE_GROUP))
    assert parent_missing(failed(AZURE_GROUP), "petclinic-standby")
    assert not parent_missing(failed(AZURE_GROUP), "petclinic")
    blob = "Error getting storage account detail for site: (ResourceGroupNotFound) Resource group 'rg' not found."
    assert parent_missing(failed(blob), "rg")


def test_an_iam_role_that_does_not_exist():
    refusal = failed(
        "An error occurred (NoSuchEntity) when calling the ListRolePolicies operation: Role petclinic-karpenter not"
        " found",
        error={"code": "NoSuchEntity", "message": "Role petclinic-karpenter not found", "type": "Sender"},
    )
    assert parent_missing(refusal)
    assert parent_missing(refusal, "petclinic-karpenter")
    assert not parent_missing(refusal, "petclinic")


def test_other_failures_and_successes_are_not_missing_parents():
    assert not parent_missing(failed("Failed to create object: connection refused"))
    assert not parent_missing(failed("Throttling: rate exceeded", error={"code": "Throttling"}))
    assert not parent_missing({"failed": False, "changed": True, "msg": K8S_NAMESPACE})
    assert not parent_missing({"changed": False})
    assert not parent_missing("not a result")


def test_the_plugin_exposes_the_test():
    assert plugin.TestModule().tests() == {"parent_missing": parent_missing}
