"""Metric results in: ``POST /api/monitoring/metric-data`` (a JSON array of ARGO
``MetricData`` records) and the AMS-compatible ``POST /v1/projects/{project}/topics/{topic}
:publish`` that ARGO's publishers (ams-publisher) send to, each message's ``data`` the base64
of one Avro ``metric_data`` record.

Both need a caller who may publish (operators, or the entitlement
``urn:fedcore:monitoring:metric-publisher``); AMS clients authenticate with their key in the
``key`` query parameter or the ``x-api-key`` header, which here is a fedcore API or access
token. Good records are stored (once), bad ones refused with index and field; the answer is
sent after the commit. One request carries at most :data:`MAX_BATCH` records (or messages).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query

from fedcore.core.api import FieldError
from fedcore.core.deps import AppSettings, CurrentPrincipal, DbSession
from fedcore.core.errors import ValidationFailed
from fedcore.core.security import Principal, authenticate
from fedcore.monitoring import service
from fedcore.monitoring.schemas import (
    AmsAnswer,
    AmsPublish,
    MetricDataAnswer,
    RefusedRecord,
    StoredRecord,
)
from fedcore.monitoring.service.results import Ingested

MAX_BATCH = 10_000
"""The most records (or AMS messages) one request may carry; publishers send more in several."""

router = APIRouter()
# AMS clients (argo-ams-library: ``requests.post(url, data=json.dumps(...))``) send the JSON
# body without a Content-Type header; FastAPI parses such a body only when told to.
ams_router = APIRouter(strict_content_type=False)


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


@ams_router.post(
    "/v1/projects/{project}/topics/{topic}:publish",
    summary="AMS publish: Avro metric_data records (publishers)",
    response_model=AmsAnswer,
)
def ams_publish(
    session: DbSession,
    settings: AppSettings,
    actor: CurrentPrincipal,
    project: str,
    topic: str,
    body: AmsPublish,
    key: Annotated[str | None, Query(description="the publisher's token (AMS key)")] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> AmsAnswer:
    _require_batch_size(body.messages, "messages")
    caller: Principal = actor
    token = key or x_api_key
    if not caller.is_authenticated and token:
        caller = authenticate(session, token, settings)
    answer = service.publish_messages(
        session=session, actor=caller, messages=[m.data for m in body.messages]
    )
    return AmsAnswer(messageIds=[str(row) for _, row, _ in answer.stored], refused=_refused(answer))
