"""Pydantic schemas of the accounting REST API."""

from __future__ import annotations

from pydantic import BaseModel, Field

from fedcore.accounting.formats.records import RecordKind


class MessageAccepted(BaseModel):
    """A stored message: its id, its kind, the records it carried and the rows it changed."""

    message_id: int = Field(description="the message's row (GET /api/accounting/messages/{id})")
    kind: RecordKind
    records: int = Field(description="records in the message")
    stored: int = Field(
        description="rows inserted or changed; 0 when every record was already stored as sent"
    )
