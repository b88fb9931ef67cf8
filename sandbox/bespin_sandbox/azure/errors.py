"""ARM's error body: ``{"error": {"code", "message", "target"?}}`` with an HTTP status."""

from __future__ import annotations


class ArmError(Exception):
    def __init__(self, status: int, code: str, message: str, target: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.target = status, code, message, target

    def body(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.target:
            error["target"] = self.target
        return {"error": error}


def not_found(resource_type: str, name: str, group: str | None) -> ArmError:
    where = f" under resource group '{group}'" if group else ""
    return ArmError(404, "ResourceNotFound", f"The Resource '{resource_type}/{name}'{where} was not found.")


def group_not_found(group: str) -> ArmError:
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{group}' could not be found.")
