"""A new profile version is refused when a report using the profile would no longer compute
with it (service/profiles.py), from the day it is valid, and only while it is valid."""

from __future__ import annotations

import copy
from typing import Any

from fastapi.testclient import TestClient

from tests.monitoring import test_profiles_api
from tests.monitoring.test_profiles_api import _report, post
from tests.registry.factories import Federation

AGGREGATION = "/api/monitoring/aggregation-profiles"
REPORTS = "/api/monitoring/reports"


profiles = test_profiles_api.profiles


def test_a_profile_version_a_report_cannot_compute_with_is_refused(
    client: TestClient, federation: Federation, profiles: dict[str, Any]
) -> None:
    for kind, path in (
        ("operations", "/api/monitoring/operations-profiles"),
        ("metric", "/api/monitoring/metric-profiles"),
        ("aggregation", AGGREGATION),
    ):
        body = {
            "name": profiles[kind]["name"],
            "valid_from": "2022-01-01",
            "document": profiles[kind],
        }
        assert post(client, path, body, federation).status_code == 201
    assert post(client, REPORTS, _report(profiles), federation).status_code == 201
    path = f"{AGGREGATION}/{profiles['aggregation']['name']}"
    xor = copy.deepcopy(profiles["aggregation"])
    xor["metric_operation"] = "XOR"

    refused = client.put(
        path,
        json={"valid_from": "2022-02-01", "document": xor},
        headers=federation.operator.headers,
    )
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "document"
    assert error["message"].startswith(
        "report 'SLA' (its version from 2022-01-01) would not compute on 2022-02-01: profiles: "
    )
    assert "operation 'XOR' is not in operations profile" in error["message"]
    assert client.get(path).json()["versions"] == ["2022-01-01"]

    # A report version from March on that no longer uses the profile: February still does.
    other = copy.deepcopy(profiles["aggregation"])
    other["name"] = "other"
    body = {"name": "other", "valid_from": "2022-01-01", "document": other}
    assert post(client, AGGREGATION, body, federation).status_code == 201
    named = [
        {**ref, "name": "other"} if ref["type"] == "aggregation" else ref
        for ref in _report(profiles)["profiles"]
    ]
    moved = client.patch(
        f"{REPORTS}/SLA",
        json={"valid_from": "2022-03-01", "profiles": named},
        headers=federation.operator.headers,
    )
    assert moved.status_code == 200, moved.text
    still = client.put(
        path,
        json={"valid_from": "2022-02-01", "document": xor},
        headers=federation.operator.headers,
    )
    assert still.status_code == 422
    accepted = client.put(
        path,
        json={"valid_from": "2022-03-01", "document": xor},
        headers=federation.operator.headers,
    )
    assert accepted.status_code == 200, accepted.text
