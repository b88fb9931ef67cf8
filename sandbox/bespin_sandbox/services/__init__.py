"""The services that make up the sandbox, in start order."""

from __future__ import annotations

from ..layout import Layout
from .argo import ArgoService
from .aws import AwsService
from .azure import AzureService
from .base import Component, Service
from .charts import ChartsService
from .credentials import CredentialsService
from .git import GitService
from .kubernetes import KubernetesService
from .redis import RedisService


def all_services(layout: Layout) -> list[Service]:
    return [
        CredentialsService(layout),
        KubernetesService(layout),
        AwsService(layout),
        AzureService(layout),
        RedisService(layout),
        ChartsService(layout),
        GitService(layout),
        ArgoService(layout),
    ]


__all__ = ["Component", "Service", "all_services"]
