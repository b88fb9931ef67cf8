"""Azure Resource Manager request paths, taken apart.

ARM paths nest to any depth (``.../providers/{ns}/{type}/{name}/{type}/{name}``),
which fixed route patterns cannot express, hence this small parser.
Keywords (``resourceGroups``, ``providers``) and ids are case-insensitive.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArmPath:
    subscription: str | None = None
    resource_group: str | None = None
    namespace: str | None = None
    # After the namespace: type, name, type, name, ... (an odd count ends in a collection or an action).
    segments: tuple[str, ...] = ()
    # Paths outside providers: "subscriptions", "subscription", "locations", "resourceGroups", "resourceGroup",
    # "resources" (a resource group's), or "provider" for everything under providers/.
    kind: str = "unknown"

    @property
    def subscription_prefix(self) -> str:
        return f"/subscriptions/{self.subscription}"

    @property
    def group_id(self) -> str:
        return f"{self.subscription_prefix}/resourceGroups/{self.resource_group}"

    @property
    def scope(self) -> str:
        """The id prefix before /providers/."""
        return self.group_id if self.resource_group else self.subscription_prefix

    @property
    def is_item(self) -> bool:
        return self.kind == "provider" and len(self.segments) >= 2 and len(self.segments) % 2 == 0

    @property
    def item_segments(self) -> tuple[str, ...]:
        """The type/name pairs of the resource addressed (without a trailing collection or action)."""
        return self.segments if len(self.segments) % 2 == 0 else self.segments[:-1]

    @property
    def resource_type(self) -> str:
        """``Microsoft.Network/virtualNetworks/subnets`` for the item (or collection) addressed."""
        segments = self.segments
        types = [segments[i] for i in range(0, len(segments), 2)]
        return "/".join([self.namespace or "", *types])

    @property
    def parent_type(self) -> str:
        types = [self.item_segments[i] for i in range(0, len(self.item_segments), 2)]
        return "/".join([self.namespace or "", *types])

    @property
    def tail(self) -> str:
        """The last segment of an odd path: the collection type or the action name."""
        return self.segments[-1] if len(self.segments) % 2 else ""

    def item_id(self) -> str:
        """The ARM id of the resource addressed (for an odd path: the parent the collection/action is on)."""
        return "/".join([f"{self.scope}/providers/{self.namespace}", *self.item_segments])


def parse(path: str) -> ArmPath:
    parts = [p for p in path.split("/") if p]
    lowered = [p.lower() for p in parts]
    if not parts or lowered[0] != "subscriptions":
        return ArmPath(kind="unknown")
    if len(parts) == 1:
        return ArmPath(kind="subscriptions")
    subscription = parts[1]
    rest, rest_lower = parts[2:], lowered[2:]
    if not rest:
        return ArmPath(subscription, kind="subscription")
    if rest_lower == ["locations"]:
        return ArmPath(subscription, kind="locations")
    group = None
    if rest_lower[0] == "resourcegroups":
        if len(rest) == 1:
            return ArmPath(subscription, kind="resourceGroups")
        group = rest[1]
        rest, rest_lower = rest[2:], rest_lower[2:]
        if not rest:
            return ArmPath(subscription, group, kind="resourceGroup")
        if rest_lower == ["resources"]:
            return ArmPath(subscription, group, kind="resources")
    if rest_lower[0] == "providers" and len(rest) >= 2:
        return ArmPath(subscription, group, rest[1], tuple(rest[2:]), kind="provider")
    return ArmPath(subscription, group, kind="unknown")
