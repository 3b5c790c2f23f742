"""Vocabularies of monitoring: profile kinds, result levels, the recomputation workflow."""

from __future__ import annotations

from enum import StrEnum


class ProfileKind(StrEnum):
    """The four profile documents a report names (reference §1.4), as ARGO types them."""

    OPERATIONS = "operations"
    METRIC = "metric"
    AGGREGATION = "aggregation"
    THRESHOLDS = "thresholds"


class Level(StrEnum):
    """Where in the topology a stored timeline or daily A/R row belongs."""

    METRIC = "metric"
    ENDPOINT = "endpoint"
    SERVICE = "service"
    FUNCTION = "function"
    GROUP = "group"


class RecomputationStatus(StrEnum):
    """ARGO's workflow: requested (pending), decided (approved / rejected), then applied
    (running, done). Pending and rejected recomputations change no result."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    RUNNING = "running"
    DONE = "done"
