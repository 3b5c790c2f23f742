"""GOCDB's downtime rules as a REST client meets them: status codes, named fields, and nothing
changed by a refused request."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fedcore.core.db import isoformat_z, utcnow
from fedcore.registry import service as registry
from fedcore.registry.schemas import DowntimeCreate
from tests.registry.factories import Federation

API = "/api/registry"


def _body(federation: Federation, start: timedelta, end: timedelta, **extra: Any) -> dict[str, Any]:
    now = utcnow()
    return {
        "severity": "OUTAGE",
        "description": "storage migration",
        "start": isoformat_z(now + start),
        "end": isoformat_z(now + end),
        "services": [federation.service.id],
        **extra,
    }


def _declare(client: TestClient, federation: Federation, start: timedelta, end: timedelta) -> Any:
    return client.post(
        f"{API}/downtimes",
        json=_body(federation, start, end),
        headers=federation.site_admin.headers,
    )


def _ids(client: TestClient, **params: Any) -> list[int]:
    response = client.get(f"{API}/downtimes", params=params)
    assert response.status_code == 200, response.text
    return [d["id"] for d in response.json()["items"]]


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_declared_downtime_reads_back_in_utc(client: TestClient, federation: Federation) -> None:
    response = client.post(
        f"{API}/downtimes",
        json={
            **_body(federation, timedelta(days=2), timedelta(days=2, hours=3)),
            "start": "2099-01-01T12:00:00+02:00",
            "end": "2099-01-01T14:30:00+02:00",
            "endpoints": [federation.endpoint.id],
        },
        headers=federation.site_admin.headers,
    )
    assert response.status_code == 201, response.text
    downtime = response.json()
    assert (downtime["start"], downtime["end"]) == ("2099-01-01T10:00:00Z", "2099-01-01T12:30:00Z")
    assert downtime["classification"] == "SCHEDULED"
    assert downtime["primary_key"].endswith("G0")
    assert (downtime["site"], downtime["services"], downtime["endpoints"]) == (
        "TEST-SITE",
        [federation.service.id],
        [federation.endpoint.id],
    )
    assert downtime["declared_by"] == federation.site_admin.principal.subject
    assert downtime["inserted_at"].endswith("Z")


@pytest.mark.parametrize(
    ("start", "classification"),
    [(timedelta(hours=25), "SCHEDULED"), (timedelta(hours=23), "UNSCHEDULED")],
)
def test_classification_is_computed(
    client: TestClient, federation: Federation, start: timedelta, classification: str
) -> None:
    body = {**_body(federation, start, start + timedelta(hours=1)), "classification": "SCHEDULED"}
    refused = client.post(f"{API}/downtimes", json=body, headers=federation.site_admin.headers)
    assert refused.status_code == 422, "the classification is not the caller's to choose"
    response = _declare(client, federation, start, start + timedelta(hours=1))
    assert response.json()["classification"] == classification


@pytest.mark.parametrize(
    ("change", "status", "field", "message"),
    [
        ({"start": -timedelta(hours=49)}, 409, "start", "at most 48 hours in the past"),
        ({"end": timedelta(minutes=30)}, 422, "end", "the end must be after the start"),
        ({"services": "both sites"}, 409, "services", "must belong to one site"),
        ({"services": []}, 422, "services", "at least 1 item"),
        ({"services": [987654]}, 404, "services", "no services with id 987654"),
        ({"endpoints": "other"}, 409, "endpoints", "does not belong to an affected service"),
        ({"severity": "DOWN"}, 422, "severity", "'OUTAGE' or 'WARNING'"),
        ({"description": ""}, 422, "description", "at least 1 character"),
        ({"start": "naive"}, 422, "start", "a time zone is required"),
    ],
)
def test_refused_declarations_are_explained_and_change_nothing(
    client: TestClient,
    federation: Federation,
    change: dict[str, Any],
    status: int,
    field: str,
    message: str,
) -> None:
    body = _body(federation, timedelta(hours=1), timedelta(hours=2))
    for key, value in change.items():
        if isinstance(value, timedelta):
            body[key] = isoformat_z(utcnow() + value)
        elif value == "both sites":
            body[key] = [federation.service.id, federation.other_service.id]
        elif value == "other":
            body["services"] = [federation.other_service.id]
            body[key] = [federation.endpoint.id]
        elif value == "naive":
            body[key] = "2099-01-01T10:00:00"
        else:
            body[key] = value
    before = _ids(client)
    response = client.post(f"{API}/downtimes", json=body, headers=federation.operator.headers)
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["field"] == field
    assert message in response.json()["detail"]
    assert _ids(client) == before


def test_only_editors_of_the_site_declare(client: TestClient, federation: Federation) -> None:
    body = _body(federation, timedelta(hours=1), timedelta(hours=2))
    assert (
        client.post(f"{API}/downtimes", json=body, headers=federation.member.headers).status_code
        == 403
    )
    other = {**body, "services": [federation.other_service.id]}
    refused = client.post(f"{API}/downtimes", json=other, headers=federation.site_admin.headers)
    assert refused.status_code == 403, "a site role gives no rights at another site"
    assert (
        client.post(
            f"{API}/downtimes", json=body, headers=federation.ngi_manager.headers
        ).status_code
        == 201
    )


def test_a_downtime_cannot_be_lengthened_but_can_be_shortened(
    client: TestClient, federation: Federation
) -> None:
    downtime = _declare(client, federation, timedelta(hours=2), timedelta(hours=6)).json()
    url = f"{API}/downtimes/{downtime['id']}"
    longer = isoformat_z(_parse(downtime["end"]) + timedelta(hours=1))
    refused = client.patch(url, json={"end": longer}, headers=federation.site_admin.headers)
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "end"
    assert "declare a new one" in refused.json()["detail"]
    assert client.get(url).json() == downtime
    shorter = isoformat_z(_parse(downtime["end"]) - timedelta(hours=1))
    changed = client.patch(
        url, json={"end": shorter, "severity": "WARNING"}, headers=federation.site_admin.headers
    )
    assert changed.status_code == 200
    assert (changed.json()["end"], changed.json()["severity"]) == (shorter, "WARNING")


def test_scheduled_downtime_is_frozen_within_24_hours(
    client: TestClient, session: Session, federation: Federation
) -> None:
    declared_at = utcnow() - timedelta(days=2)
    downtime = registry.create_downtime(
        session=session,
        actor=federation.site_admin.principal,
        data=DowntimeCreate(
            severity="OUTAGE",
            description="planned two days ago",
            start=utcnow() + timedelta(hours=12),
            end=utcnow() + timedelta(hours=14),
            services=[federation.service.id],
        ),
        now=declared_at,
    )
    session.commit()
    url = f"{API}/downtimes/{downtime.id}"
    assert client.get(url).json()["classification"] == "SCHEDULED"
    edit = client.patch(url, json={"description": "x"}, headers=federation.site_admin.headers)
    assert edit.status_code == 409
    assert (
        edit.json()["detail"]
        == "a scheduled downtime cannot be edited within 24 hours of its start"
    )
    delete = client.delete(url, headers=federation.site_admin.headers)
    assert delete.status_code == 409
    assert "cannot be deleted within 24 hours" in delete.json()["detail"]
    assert client.get(url).json()["description"] == "planned two days ago"


def test_end_now_and_no_delete_once_started(client: TestClient, federation: Federation) -> None:
    ongoing = _declare(client, federation, -timedelta(hours=1), timedelta(hours=5)).json()
    url = f"{API}/downtimes/{ongoing['id']}"
    assert _ids(client, ongoing_at=isoformat_z(utcnow())) == [ongoing["id"]]
    refused = client.delete(url, headers=federation.site_admin.headers)
    assert refused.status_code == 409
    assert refused.json()["detail"] == "a downtime that has started cannot be deleted; end it"
    assert client.post(f"{url}/end", headers=federation.member.headers).status_code == 403
    ended = client.post(f"{url}/end", headers=federation.site_admin.headers)
    assert ended.status_code == 200
    left = _parse(ended.json()["end"]) - utcnow()
    assert timedelta(seconds=55) <= left <= timedelta(seconds=60)
    future = client.post(
        f"{API}/downtimes/{federation.downtime.id}/end", headers=federation.site_admin.headers
    )
    assert future.status_code == 409
    assert future.json()["detail"] == "only an ongoing downtime can be ended"


def test_downtime_filters(client: TestClient, session: Session, federation: Federation) -> None:
    registry.create_downtime(
        session=session,
        actor=federation.operator.principal,
        data=DowntimeCreate(
            severity="WARNING",
            description="other site",
            start=utcnow() + timedelta(hours=1),
            end=utcnow() + timedelta(hours=2),
            services=[federation.other_service.id],
        ),
    )
    session.commit()
    everything = _ids(client)
    assert len(everything) == 2
    other = [i for i in everything if i != federation.downtime.id]
    assert _ids(client, site="TEST-SITE") == [federation.downtime.id]
    assert _ids(client, site="OTHER%") == other
    assert _ids(client, ngi="NGI_OTHER") == other
    assert _ids(client, severity="OUTAGE") == [federation.downtime.id]
    assert _ids(client, classification="UNSCHEDULED") == other
    assert _ids(client, window_start=isoformat_z(utcnow() + timedelta(days=1))) == [
        federation.downtime.id
    ]
    assert _ids(client, window_end=isoformat_z(utcnow() + timedelta(days=1))) == other
    bad = client.get(f"{API}/downtimes", params={"severity": "DOWN"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "severity"
