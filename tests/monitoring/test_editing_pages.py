"""Monitoring's editing pages, through the web app, on both databases: profiles, report
definitions and recomputations created and changed by an operator and visible afterwards
through the REST API; other people refused; bad JSON and documents the engine refuses shown
next to their field, answered 422, with nothing stored."""

from __future__ import annotations

import copy
import json
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import html

from tests.monitoring.argo_data import load_case
from tests.registry.factories import Federation
from tests.support.pages import csrf_token, field_error, sign_in

HTML = {"accept": "text/html"}
OPS = "/api/monitoring/operations-profiles"


@pytest.fixture(scope="module")
def case(shared_dir: Path) -> dict[str, Any]:
    return load_case(shared_dir)


@pytest.fixture
def profiles(case: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(case["profiles"])


def create_profile(
    client: TestClient, csrf: str, kind: str, document: dict[str, Any], text: str = ""
) -> Any:
    """Post the create form, with ``document`` as JSON (or ``text`` as it is)."""
    data = {
        "csrf": csrf,
        "kind": kind,
        "name": document["name"],
        "valid_from": "2022-01-01",
        "document": text or json.dumps(document),
    }
    return client.post("/monitoring/profiles/", data=data, headers=HTML, follow_redirects=False)


def create_all_profiles(client: TestClient, csrf: str, profiles: dict[str, Any]) -> None:
    for kind, document in profiles.items():
        response = create_profile(client, csrf, kind, document)
        assert response.status_code == 303, response.text


def report_form(case: dict[str, Any], **changes: str) -> dict[str, str]:
    report, profiles = case["report"], case["profiles"]
    return {
        "name": "SLA",
        "valid_from": "2022-01-01",
        "description": report["info"]["description"],
        "topology_schema": json.dumps(report["topology_schema"]),
        "filter_tags": json.dumps(report["filter_tags"]),
        **{f"profile_{kind}": document["name"] for kind, document in profiles.items()},
        "availability": "80",
        "reliability": "85",
        "weights": "HEPSPEC06",
        "service_group_supergroup": "",
        **changes,
    }


def text(element: Any) -> str:
    return " ".join(" ".join(element.itertext()).split())


# --- profiles -------------------------------------------------------------------------------


def test_an_operator_creates_a_profile_and_adds_versions(
    client: TestClient, federation: Federation, profiles: dict[str, Any]
) -> None:
    csrf = sign_in(client, federation.operator)
    ops = profiles["operations"]
    response = create_profile(client, csrf, "operations", ops)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/monitoring/profiles/operations/egi_ops"

    page = client.get("/monitoring/profiles/operations/egi_ops", headers=HTML)
    assert page.status_code == 200
    document = html.fromstring(page.text)
    (and_table,) = document.xpath('//table[@data-operation="AND"]')
    header = [text(th) for th in and_table.xpath(".//thead/tr/th")][1:]
    assert header == ops["available_states"]
    (ok_warning,) = and_table.xpath('.//tr[th="OK"]/td[2]')
    (warning_ok,) = and_table.xpath('.//tr[th="WARNING"]/td[1]')
    assert text(ok_warning) == text(warning_ok) == "WARNING"
    assert '"available_states"' in text(document.xpath("//pre")[0])

    changed = copy.deepcopy(ops)
    changed["defaults"]["unknown"] = "MISSING"
    response = client.post(
        "/monitoring/profiles/operations/egi_ops/versions",
        data={"csrf": csrf, "valid_from": "2022-02-01"},
        files={"document_file": ("egi_ops.json", json.dumps(changed), "application/json")},
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"].endswith("?version=2022-02-01")

    stored = client.get(f"{OPS}/egi_ops?day=2022-02-01").json()
    assert stored["versions"] == ["2022-01-01", "2022-02-01"]
    assert stored["document"]["defaults"]["unknown"] == "MISSING"
    assert client.get(f"{OPS}/egi_ops?day=2022-01-15").json()["document"] == ops

    listing = html.fromstring(client.get("/monitoring/profiles/", headers=HTML).text)
    (row,) = listing.xpath('//tr[td/a="egi_ops"]')
    assert row.xpath("td[3]/a/text()") == ["2022-01-01", "2022-02-01"]
    old = client.get("/monitoring/profiles/operations/egi_ops?version=2022-01-01", headers=HTML)
    assert "valid from 2022-01-01" in text(html.fromstring(old.text))


def test_refused_profiles_are_shown_next_to_the_document_and_not_stored(
    client: TestClient, federation: Federation, profiles: dict[str, Any]
) -> None:
    csrf = sign_in(client, federation.operator)
    ops = profiles["operations"]

    response = create_profile(client, csrf, "operations", ops, '{"name": "egi_ops",')
    assert response.status_code == 422
    assert field_error(response, "document").startswith("not JSON: Expecting")

    unknown = copy.deepcopy(ops)
    unknown["operations"][0]["truth_table"][2]["b"] = "BROKEN"
    response = create_profile(client, csrf, "operations", unknown)
    assert response.status_code == 422
    assert unescape(field_error(response, "document")) == (
        "operations[0].truth_table[2].b: unknown state 'BROKEN' (states: OK, WARNING, "
        "UNKNOWN, MISSING, CRITICAL, DOWNTIME)"
    )
    assert "BROKEN" in html.fromstring(response.text).xpath('//textarea[@id="f-document"]')[0].text

    not_associative = copy.deepcopy(ops)
    for row in not_associative["operations"][0]["truth_table"]:
        if {row["a"], row["b"]} == {"OK", "WARNING"}:
            row["x"] = "CRITICAL"
    response = create_profile(client, csrf, "operations", not_associative)
    assert response.status_code == 422
    assert field_error(response, "document").startswith("operations[0]: AND is not associative")

    response = create_profile(client, csrf, "", ops)
    assert response.status_code == 422
    assert field_error(response, "kind") == "choose the kind of profile"
    assert client.get(OPS).json()["items"] == []

    create_all_profiles(client, csrf, {"operations": ops})
    response = client.post(
        "/monitoring/profiles/operations/egi_ops/versions",
        data={"csrf": csrf, "valid_from": "2022-03-01", "document": json.dumps(unknown)},
        headers=HTML,
    )
    assert response.status_code == 422
    assert field_error(response, "document").startswith("operations[0].truth_table[2].b:")
    response = client.post(
        "/monitoring/profiles/operations/egi_ops/versions",
        data={"csrf": csrf, "valid_from": "2022-03-01", "document": json.dumps(ops)},
        files={"document_file": ("ops.json", json.dumps(not_associative), "application/json")},
        headers=HTML,
    )
    assert response.status_code == 422
    assert "AND is not associative" in field_error(response, "document")
    shown = html.fromstring(response.text).xpath('//textarea[@id="f-document"]')[0].text
    assert json.loads(shown) == not_associative
    assert client.get(f"{OPS}/egi_ops").json()["versions"] == ["2022-01-01"]


def test_only_operators_edit_profiles(
    client: TestClient, federation: Federation, profiles: dict[str, Any]
) -> None:
    anonymous = client.get("/monitoring/profiles/", headers=HTML)
    assert anonymous.status_code == 200
    assert 'action="/monitoring/profiles/"' not in anonymous.text
    response = create_profile(client, csrf_token(client), "operations", profiles["operations"])
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/monitoring/profiles/"
    csrf = sign_in(client, federation.member)
    assert 'action="/monitoring/profiles/"' not in client.get("/monitoring/profiles/").text
    response = create_profile(client, csrf, "operations", profiles["operations"])
    assert response.status_code == 403
    assert client.get(OPS).json()["items"] == []


# --- reports --------------------------------------------------------------------------------


def test_an_operator_creates_a_report_and_adds_a_version(
    client: TestClient, federation: Federation, case: dict[str, Any]
) -> None:
    csrf = sign_in(client, federation.operator)
    create_all_profiles(client, csrf, case["profiles"])
    form = html.fromstring(client.get("/monitoring/reports/", headers=HTML).text)
    options = form.xpath('//select[@id="f-profile_metric"]/option/@value')
    assert options == ["", case["profiles"]["metric"]["name"]]

    response = client.post(
        "/monitoring/reports/",
        data={"csrf": csrf, **report_form(case)},
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/monitoring/reports/SLA/versions"
    stored = client.get("/api/monitoring/reports/SLA?day=2022-01-01").json()
    assert stored["topology_schema"] == case["report"]["topology_schema"]
    assert stored["filter_tags"] == case["report"]["filter_tags"]
    assert stored["weights"] == {"property": "HEPSPEC06"}
    assert {p["type"]: p["name"] for p in stored["profiles"]} == {
        kind: document["name"] for kind, document in case["profiles"].items()
    }

    page = html.fromstring(client.get("/monitoring/reports/SLA/versions", headers=HTML).text)
    assert page.xpath('//input[@id="f-weights"]/@value') == ["HEPSPEC06"]
    changes = report_form(
        case,
        valid_from="2022-02-01",
        availability="90",
        profile_thresholds="",
        weights="",
        disabled="on",
    )
    response = client.post(
        "/monitoring/reports/SLA/versions",
        data={"csrf": csrf, **changes},
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    new = client.get("/api/monitoring/reports/SLA?day=2022-02-01").json()
    assert new["versions"] == ["2022-01-01", "2022-02-01"]
    assert new["thresholds"] == {**stored["thresholds"], "availability": 90}
    assert [p["type"] for p in new["profiles"]] == ["operations", "metric", "aggregation"]
    assert new["weights"] is None
    assert new["disabled"] is True
    assert client.get("/api/monitoring/reports/SLA?day=2022-01-20").json()["disabled"] is False


def test_refused_reports_are_shown_next_to_the_field_and_not_stored(
    client: TestClient, federation: Federation, case: dict[str, Any]
) -> None:
    csrf = sign_in(client, federation.operator)
    create_all_profiles(client, csrf, case["profiles"])

    def post(**changes: str) -> Any:
        return client.post(
            "/monitoring/reports/", data={"csrf": csrf, **report_form(case, **changes)}
        )

    response = post(topology_schema='{"group": ')
    assert response.status_code == 422
    assert field_error(response, "topology_schema").startswith("not JSON")
    response = post(topology_schema='{"group": {"type": "NGI", "group": {"type": "HOSTS"}}}')
    assert response.status_code == 422
    assert "HOSTS" in field_error(response, "topology_schema")
    response = post(profile_metric="")
    assert response.status_code == 422
    assert field_error(response, "profiles") == "a report needs one metric profile"
    response = post(valid_from="2021-12-31")
    assert response.status_code == 422
    assert "no version valid on 2021-12-31" in field_error(response, "profile_operations")
    response = post(availability="high")
    assert response.status_code == 422
    assert "number" in field_error(response, "availability")
    assert client.get("/api/monitoring/reports").json()["items"] == []

    member = sign_in(client, federation.member)
    response = client.post("/monitoring/reports/", data={"csrf": member, **report_form(case)})
    assert response.status_code == 403
    assert client.get("/api/monitoring/reports").json()["items"] == []


# --- recomputations -------------------------------------------------------------------------


def test_recomputations_are_requested_and_decided_along_the_workflow(
    client: TestClient, federation: Federation, case: dict[str, Any]
) -> None:
    csrf = sign_in(client, federation.operator)
    create_all_profiles(client, csrf, case["profiles"])
    client.post("/monitoring/reports/", data={"csrf": csrf, **report_form(case)})
    path = "/monitoring/reports/SLA/recomputations"
    request = {
        "csrf": csrf,
        "start_time": "2022-01-14T10:00",
        "end_time": "2022-01-14T12:00",
        "reason": "probe outage",
        "exclude": "SITE-A, SITE-B",
        "exclude_monitoring_source": "[]",
        "exclude_metrics": "",
        "applied_status_changes": '[{"group": "SITE-C", "state": "BROKEN"}]',
    }
    response = client.post(path, data=request, headers=HTML)
    assert response.status_code == 422
    assert "unknown state 'BROKEN'" in unescape(field_error(response, "applied_status_changes"))
    assert client.get("/api/monitoring/recomputations").json()["items"] == []

    request["applied_status_changes"] = '[{"group": "SITE-C", "state": "OK"}]'
    response = client.post(path, data=request, headers=HTML, follow_redirects=False)
    assert response.status_code == 303, response.text
    (stored,) = client.get("/api/monitoring/recomputations?report=SLA").json()["items"]
    assert stored["start_time"] == "2022-01-14T10:00:00Z"
    assert stored["exclude"] == ["SITE-A", "SITE-B"]
    assert stored["applied_status_changes"] == [{"group": "SITE-C", "state": "OK"}]
    assert stored["status"] == "pending"

    def buttons() -> list[str]:
        page = html.fromstring(client.get(path, headers=HTML).text)
        return page.xpath(
            f'//tr[@data-recomputation="{stored["id"]}"]//input[@name="status"]/@value'
        )

    def decide(status: str, csrf: str = csrf) -> Any:
        return client.post(
            f"/monitoring/recomputations/{stored['id']}/status",
            data={"csrf": csrf, "status": status},
            headers=HTML,
            follow_redirects=False,
        )

    def status() -> str:
        found: str = client.get(f"/api/monitoring/recomputations/{stored['id']}").json()["status"]
        return found

    assert buttons() == ["approved", "rejected"]
    refused = decide("done")
    assert refused.status_code == 409
    assert "a pending recomputation can become approved or rejected, not done" in unescape(
        refused.text
    )
    response = decide("approved")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == path
    assert status() == "approved"
    assert buttons() == ["rejected"]

    member = sign_in(client, federation.member)
    assert decide("rejected", member).status_code == 403
    asked = client.post(path, data={**request, "csrf": member}, headers=HTML)
    assert asked.status_code == 200, asked.text
    statuses = [r["status"] for r in client.get("/api/monitoring/recomputations").json()["items"]]
    assert statuses == ["approved", "pending"]
    page = client.get(path, headers=HTML).text
    assert 'name="status"' not in page
    assert "Request the recomputation" in page
