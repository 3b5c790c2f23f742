"""Metric results in, over HTTP: JSON batches and AMS publish messages with real Avro
encoding; per-record errors naming index and field; a record sent twice stored once; only
operators and holders of the publisher entitlement may publish."""

from __future__ import annotations

import base64
import io
from typing import Any

import fastavro
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fedcore.aai.service import clients
from fedcore.core.config import Settings
from fedcore.core.security import principal_for
from fedcore.monitoring.models import MetricResult
from fedcore.monitoring.permissions import PUBLISHER_ENTITLEMENT
from fedcore.monitoring.service.results import METRIC_DATA_SCHEMA
from tests.aai.oauth import make_client
from tests.registry.factories import Federation

AMS = "/v1/projects/EGI/topics/metric_data:publish"


def record(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "timestamp": "2022-01-14T10:00:00Z",
        "service": "ARC-CE",
        "hostname": "ce.example.org",
        "metric": "org.nordugrid.ARC-CE-submit",
        "status": "OK",
        "monitoring_host": "mon.example.org",
        "summary": "OK - job submitted",
        "message": "long output",
        "actual_data": "time=0.05s;;;0;10",
        "tags": {"endpoint_group": "SITE-A", "roc": None},
    }
    return {**base, **changes}


def avro(raw: dict[str, Any]) -> str:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, METRIC_DATA_SCHEMA, raw)
    return base64.b64encode(buffer.getvalue()).decode()


def stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(MetricResult)) or 0


def test_a_batch_stores_its_good_records_once_and_refuses_the_bad_ones(
    client: TestClient, federation: Federation, session: Session
) -> None:
    batch = [
        record(),
        record(timestamp="2022-01-14 10:05:00", metric="m2"),
        record(timestamp="2022-01-14T10:10:00Z"),
        record(status="BROKEN", metric="m3"),
        record(tags={"roc": 5}, metric="m4", extra="x"),
        "not a record",
        record(monitoring_host=None, summary=None, message=None, actual_data=None, tags=None),
    ]
    response = client.post(
        "/api/monitoring/metric-data", json=batch, headers=federation.operator.headers
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert [(s["index"], s["new"]) for s in answer["stored"]] == [(0, True), (2, True), (6, True)]
    refused = {r["index"]: r["errors"] for r in answer["refused"]}
    assert sorted(refused) == [1, 3, 4, 5]
    assert refused[1] == [
        {
            "field": "timestamp",
            "message": "expected a UTC timestamp YYYY-MM-DDThh:mm:ssZ, got '2022-01-14 10:05:00'",
        }
    ]
    assert refused[3][0]["field"] == "status"
    assert "unknown state 'BROKEN'" in refused[3][0]["message"]
    assert [e["field"] for e in refused[4]] == ["extra", "tags"]
    assert refused[5] == [{"field": "", "message": "expected an object, got str"}]
    assert stored(session) == 3
    row = session.get(MetricResult, answer["stored"][2]["id"])
    assert row is not None
    assert row.monitoring_host == ""
    assert row.tags is None

    again = client.post(
        "/api/monitoring/metric-data", json=batch, headers=federation.operator.headers
    ).json()
    assert [(s["index"], s["id"], s["new"]) for s in again["stored"]] == [
        (s["index"], s["id"], False) for s in answer["stored"]
    ]
    assert stored(session) == 3


def test_a_different_result_for_a_stored_identity_is_refused(
    client: TestClient, federation: Federation, session: Session
) -> None:
    headers = federation.operator.headers
    client.post("/api/monitoring/metric-data", json=[record()], headers=headers)
    answer = client.post(
        "/api/monitoring/metric-data",
        json=[record(status="CRITICAL"), record(status="WARNING", metric="other")],
        headers=headers,
    ).json()
    assert [s["index"] for s in answer["stored"]] == [1]
    assert answer["refused"][0]["index"] == 0
    assert answer["refused"][0]["errors"][0]["field"] == "status"
    assert "already stored" in answer["refused"][0]["errors"][0]["message"]
    first = session.scalars(select(MetricResult).where(MetricResult.metric == record()["metric"]))
    assert [r.status for r in first] == ["OK"]


def test_only_publishers_store_results(
    client: TestClient, federation: Federation, session: Session
) -> None:
    anonymous = client.post("/api/monitoring/metric-data", json=[record()])
    assert anonymous.status_code == 401
    member = client.post(
        "/api/monitoring/metric-data", json=[record()], headers=federation.member.headers
    )
    assert member.status_code == 403
    assert member.json()["detail"] == "member@fedcore.test may not monitoring.metric_data.publish"
    assert stored(session) == 0


def _publisher_token(client: TestClient, session: Session, settings: Settings) -> str:
    svc = make_client(session, settings, grants=["client_credentials"], scopes="openid")
    clients.set_service_entitlements(
        session=session,
        actor=principal_for(settings.admin_subject, settings.admin_subject),
        client_id=svc.client_id,
        entitlements=[PUBLISHER_ENTITLEMENT],
    )
    session.commit()
    response = client.post(
        "/oidc/token", data={"grant_type": "client_credentials", "scope": "openid"}, auth=svc.auth
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_a_publisher_service_account_publishes_avro_through_ams(
    client: TestClient, federation: Federation, session: Session, settings: Settings
) -> None:
    token = _publisher_token(client, session, settings)
    messages = {
        "messages": [
            {"attributes": {"type": "metric_data", "partition_date": "2022-01-14"}, "data": avro(r)}
            for r in (record(), record(metric="m2", actual_data=None, tags=None))
        ]
        + [
            {"attributes": {}, "data": "%%%"},
            {"attributes": {}, "data": base64.b64encode(b"\x02\x04").decode()},
            {"attributes": {}, "data": avro(record(metric="m5", timestamp="yesterday"))},
        ]
    }
    response = client.post(AMS, params={"key": token}, json=messages)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert len(answer["messageIds"]) == 2
    assert [(r["index"], r["errors"][0]["field"]) for r in answer["refused"]] == [
        (2, "data"),
        (3, "data"),
        (4, "timestamp"),
    ]
    assert answer["refused"][0]["errors"][0]["message"] == "not base64"
    assert stored(session) == 2
    row = session.get(MetricResult, int(answer["messageIds"][0]))
    assert row is not None
    assert (row.summary, row.tags) == (
        "OK - job submitted",
        {"endpoint_group": "SITE-A", "roc": None},
    )

    resent = client.post(AMS, headers={"x-api-key": token}, json=messages).json()
    assert resent["messageIds"] == answer["messageIds"]
    assert stored(session) == 2


def test_ams_publish_needs_a_publisher(client: TestClient, federation: Federation) -> None:
    body = {"messages": [{"data": avro(record())}]}
    assert client.post(AMS, json=body).status_code == 401
    refused = client.post(AMS, params={"key": federation.member.token}, json=body)
    assert refused.status_code == 403
    assert client.post(AMS, params={"key": "fct_forged"}, json=body).status_code == 401


def test_a_batch_carries_at_most_ten_thousand_records(
    client: TestClient, federation: Federation, session: Session
) -> None:
    token = federation.operator.token
    too_many = client.post(
        "/api/monitoring/metric-data",
        json=[record()] * 10_001,
        headers=federation.operator.headers,
    )
    assert too_many.status_code == 422
    assert too_many.json()["errors"] == [
        {
            "field": "records",
            "message": "at most 10000 records in one request, got 10001: send them in several",
        }
    ]
    body = {"messages": [{"data": avro(record())}] * 10_001}
    refused = client.post(AMS, params={"key": token}, json=body)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "messages"
    assert stored(session) == 0
    body["messages"] = body["messages"][:10_000]
    answer = client.post(AMS, params={"key": token}, json=body).json()
    assert len(answer["messageIds"]) == 10_000
    assert stored(session) == 1
