"""Pydantic schemas of the accounting REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from fedcore.accounting.enums import MessageStatus, Transport
from fedcore.accounting.formats.records import RecordKind
from fedcore.core.db import isoformat_z

UTCTime = Annotated[datetime, PlainSerializer(isoformat_z, return_type=str)]


class MessageAccepted(BaseModel):
    """A stored message: its id, its kind, the records it carried and the rows it changed."""

    message_id: int = Field(description="the message's row (GET /api/accounting/messages/{id})")
    kind: RecordKind
    records: int = Field(description="records in the message")
    stored: int = Field(
        description="rows inserted or changed; 0 when every record was already stored as sent"
    )


class SyncStatusRead(BaseModel):
    """A site's sync record (reference §1.7) against the jobs received for the same submit host
    and month."""

    model_config = ConfigDict(from_attributes=True)

    site: str
    submit_host: str
    year: int
    month: int
    sync_count: int = Field(description="jobs the site's own database holds (its sync record)")
    received: int = Field(description="jobs received as individual job records")
    gap: int = Field(description="sync_count - received")
    status: Literal["ok", "missing", "excess"]


class UnknownNameRead(BaseModel):
    """A site (or VO) name that records carry and the registry (or AAI) does not know."""

    model_config = ConfigDict(from_attributes=True)

    kind: RecordKind
    name: str
    records: int


class MixedRoutesRead(BaseModel):
    """A site-month whose jobs came by more than one route (jobs, summaries, normalised)."""

    model_config = ConfigDict(from_attributes=True)

    site: str
    year: int
    month: int
    sources: list[str]


class DataQualityRead(BaseModel):
    """What needs an operator's eye in the stored records and messages."""

    model_config = ConfigDict(from_attributes=True)

    unknown_sites: list[UnknownNameRead]
    unknown_vos: list[UnknownNameRead]
    mixed_routes: list[MixedRoutesRead]
    dirty_groups: int = Field(description="summary groups waiting for accounting.summarise-dirty")
    rejected_messages: dict[str, int] = Field(
        description="messages rejected over the last 30 days, per publisher"
    )


class SummariesRebuild(BaseModel):
    """Which summaries ``POST /api/accounting/summaries:rebuild`` rebuilds: all by default."""

    model_config = ConfigDict(extra="forbid")

    site: str | None = Field(default=None, description="only this site's summaries")
    kind: RecordKind | None = Field(default=None, description="only this record kind's summaries")


class SummariesRebuilt(BaseModel):
    """How much a rebuild replaced."""

    slices: int = Field(description="site-months (all of a site's VMs for cloud records)")
    groups: int = Field(description="summary groups written")


class MessageFilter(BaseModel):
    """What ``GET /api/accounting/messages`` lists: the caller's visible messages, narrowed."""

    model_config = ConfigDict(extra="forbid")

    status: MessageStatus | None = Field(default=None, description="accepted or rejected")
    kind: RecordKind | None = Field(default=None, description="the record family")
    publisher: str | None = Field(
        default=None, description="the publisher: a token subject or a signer's host DN"
    )


class MessageRead(BaseModel):
    """A received message: what it was, who sent it how, and what became of it. ``body`` is
    kept for rejected messages only, for the retention period, so the publisher can see what
    failed."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: MessageStatus
    kind: RecordKind | None = Field(description="none when the message was refused unread")
    header: str = Field(description="the first line, XML namespace or JSON type")
    transport: Transport
    publisher: str
    signer_dn: str | None = Field(description="the S/MIME signer's DN on the signed path")
    empaid: str | None = Field(description="SSM's message id")
    first_received_at: UTCTime
    last_received_at: UTCTime
    records: int = Field(validation_alias="record_count", description="records in the message")
    error: str | None = Field(description="why it was rejected (APEL's text)")
    body: str | None


class PublisherCreate(BaseModel):
    """A subject to bind to a site: it may then publish the site's records."""

    model_config = ConfigDict(extra="forbid")

    site: str = Field(description="the registry's short name of the site")
    subject: str = Field(description="a token subject, such as a service account's")


class PublisherRead(BaseModel):
    """A site ↔ subject binding."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    site: str
    subject: str
    created_by: str
    created_at: UTCTime
