"""Pydantic schemas of the accounting REST API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

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
