"""What an import did: counts per entity kind, and its warnings."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

KINDS = (
    "ngis",
    "projects",
    "scopes",
    "service types",
    "sites",
    "services",
    "service groups",
    "downtimes",
    "users",
)


@dataclass
class ImportReport:
    """Per entity kind: how many were created, updated and found unchanged; and warnings."""

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())

    def lines(self) -> list[str]:
        """One line per entity kind met: created, updated and unchanged counts."""
        seen = self.created + self.updated + self.unchanged
        return [
            f"{kind}: {self.created[kind]} created, {self.updated[kind]} updated, "
            f"{self.unchanged[kind]} unchanged"
            for kind in KINDS
            if seen[kind]
        ]
