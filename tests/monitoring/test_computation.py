"""ARGO's end-to-end day (``e2e-2022-01-14.json``) through the real path: the case's topology
and downtimes in the registry (built with the registry's service functions), its profiles,
report and recomputation through the REST API, its metric results posted over HTTP (the
previous day's as Avro through the AMS publish route), the day computed by the API, and the
stored timelines and daily A/R equal to the case's expected values. Also the intra-day rule
(no downtime beyond now) and the job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.core.db import Base, make_engine, make_sessionmaker, session_scope
from fedcore.core.security import Principal
from fedcore.monitoring import pipeline, service
from fedcore.monitoring.enums import ProfileKind
from fedcore.monitoring.models import ComputedDay, DailyAR, StatusTimeline
from fedcore.monitoring.schemas import ProfileCreate, ProfileRef, ReportCreate
from fedcore.monitoring.service import computation
from fedcore.registry import service as registry
from fedcore.registry.schemas import (
    DowntimeCreate,
    NgiCreate,
    ScopeCreate,
    ServiceCreate,
    ServiceTypeCreate,
    SiteCreate,
)
from tests.monitoring.test_ingestion import AMS, avro
from tests.monitoring.test_replay import assert_matches
from tests.registry.factories import Federation

DAY = date(2022, 1, 14)
PROFILE_PATHS = {
    "operations": "operations-profiles",
    "metric": "metric-profiles",
    "aggregation": "aggregation-profiles",
    "thresholds": "threshold-profiles",
}


@pytest.fixture(scope="module")
def case(shared_dir: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (shared_dir / "conformance/argo/e2e-2022-01-14.json").read_text()
    )
    return loaded


def build_registry(session: Session, operator: Principal, case: dict[str, Any]) -> None:
    """The case's topology: its PROJECT supergroups as NGIs, its SITES as sites (scopes from
    the group rows' tags), one service per endpoint row; its downtimes as scheduled outages
    declared days ahead."""
    topology = case["topology"]
    known = {scope.name for scope in registry.list_scopes(session=session)}
    for name in sorted({"EGI", "SLA", "wlcg", "tier2", "alice", "atlas"} - known):
        registry.create_scope(session=session, actor=operator, data=ScopeCreate(name=name))
    for ngi in dict.fromkeys(row["group"] for row in topology["groups"]):
        registry.create_ngi(session=session, actor=operator, data=NgiCreate(name=ngi))
    for row in {row["subgroup"]: row for row in topology["groups"]}.values():
        registry.create_site(
            session=session,
            actor=operator,
            data=SiteCreate(
                short_name=row["subgroup"],
                ngi=row["group"],
                country_code="CH",
                scopes=[s.strip() for s in row["tags"]["scope"].split(",")],
            ),
        )
    for name in dict.fromkeys(row["service"] for row in topology["endpoints"]):
        registry.create_service_type(
            session=session, actor=operator, data=ServiceTypeCreate(name=name, description=name)
        )
    services = {}
    for row in topology["endpoints"]:
        services[row["hostname"], row["service"]] = registry.create_service(
            session=session,
            actor=operator,
            data=ServiceCreate(
                hostname=row["hostname"],
                service_type=row["service"],
                site=row["group"],
                production=row["tags"]["production"] == "1",
                monitored=row["tags"]["monitored"] == "1",
                scopes=[s.strip() for s in row["tags"]["scope"].split(",")],
            ),
        )
    for downtime in case["downtimes"]:
        registry.create_downtime(
            session=session,
            actor=operator,
            data=DowntimeCreate(
                severity="OUTAGE",
                description="case downtime",
                start=downtime["start_time"],
                end=downtime["end_time"],
                services=[services[downtime["hostname"], downtime["service"]].id],
            ),
            now=datetime(2022, 1, 10, tzinfo=UTC),
        )
    session.commit()


def load_through_api(client: TestClient, headers: dict[str, str], case: dict[str, Any]) -> None:
    for kind, document in case["profiles"].items():
        response = client.post(
            f"/api/monitoring/{PROFILE_PATHS[kind]}",
            json={"name": document["name"], "valid_from": "2022-01-01", "document": document},
            headers=headers,
        )
        assert response.status_code == 201, response.text
    report = case["report"]
    response = client.post(
        "/api/monitoring/reports",
        json={
            "name": report["info"]["name"],
            "valid_from": "2022-01-01",
            "description": report["info"]["description"],
            "topology_schema": report["topology_schema"],
            "filter_tags": report["filter_tags"],
            "computations": report["computations"],
            "thresholds": report["thresholds"],
            "profiles": [
                {"type": kind, "name": document["name"]}
                for kind, document in case["profiles"].items()
            ],
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    for raw in case["recomputations"]:
        fields = ("start_time", "end_time", "reason", "requester_name", "requester_email")
        selections = (
            "exclude",
            "exclude_monitoring_source",
            "exclude_metrics",
            "applied_status_changes",
        )
        response = client.post(
            "/api/monitoring/recomputations",
            json={
                "report": report["info"]["name"],
                **{k: raw[k] for k in fields},
                **{k: raw[k] for k in selections if k in raw},
            },
            headers=headers,
        )
        assert response.status_code == 201, response.text
        if raw["status"] in {"approved", "running", "done"}:  # ARGO applies these
            decided = client.patch(
                f"/api/monitoring/recomputations/{response.json()['id']}",
                json={"status": "approved"},
                headers=headers,
            )
            assert decided.status_code == 200, decided.text


def publish(client: TestClient, token: str, case: dict[str, Any]) -> None:
    previous = [{"actual_data": None, **r} for r in case["metric_data"]["previous_day"]]
    answer = client.post(
        AMS, params={"key": token}, json={"messages": [{"data": avro(r)} for r in previous]}
    ).json()
    assert answer["refused"] == []
    assert len(answer["messageIds"]) == len(previous)
    day = case["metric_data"]["day"]
    for start in range(0, len(day), 150):
        response = client.post(
            "/api/monitoring/metric-data",
            json=day[start : start + 150],
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["refused"] == []


def _line(row: StatusTimeline, keys: tuple[str, ...]) -> dict[str, Any]:
    line: dict[str, Any] = {key: getattr(row, key) for key in keys}
    line["timeline"] = row.timeline
    if row.has_threshold:
        line["hasThr"] = True
    return line


NUMBERS = ("availability", "reliability", "up", "unknown", "down")


def stored_results(session: Session, report_id: int, day: date) -> dict[str, Any]:
    """The stored rows of the day, laid out as a case's ``expected`` (in stored order)."""
    timelines = list(
        session.scalars(
            select(StatusTimeline)
            .where(StatusTimeline.report_id == report_id, StatusTimeline.day == day)
            .order_by(StatusTimeline.id)
        )
    )
    ars = list(
        session.scalars(
            select(DailyAR)
            .where(DailyAR.report_id == report_id, DailyAR.day == day)
            .order_by(DailyAR.id)
        )
    )
    keys = {
        "metric": ("group", "function", "service", "hostname", "metric"),
        "endpoint": ("group", "function", "service", "hostname"),
        "service": ("group", "function", "service"),
        "function": ("group", "function"),
        "group": ("group",),
    }

    def numbers(row: DailyAR) -> dict[str, float]:
        return {key: getattr(row, key) for key in NUMBERS}

    return {
        **{
            f"{level}_timelines": [_line(t, k) for t in timelines if t.level == level]
            for level, k in keys.items()
        },
        "ar": {
            "endpoints": [
                {"group": a.group, "service": a.service, "hostname": a.hostname, **numbers(a)}
                for a in ars
                if a.level == "endpoint"
            ],
            "services": [
                {"group": a.group, "service": a.service, **numbers(a)}
                for a in ars
                if a.level == "service"
            ],
            "groups": [
                {"group": a.group, "supergroup": a.supergroup, "weight": a.weight, **numbers(a)}
                for a in ars
                if a.level == "group"
            ],
        },
    }


def test_the_e2e_case_through_the_real_path_equals_argo(
    client: TestClient, federation: Federation, session: Session, case: dict[str, Any]
) -> None:
    operator = federation.operator
    build_registry(session, operator.principal, case)
    load_through_api(client, operator.headers, case)
    publish(client, operator.token, case)

    response = client.post("/api/monitoring/reports/SLA/days/2022-01-14", headers=operator.headers)
    assert response.status_code == 200, response.text
    computed = response.json()
    assert computed["complete"] is True
    assert computed["up_to"] == "2022-01-15T00:00:00Z"
    assert computed["results"] == len(case["metric_data"]["previous_day"]) + len(
        case["metric_data"]["day"]
    )
    report_id = service.get_report(session=session, name="SLA").id
    assert_matches(stored_results(session, report_id, DAY), case["expected"])

    first = stored_results(session, report_id, DAY)
    again = client.post("/api/monitoring/reports/SLA/days/2022-01-14", headers=operator.headers)
    assert again.status_code == 200
    assert stored_results(session, report_id, DAY) == first  # replaced, not added
    group_seconds = session.scalars(
        select(DailyAR.seconds).where(DailyAR.report_id == report_id, DailyAR.level == "group")
    )
    assert all(sum(seconds.values()) == 86400 for seconds in group_seconds)


def test_the_current_day_stops_downtimes_at_now_and_the_job_finalises_the_day_before(
    client: TestClient, federation: Federation, session: Session, case: dict[str, Any]
) -> None:
    operator = federation.operator
    build_registry(session, operator.principal, case)
    load_through_api(client, operator.headers, case)
    publish(client, operator.token, case)
    report_id = service.get_report(session=session, name="SLA").id

    noon = datetime(2022, 1, 14, 12, 0, tzinfo=UTC)
    counts = service.compute_due(session=session, now=noon)
    # The seven days before (over) and 2022-01-14 so far; the case's approved recomputation
    # touched no day computed before, so it is done at once.
    assert counts == {"computed": 8, "failed": 0, "recomputations": 1}
    days = {d.day: d for d in session.scalars(select(ComputedDay))}
    assert sorted(days) == [date(2022, 1, n) for n in range(7, 15)]
    assert days[date(2022, 1, 13)].complete is True
    assert days[DAY].complete is False
    assert days[DAY].up_to == noon
    endpoint = session.scalars(
        select(StatusTimeline).where(
            StatusTimeline.report_id == report_id,
            StatusTimeline.day == DAY,
            StatusTimeline.level == "endpoint",
            StatusTimeline.hostname == "Hostname_2",
            StatusTimeline.service == "Service_3A",
        )
    ).one()
    # The outage runs 09:00 to past the day; computed at noon it stops at noon.
    downtime = [point for point in endpoint.timeline if point[1] == "DOWNTIME"]
    assert downtime == [["2022-01-14T09:00:00Z", "DOWNTIME"]]
    assert ["2022-01-14T12:00:00Z", "DOWNTIME"] not in endpoint.timeline
    assert endpoint.timeline[endpoint.timeline.index(downtime[0]) + 1][0] == "2022-01-14T12:00:00Z"

    later = service.compute_due(session=session, now=datetime(2022, 1, 14, 13, 5, tzinfo=UTC))
    assert later == {"computed": 1, "failed": 0, "recomputations": 0}  # 01-13 not again


def test_the_job_computes_days_it_missed_and_days_with_late_results_again(
    client: TestClient, federation: Federation, session: Session, case: dict[str, Any]
) -> None:
    operator = federation.operator
    clock = time_machine.travel(datetime(2026, 3, 1, 10, 0, tzinfo=UTC), tick=False)
    with clock as traveller:
        build_registry(session, operator.principal, case)
        load_through_api(client, operator.headers, case)
        publish(client, operator.token, case)
        traveller.shift(60)
        now = datetime(2022, 1, 15, 1, 0, tzinfo=UTC)
        assert service.compute_due(session=session, now=now)["computed"] == 8  # 01-08 to 01-15
        assert service.compute_due(session=session, now=now)["computed"] == 1  # today only

        def computed(day: date) -> ComputedDay:
            return session.scalars(select(ComputedDay).where(ComputedDay.day == day)).one()

        session.delete(computed(date(2022, 1, 10)))  # the server was down that day
        traveller.shift(60)
        late = {**case["metric_data"]["day"][-1], "timestamp": "2022-01-14T23:50:00Z"}
        response = client.post("/api/monitoring/metric-data", json=[late], headers=operator.headers)
        assert response.status_code == 200, response.text
        traveller.shift(60)
        again = service.compute_due(session=session, now=now)
        assert again == {"computed": 3, "failed": 0, "recomputations": 0}  # 01-10, 01-14, today
        assert computed(date(2022, 1, 10)).complete is True
        assert computed(DAY).computed_at == datetime(2026, 3, 1, 10, 3, tzinfo=UTC)
        assert service.compute_due(session=session, now=now)["computed"] == 1


def fedcore(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FEDCORE_DATA_DIR": str(tmp_path), "FEDCORE_ADMIN_SUBJECT": "op@test"}
    env.pop("FEDCORE_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "fedcore", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def store_report(session: Session, operator: Principal, case: dict[str, Any]) -> None:
    """The case's profiles and its report SLA, valid from the case's day, through the service."""
    for kind, document in case["profiles"].items():
        service.create_profile(
            session=session,
            actor=operator,
            kind=ProfileKind(kind),
            data=ProfileCreate(name=document["name"], valid_from=DAY, document=document),
        )
    service.create_report(
        session=session,
        actor=operator,
        data=ReportCreate(
            name="SLA",
            valid_from=DAY,
            topology_schema=case["report"]["topology_schema"],
            profiles=[
                ProfileRef(type=kind, name=document["name"])
                for kind, document in case["profiles"].items()
            ],
        ),
    )


def test_the_compute_command(tmp_path: Path, case: dict[str, Any]) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/fedcore.sqlite")
    Base.metadata.create_all(engine)
    operator = Principal(subject="op@test", is_admin=True)
    with session_scope(make_sessionmaker(engine)) as session:
        store_report(session, operator, case)
    engine.dispose()
    done = fedcore(tmp_path, "monitoring", "compute", "SLA", "--date", "2022-01-14")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["up_to"] == "2022-01-15T00:00:00Z"
    assert summary["complete"] is True
    assert summary["profiles"]["metric"] == {
        "name": "ARGO_MON_CRITICAL",
        "valid_from": "2022-01-14",
    }
    unknown = fedcore(tmp_path, "monitoring", "compute", "NOPE", "--date", "2022-01-14")
    assert unknown.returncode == 2
    assert unknown.stderr == "error: report: no report named 'NOPE'\n"
    before = fedcore(tmp_path, "monitoring", "compute", "SLA", "--date", "2022-01-13")
    assert before.returncode == 2
    assert before.stderr == "error: date: report 'SLA' has no version valid on 2022-01-13\n"


def test_an_approved_recomputation_is_applied_by_the_job_to_the_days_it_touches(
    client: TestClient, federation: Federation, session: Session, case: dict[str, Any]
) -> None:
    operator = federation.operator
    build_registry(session, operator.principal, case)
    load_through_api(client, operator.headers, case)
    publish(client, operator.token, case)
    report_id = service.get_report(session=session, name="SLA").id
    after = datetime(2022, 1, 15, 1, 0, tzinfo=UTC)
    service.compute_due(session=session, now=after)

    def group_availability() -> float:
        session.expire_all()
        return session.scalars(
            select(DailyAR.availability).where(
                DailyAR.report_id == report_id,
                DailyAR.day == DAY,
                DailyAR.level == "group",
                DailyAR.group == "Group_1",
            )
        ).one()

    assert group_availability() == 66.66667
    request = {
        "report": "SLA",
        "start_time": "2022-01-14T00:00:00Z",
        "end_time": "2022-01-14T23:59:59Z",
        "reason": "a broken probe made Group_1 look down",
        "applied_status_changes": [{"group": "Group_1", "state": "OK"}],
    }
    asked = client.post(
        "/api/monitoring/recomputations", json=request, headers=federation.member.headers
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "pending"
    pending = service.compute_due(session=session, now=after)
    assert pending["recomputations"] == 0
    assert group_availability() == 66.66667

    path = f"/api/monitoring/recomputations/{asked.json()['id']}"
    refused = client.patch(path, json={"status": "approved"}, headers=federation.member.headers)
    assert refused.status_code == 403
    approved = client.patch(path, json={"status": "approved"}, headers=operator.headers)
    assert approved.status_code == 200, approved.text
    applied = service.compute_due(session=session, now=after)
    assert applied == {"computed": 1, "failed": 0, "recomputations": 1}  # and today so far
    assert group_availability() == 100.0
    assert client.get(path).json()["status"] == "done"
    rejected = client.patch(path, json={"status": "rejected"}, headers=operator.headers)
    assert rejected.status_code == 200, rejected.text
    assert group_availability() == 66.66667  # taken back at once
    again = client.patch(path, json={"status": "approved"}, headers=operator.headers)
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "status"

    asked = client.post("/api/monitoring/recomputations", json=request, headers=operator.headers)
    assert asked.status_code == 201, asked.text
    path = f"/api/monitoring/recomputations/{asked.json()['id']}"
    assert client.patch(path, json={"status": "approved"}, headers=operator.headers).is_success
    service.compute_due(session=session, now=after)
    assert group_availability() == 100.0
    assert client.delete(path, headers=operator.headers).is_success
    assert group_availability() == 66.66667


def test_a_recomputation_touches_its_utc_days_and_the_day_after_its_end(
    client: TestClient, federation: Federation, session: Session, case: dict[str, Any]
) -> None:
    operator = federation.operator
    build_registry(session, operator.principal, case)
    load_through_api(client, operator.headers, case)
    publish(client, operator.token, case)
    after = datetime(2022, 1, 15, 1, 0, tzinfo=UTC)
    service.compute_due(session=session, now=after)
    asked = client.post(
        "/api/monitoring/recomputations",
        json={
            "report": "SLA",
            "start_time": "2022-01-13T01:00:00+02:00",
            "end_time": "2022-01-13T12:00:00Z",
            "reason": "a probe outage",
            "applied_status_changes": [{"group": "Group_1", "state": "OK"}],
        },
        headers=operator.headers,
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["start_time"] == "2022-01-12T23:00:00Z"
    path = f"/api/monitoring/recomputations/{asked.json()['id']}"
    assert client.patch(path, json={"status": "approved"}, headers=operator.headers).is_success
    applied = computation.apply_approved(session=session, now=after)
    # 01-12 (its start's UTC day), 01-13, 01-14 (whose carry-over reads it); not 01-15 (today)
    assert applied == {"recomputations": 1, "days": 3, "failed": 0}


def test_a_fault_in_one_day_is_logged_and_the_jobs_other_days_are_kept(
    client: TestClient,
    federation: Federation,
    session: Session,
    case: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    operator = federation.operator
    build_registry(session, operator.principal, case)
    load_through_api(client, operator.headers, case)
    publish(client, operator.token, case)
    engine = pipeline.compute_day

    def faulty(data: pipeline.DayInput) -> pipeline.DayResult:
        if data.day == DAY:
            raise ZeroDivisionError("division by zero")
        return engine(data)

    monkeypatch.setattr(pipeline, "compute_day", faulty)
    counts = service.compute_due(session=session, now=datetime(2022, 1, 15, 1, 0, tzinfo=UTC))
    assert counts == {"computed": 7, "failed": 1, "recomputations": 1}
    days = set(session.scalars(select(ComputedDay.day)))
    assert DAY not in days
    assert date(2022, 1, 15) in days
