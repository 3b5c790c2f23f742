"""Historical ARGO A/R in: ``fedcore monitoring import-ar FILE.json`` against a temporary
SQLite database (summary, re-import replaces, one ``error:`` line naming the record and field
with exit code 2 and nothing stored, the imported days served by /api/v3/results), and the
service function on SQLite and PostgreSQL (every rule, replacing computed days)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from fedcore.core.config import Settings, get_settings
from fedcore.core.db import make_engine
from fedcore.core.errors import Forbidden, ValidationFailed
from fedcore.core.security import create_api_token, principal_for
from fedcore.core.web import create_app
from fedcore.migrations import upgrade
from fedcore.monitoring.cli import app as monitoring_app
from fedcore.monitoring.models import DailyAR
from fedcore.monitoring.service import history, views_data
from tests.monitoring.argo_data import ARGO_DOCUMENT, case_document, load_case, make_report
from tests.registry.factories import Federation

ADMIN = "operator@fedcore.test"
DAY = date(2015, 7, 1)
SPAN = "start_time=2015-06-20T12:00:00Z&end_time=2015-06-23T23:00:00Z"


def rows(session: Session) -> list[tuple[Any, ...]]:
    stmt = select(
        DailyAR.day,
        DailyAR.level,
        DailyAR.supergroup,
        DailyAR.group,
        DailyAR.service,
        DailyAR.hostname,
        DailyAR.availability,
        DailyAR.weight,
        DailyAR.info,
    ).order_by(DailyAR.level, DailyAR.day, DailyAR.group, DailyAR.service, DailyAR.hostname)
    return [tuple(r) for r in session.execute(stmt)]


# --- the command ---------------------------------------------------------------------------------


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_dir: Path) -> Iterator[str]:
    """A migrated SQLite file with Report_A (GROUP > SITES) on the e2e case's profiles."""
    url = f"sqlite:///{tmp_path / 'fedcore.sqlite'}"
    monkeypatch.setenv("FEDCORE_DATABASE_URL", url)
    monkeypatch.setenv("FEDCORE_ADMIN_SUBJECT", ADMIN)
    get_settings.cache_clear()
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        make_report(
            session, principal_for(ADMIN, ADMIN), load_case(shared_dir), "Report_A", "GROUP"
        )
    engine.dispose()
    yield url
    get_settings.cache_clear()


def run(path: Path) -> Any:
    """``fedcore monitoring import-ar PATH``, mounted as ``core/cli.py`` mounts it."""
    fedcore = typer.Typer()
    fedcore.add_typer(monitoring_app, name="monitoring")
    return CliRunner().invoke(fedcore, ["monitoring", "import-ar", str(path)])


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "ar.json"
    path.write_text(json.dumps(document))
    return path


def stored(url: str) -> list[tuple[Any, ...]]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return rows(session)
    finally:
        engine.dispose()


def test_import_then_reimport_and_read_back(database: str, tmp_path: Path) -> None:
    path = write(tmp_path, ARGO_DOCUMENT)
    first = run(path)
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout) == {
        "report": "Report_A",
        "days": ["2015-06-22", "2015-06-23"],
        "endpoint_group_ar": 4,
        "service_ar": 0,
        "endpoint_ar": 2,
    }
    imported = stored(database)
    assert imported[0] == (
        imported[0][0],
        "endpoint",
        "GROUP_A",
        "ST01",
        "service01",
        "host01",
        66.7,
        0.0,
        {"ID": "special-queue"},
    )
    assert [r[3] for r in imported if r[1] == "group"] == ["ST01", "ST02", "ST01", "ST02"]
    assert [r[7] for r in imported if r[1] == "group"] == [5634, 4356, 5634, 4356]
    assert run(path).exit_code == 0
    assert stored(database) == imported

    settings = Settings(
        data_dir=tmp_path, database_url=database, admin_subject=ADMIN, jobs_enabled=False
    )
    engine = make_engine(database)
    with Session(engine) as session:
        _, token = create_api_token(session=session, subject="reader@fedcore.test")
        session.commit()
    engine.dispose()
    with TestClient(create_app(settings)) as client:
        response = client.get(
            f"/api/v3/results/Report_A?{SPAN}&granularity=monthly", headers={"x-api-key": token}
        )
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["results"] == [
        {"date": "2015-06", "availability": "71.75110088070457", "reliability": "65.61389111289031"}
    ]


def test_bad_input_names_record_and_field_and_stores_nothing(database: str, tmp_path: Path) -> None:
    document = copy.deepcopy(ARGO_DOCUMENT)
    document["endpoint_ar"][1]["availability"] = "100"
    result = run(write(tmp_path, document))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: endpoint_ar[1].availability: expected a number, got '100'"
    ]
    assert stored(database) == []
    document = copy.deepcopy(ARGO_DOCUMENT)
    document["endpoint_ar"].append(document["endpoint_ar"][0])
    result = run(write(tmp_path, document))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: endpoint_ar[2]: a second record for 2015-06-22, ST01, service01, host01 "
        "(the first is endpoint_ar[0])"
    ]
    assert stored(database) == []
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    result = run(broken)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {broken}: ")


# --- the service ---------------------------------------------------------------------------------


@pytest.fixture
def report(session: Session, federation: Federation, shared_dir: Path) -> dict[str, Any]:
    case = load_case(shared_dir)
    make_report(session, federation.operator.principal, case, "Report_A", "GROUP")
    make_report(session, federation.operator.principal, case, "SLA", "PROJECT")
    return case


def bad(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(ARGO_DOCUMENT)
    change(document)
    return document


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (
            lambda d: d["endpoint_group_ar"][2].update(date=20150631),
            "endpoint_group_ar[2].date",
            "expected a date YYYYMMDD, got 20150631",
        ),
        (
            lambda d: d["endpoint_group_ar"][0].update(date="2015-06-22"),
            "endpoint_group_ar[0].date",
            "expected a date YYYYMMDD",
        ),
        (
            lambda d: d["endpoint_group_ar"][1].update(up=1.5),
            "endpoint_group_ar[1].up",
            "expected a fraction of the day 0-1, got 1.5",
        ),
        (
            lambda d: d["endpoint_group_ar"][3].update(reliability=-2),
            "endpoint_group_ar[3].reliability",
            "expected a percentage 0-100 or -1 (undefined), got -2",
        ),
        (
            lambda d: d["endpoint_group_ar"][0].update(weight=-1),
            "endpoint_group_ar[0].weight",
            "expected a weight >= 0, got -1",
        ),
        (
            lambda d: d["endpoint_group_ar"][0].pop("supergroup"),
            "endpoint_group_ar[0].supergroup",
            "expected a non-empty string, got None",
        ),
        (
            lambda d: d["endpoint_ar"][0].pop("service"),
            "endpoint_ar[0].service",
            "expected a non-empty string",
        ),
        (
            lambda d: d["endpoint_ar"][1].update(info={"ID": 5}),
            "endpoint_ar[1].info",
            "expected an object of strings",
        ),
        (
            lambda d: d["endpoint_ar"][1].update(colour="red"),
            "endpoint_ar[1].colour",
            "unknown field",
        ),
        (lambda d: d.update(service_ar={}), "service_ar", "expected a list of records"),
        (
            lambda d: d["endpoint_group_ar"].append({**d["endpoint_group_ar"][2], "up": 0.5}),
            "endpoint_group_ar[4]",
            "a second record for 2015-06-23, ST01 (the first is endpoint_group_ar[2])",
        ),
        (
            lambda d: d["endpoint_ar"].append({**d["endpoint_ar"][1], "supergroup": " ST01 "}),
            "endpoint_ar[2]",
            "a second record for 2015-06-23, ST01, service01, host01 (the first is endpoint_ar[1])",
        ),
        (
            lambda d: d["endpoint_group_ar"].append(7),
            "endpoint_group_ar[4]",
            "expected an object, got int",
        ),
        (
            lambda d: d.update(report={"name": "Report_X", "topology_schema": {}}),
            "report.name",
            "no report named 'Report_X'",
        ),
        (
            lambda d: d.update(
                report={
                    "name": "Report_A",
                    "topology_schema": {"group": {"type": "NGI", "group": {"type": "SITES"}}},
                }
            ),
            "report.topology_schema",
            "the group types 'NGI' > 'SITES' are not the report's ('GROUP' > 'SITES')",
        ),
        (
            lambda d: d.update(report={"name": "Report_A", "topology_schema": {"group": []}}),
            "report.topology_schema",
            "the group types '' > '' are not the report's ('GROUP' > 'SITES')",
        ),
    ],
)
def test_each_bad_field_is_named_and_nothing_stored(
    session: Session,
    federation: Federation,
    report: dict[str, Any],
    change: Any,
    field: str,
    reason: str,
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        history.import_ar(
            session=session, actor=federation.operator.principal, document=bad(change)
        )
    assert raised.value.field == field
    assert reason in raised.value.detail
    assert session.scalar(select(func.count()).select_from(DailyAR)) == 0


def test_a_reimport_replaces_the_days_levels(
    session: Session, federation: Federation, report: dict[str, Any]
) -> None:
    operator = federation.operator.principal
    history.import_ar(session=session, actor=operator, document=case_document(report, "SLA"))
    whole_day = rows(session)
    assert len(whole_day) == 7 + 10 + 19
    assert ("endpoint", "GROUP_C", "Group_3", "Service_3A", "Hostname_2") in {
        r[1:6] for r in whole_day
    }
    again = case_document(report, "SLA")
    again["endpoint_group_ar"] = [
        {**g, "availability": 50.0} for g in again["endpoint_group_ar"] if g["name"] == "Group_3"
    ]
    again["service_ar"] = again["endpoint_ar"] = []
    history.import_ar(session=session, actor=operator, document=again)
    after = rows(session)
    assert [r[3:7] for r in after if r[1] == "group"] == [("Group_3", "", "", 50.0)]
    assert [r for r in after if r[1] != "group"] == [r for r in whole_day if r[1] != "group"]


def test_imported_days_are_the_reports_last_days(
    session: Session, federation: Federation, report: dict[str, Any]
) -> None:
    before = {r.name: r.last_day for r in views_data.report_summaries(session=session, day=DAY)}
    assert before == {"Report_A": None, "SLA": None}
    history.import_ar(session=session, actor=federation.operator.principal, document=ARGO_DOCUMENT)
    after = {r.name: r.last_day for r in views_data.report_summaries(session=session, day=DAY)}
    assert after == {"Report_A": date(2015, 6, 23), "SLA": None}
    summary = views_data.report_summary(session=session, name="Report_A", day=date(2015, 6, 22))
    assert summary.last_day == date(2015, 6, 22)


def test_only_operators_import(
    session: Session, federation: Federation, report: dict[str, Any]
) -> None:
    with pytest.raises(Forbidden):
        history.import_ar(
            session=session,
            actor=principal_for("member@fedcore.test", ADMIN),
            document=ARGO_DOCUMENT,
        )
