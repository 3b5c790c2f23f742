"""Vocabularies of accounting: message status and transport, the sources of the summaries.

The record families themselves (:class:`~fedcore.accounting.formats.records.RecordKind`) are
defined beside the parsers, which must not import the database side.
"""

from __future__ import annotations

from enum import StrEnum


class MessageStatus(StrEnum):
    """What became of a received message: stored whole, or refused whole (reference §1.3)."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"

    @property
    def colour(self) -> str:
        return "green" if self is MessageStatus.ACCEPTED else "red"


class Transport(StrEnum):
    """How a message arrived: ``fedcore accounting load``, the REST API, or AMS publish."""

    CLI = "cli"
    API = "api"
    AMS = "ams"


class SummarySource(StrEnum):
    """Which job route a super-summary row sums (APEL's HybridSuperSummaries, §2.4).

    A site-month with more than one route counts once in reports, in this order of precedence:
    jobs, then normalised summaries, then summaries.
    """

    JOBS = "jobs"
    NORMALISED = "normalised"
    SUMMARIES = "summaries"


class CloudSummarySource(StrEnum):
    """Which cloud route a cloud super-summary row sums: the per-VM-month deltas of cloud
    records, or received cloud summaries."""

    RECORDS = "records"
    RECEIVED = "received"
