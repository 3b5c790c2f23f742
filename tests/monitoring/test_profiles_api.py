"""Profiles and reports through /api/monitoring: operators write, anyone reads; documents the
engine refuses get a 422 naming the place and the reason; versions by date."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.registry.factories import Federation

OPS = "/api/monitoring/operations-profiles"


@pytest.fixture(scope="module")
def profiles(shared_dir: Path) -> dict[str, Any]:
    case = json.loads((shared_dir / "conformance/argo/e2e-2022-01-14.json").read_text())
    loaded: dict[str, Any] = case["profiles"]
    return loaded


def post(client: TestClient, path: str, body: dict[str, Any], fed: Federation) -> Any:
    return client.post(path, json=body, headers=fed.operator.headers)


def test_operations_profiles_are_checked_by_the_engine(
    client: TestClient, federation: Federation, profiles: dict[str, Any]
) -> None:
    ops = profiles["operations"]
    unknown = copy.deepcopy(ops)
    unknown["operations"][0]["truth_table"][2]["b"] = "BROKEN"
    response = post(
        client, OPS, {"name": "x", "valid_from": "2022-01-01", "document": unknown}, federation
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "document.operations[0].truth_table[2].b",
            "message": "unknown state 'BROKEN' (states: OK, WARNING, UNKNOWN, MISSING, "
            "CRITICAL, DOWNTIME)",
        }
    ]
    not_associative = copy.deepcopy(ops)
    for row in not_associative["operations"][0]["truth_table"]:
        if {row["a"], row["b"]} == {"OK", "WARNING"}:
            row["x"] = "CRITICAL"
    response = post(
        client,
        OPS,
        {"name": "x", "valid_from": "2022-01-01", "document": not_associative},
        federation,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "document.operations[0]"
    assert "AND is not associative" in response.json()["detail"]
    incomplete = copy.deepcopy(ops)
    incomplete["operations"][1]["truth_table"].pop()
    response = post(
        client, OPS, {"name": "x", "valid_from": "2022-01-01", "document": incomplete}, federation
    )
    assert response.status_code == 422
    assert "OR is incomplete: no result for (DOWNTIME, DOWNTIME)" in response.json()["detail"]
    assert client.get(OPS).json()["items"] == []


def test_profiles_are_versioned_by_date_and_written_by_operators(
    client: TestClient, federation: Federation, profiles: dict[str, Any]
) -> None:
    metric = profiles["metric"]
    path = "/api/monitoring/metric-profiles"
    body = {"name": "CRITICAL", "valid_from": "2022-01-01", "document": metric}
    assert client.post(path, json=body).status_code == 401
    assert client.post(path, json=body, headers=federation.member.headers).status_code == 403
    created = post(client, path, body, federation)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"{path}/CRITICAL"
    assert post(client, path, body, federation).status_code == 409
    newer = copy.deepcopy(metric)
    newer["services"].append({"service": "Service_NEW", "metrics": ["Metric_NEW"]})
    updated = client.put(
        f"{path}/CRITICAL",
        json={"valid_from": "2022-02-01", "document": newer},
        headers=federation.operator.headers,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["versions"] == ["2022-01-01", "2022-02-01"]
    january = client.get(f"{path}/CRITICAL", params={"day": "2022-01-31"}).json()
    assert (january["valid_from"], january["document"]) == ("2022-01-01", metric)
    february = client.get(f"{path}/CRITICAL", params={"day": "2022-02-01"}).json()
    assert february["document"] == newer
    too_early = client.get(f"{path}/CRITICAL", params={"day": "2021-12-31"})
    assert too_early.status_code == 404
    assert client.get(f"{path}/NOPE").status_code == 404
    bad = post(
        client, path, {"name": "bad", "valid_from": "2022-01-01", "document": {}}, federation
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"field": "document.services", "message": "missing"}]


def _report(named: dict[str, Any], **changes: Any) -> dict[str, Any]:
    report = {
        "name": "SLA",
        "valid_from": "2022-01-01",
        "topology_schema": {"group": {"type": "NGI", "group": {"type": "SITES"}}},
        "filter_tags": [
            {"name": "production", "value": "1", "context": "argo.endpoint.filter.tags"}
        ],
        "profiles": [
            {"type": kind, "name": named[kind]["name"]}
            for kind in ("operations", "metric", "aggregation")
        ],
        "weights": {"property": "HEPSPEC06"},
    }
    return {**report, **changes}


def test_reports_name_existing_profiles_that_fit_together(
    client: TestClient, federation: Federation, profiles: dict[str, Any]
) -> None:
    for kind, path in (
        ("operations", OPS),
        ("metric", "/api/monitoring/metric-profiles"),
        ("aggregation", "/api/monitoring/aggregation-profiles"),
    ):
        body = {
            "name": profiles[kind]["name"],
            "valid_from": "2022-01-01",
            "document": profiles[kind],
        }
        assert post(client, path, body, federation).status_code == 201
    reports = "/api/monitoring/reports"
    named = _report(profiles)["profiles"]
    response = post(client, reports, _report(profiles, profiles=named[1:]), federation)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "profiles", "message": "a report needs one operations profile"}
    ]
    missing = [{"type": "operations", "name": "nope"}, *named[1:]]
    response = post(client, reports, _report(profiles, profiles=missing), federation)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "profiles[0]", "message": "no operations profile named 'nope'"}
    ]
    wrong_type = _report(
        profiles, topology_schema={"group": {"type": "NGI", "group": {"type": "CLOUDS"}}}
    )
    response = post(client, reports, wrong_type, federation)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "topology_schema.group.group.type"
    bad_tag = _report(profiles, filter_tags=[{"name": "x", "value": "1", "context": "argo.nope"}])
    response = post(client, reports, bad_tag, federation)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "filter_tags[0].context"

    aggregation = copy.deepcopy(profiles["aggregation"])
    aggregation["metric_operation"] = "XOR"
    client.put(
        f"/api/monitoring/aggregation-profiles/{profiles['aggregation']['name']}",
        json={"valid_from": "2022-03-01", "document": aggregation},
        headers=federation.operator.headers,
    )
    later = post(client, reports, _report(profiles, valid_from="2022-03-01"), federation)
    assert later.status_code == 422
    assert "operation 'XOR' is not in operations profile 'egi_ops'" in later.json()["detail"]

    created = post(client, reports, _report(profiles), federation)
    assert created.status_code == 201, created.text
    report = client.get(f"{reports}/SLA").json()
    assert report["weights"] == {"property": "HEPSPEC06"}
    assert report["thresholds"]["availability"] == 80
    renamed = client.patch(
        f"{reports}/SLA",
        json={"valid_from": "2022-02-01", "description": "from February"},
        headers=federation.operator.headers,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["versions"] == ["2022-01-01", "2022-02-01"]
    assert client.get(f"{reports}/SLA", params={"day": "2022-01-15"}).json()["description"] == ""
    bad_change = client.post(
        "/api/monitoring/recomputations",
        json={
            "report": "SLA",
            "start_time": "2022-01-14T00:00:00Z",
            "end_time": "2022-01-14T06:00:00Z",
            "applied_status_changes": [{"metric": "Metric_A", "state": "BROKEN"}],
        },
        headers=federation.operator.headers,
    )
    assert bad_change.status_code == 422
    assert bad_change.json()["errors"][0]["field"] == "applied_status_changes[0].state"
    assert "unknown state 'BROKEN'" in bad_change.json()["detail"]
    reversed_period = client.post(
        "/api/monitoring/recomputations",
        json={
            "report": "SLA",
            "start_time": "2022-01-14T06:00:00Z",
            "end_time": "2022-01-14T00:00:00Z",
        },
        headers=federation.operator.headers,
    )
    assert reversed_period.json()["errors"] == [
        {"field": "end_time", "message": "before start_time"}
    ]
    in_use = client.delete(OPS + "/egi_ops", headers=federation.operator.headers)
    assert in_use.status_code == 409
    assert client.delete(f"{reports}/SLA", headers=federation.member.headers).status_code == 403
    assert client.delete(f"{reports}/SLA", headers=federation.operator.headers).status_code == 204
    assert client.get(reports).json()["items"] == []
