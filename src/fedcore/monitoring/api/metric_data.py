"""Metric results in: ``POST /api/monitoring/metric-data`` (a JSON array of ARGO
``MetricData`` records), and :func:`ams_publish`, the handler of the AMS-compatible publish
route (``core/ams.py``) for every project but accounting's, where ARGO's publishers
(ams-publisher) send each record as the base64 of one Avro ``metric_data`` record.

Both need a caller who may publish (operators, or the entitlement
``urn:fedcore:monitoring:metric-publisher``). Good records are stored (once), bad ones refused
with index and field; the answer is sent after the commit. One request carries at most
:data:`MAX_BATCH` records (or messages).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from sqlalchemy.orm import Session

from fedcore.core.ams import AmsPublish
from fedcore.core.api import FieldError
from fedcore.core.config import Settings
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.errors import ValidationFailed
from fedcore.core.security import Principal
from fedcore.monitoring import service
from fedcore.monitoring.schemas import (
    MetricDataAmsAnswer,
    MetricDataAnswer,
    RefusedRecord,
    StoredRecord,
)
from fedcore.monitoring.service.results import Ingested

MAX_BATCH = 10_000
"""The most records (or AMS messages) one request may carry; publishers send more in several."""

router = APIRouter()


def _require_batch_size(items: list[Any], name: str) -> None:
    if len(items) > MAX_BATCH:
        raise ValidationFailed(
            f"at most {MAX_BATCH} {name} in one request, got {len(items)}: send them in several",
            field=name,
        )


def _refused(answer: Ingested) -> list[RefusedRecord]:
    return [
        RefusedRecord(
            index=index,
            errors=[FieldError(field=field, message=message) for field, message in errors],
        )
        for index, errors in answer.refused
    ]


@router.post(
    "/metric-data",
    summary="Store a batch of metric results (publishers)",
    response_model=MetricDataAnswer,
)
def post_metric_data(
    session: DbSession,
    actor: CurrentPrincipal,
    records: Annotated[
        list[Any], Body(description="ARGO MetricData records: timestamp, service, hostname, ...")
    ],
) -> MetricDataAnswer:
    _require_batch_size(records, "records")
    answer = service.store_metric_data(session=session, actor=actor, records=records)
    return MetricDataAnswer(
        stored=[StoredRecord(index=i, id=row, new=new) for i, row, new in answer.stored],
        refused=_refused(answer),
    )


def ams_publish(
    *,
    session: Session,
    settings: Settings,
    actor: Principal,
    project: str,
    topic: str,
    body: AmsPublish,
) -> MetricDataAmsAnswer:
    """Store the records of an AMS publish request (any project and topic)."""
    _require_batch_size(body.messages, "messages")
    answer = service.publish_messages(
        session=session, actor=actor, messages=[m.data for m in body.messages]
    )
    return MetricDataAmsAnswer(
        messageIds=[str(row) for _, row, _ in answer.stored], refused=_refused(answer)
    )
