"""The services that make up the sandbox, in start order."""

from __future__ import annotations

from ..layout import Layout
from .base import Component, Service
from .kubernetes import KubernetesService


def all_services(layout: Layout) -> list[Service]:
    return [KubernetesService(layout)]


__all__ = ["Component", "Service", "all_services"]
