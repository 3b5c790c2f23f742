"""Recomputations through ``/api/monitoring/recomputations``: field bounds, and the requester's
e-mail address shown only to operators and to the requester."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.monitoring.argo_data import load_case, make_report
from tests.registry.factories import Federation

PATH = "/api/monitoring/recomputations"


def request(**changes: Any) -> dict[str, Any]:
    return {
        "report": "SLA",
        "start_time": "2022-01-14T10:00:00Z",
        "end_time": "2022-01-14T12:00:00Z",
        "reason": "probe outage",
        "requester_name": "Ann",
        "requester_email": "ann@example.org",
        **changes,
    }


def test_reason_and_requester_are_bounded(
    client: TestClient, federation: Federation, session: Session, shared_dir: Path
) -> None:
    make_report(session, federation.operator.principal, load_case(shared_dir), "SLA", "NGI")
    headers = federation.member.headers
    for field, longest in (("reason", 2000), ("requester_name", 255), ("requester_email", 255)):
        too_long = client.post(PATH, json=request(**{field: "x" * (longest + 1)}), headers=headers)
        assert too_long.status_code == 422, field
        assert too_long.json()["errors"] == [
            {"field": field, "message": f"String should have at most {longest} characters"}
        ]
        longest_ok = client.post(PATH, json=request(**{field: "x" * longest}), headers=headers)
        assert longest_ok.status_code == 201, longest_ok.text


def test_the_requester_email_is_shown_to_operators_and_the_requester(
    client: TestClient, federation: Federation, session: Session, shared_dir: Path
) -> None:
    make_report(session, federation.operator.principal, load_case(shared_dir), "SLA", "NGI")
    created = client.post(PATH, json=request(), headers=federation.member.headers)
    assert created.status_code == 201, created.text
    assert created.json()["requester_email"] == "ann@example.org"
    one = f"{PATH}/{created.json()['id']}"

    def emails(headers: dict[str, str]) -> tuple[str, str]:
        (listed,) = client.get(PATH, headers=headers).json()["items"]
        return listed["requester_email"], client.get(one, headers=headers).json()["requester_email"]

    assert emails(federation.member.headers) == ("ann@example.org", "ann@example.org")
    assert emails(federation.operator.headers) == ("ann@example.org", "ann@example.org")
    assert emails(federation.site_admin.headers) == ("", "")
    assert emails({}) == ("", "")
    assert client.get(one).json()["requester_name"] == "Ann"
    page = "/monitoring/reports/SLA/recomputations"
    assert "Ann" in client.get(page).text
    assert "ann@example.org" not in client.get(page).text
