"""``fedcore monitoring ...`` commands."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from fedcore.core.cli import cli_session, configured_operator, fail
from fedcore.core.config import get_settings
from fedcore.core.db import isoformat_z
from fedcore.monitoring import service
from fedcore.monitoring.replay import replay as replay_case
from fedcore.monitoring.service import history
from fedcore.monitoring.states import InputError

app = typer.Typer(no_args_is_help=True)


@app.callback()
def monitoring() -> None:
    """Monitoring: status timelines and availability/reliability (A/R)."""


@app.command("replay")
def replay(
    case: Annotated[Path, typer.Argument(metavar="CASE.json", help="a conformance case file")],
) -> None:
    """Compute the day of one conformance case file and print its results as one JSON object.

    Everything comes from the file (profiles, topology, downtimes, recomputations, metric
    results); nothing is read from or written to the database. The keys are
    metric_timelines, endpoint_timelines, service_timelines, function_timelines,
    group_timelines and ar, laid out as the case's "expected".
    """
    try:
        result = replay_case(case)
    except InputError as exc:
        fail(str(exc))
    typer.echo(json.dumps(result))


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from None


@app.command("compute")
def compute(
    report: Annotated[str, typer.Argument(help="the report's name")],
    day: Annotated[
        str,
        typer.Option("--date", metavar="YYYY-MM-DD", help="the UTC day to compute"),
    ],
) -> None:
    """Compute one report's day from the stored results, the registry and the profiles, and
    store its timelines and daily A/R in place of the day's earlier ones (as the configured
    operator). Today is computed up to now. Prints what was computed as one JSON object."""
    settings = get_settings()
    operator = configured_operator(settings, "computations run")
    with cli_session(settings) as session:
        computed = service.compute_report_day(
            session=session, actor=operator, report=report, day=_day(day)
        )
        up_to: datetime = computed.up_to
        summary = {
            "report": report,
            "date": computed.day.isoformat(),
            "up_to": isoformat_z(up_to),
            "complete": computed.complete,
            "results": computed.results,
            "profiles": computed.profiles,
        }
    typer.echo(json.dumps(summary))


@app.command("import-ar")
def import_ar(
    document: Annotated[
        Path, typer.Argument(metavar="FILE.json", help="ARGO daily A/R documents of one report")
    ],
) -> None:
    """Import historical daily A/R as ARGO stores them: {"report": {name, topology_schema},
    "endpoint_group_ar": [...], "service_ar": [...], "endpoint_ar": [...]} with ARGO's
    fields (date YYYYMMDD, name, supergroup, service, up, down, unknown, availability,
    reliability, weight, info). The days imported replace those stored, level by level; a bad
    record is named (collection, index, field) and nothing is stored. Prints what was
    imported as one JSON object."""
    try:
        loaded = json.loads(document.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{document}: {exc}")
    settings = get_settings()
    operator = configured_operator(settings, "imports run")
    with cli_session(settings) as session:
        imported = history.import_ar(session=session, actor=operator, document=loaded)
    typer.echo(
        json.dumps(
            {
                "report": imported.report,
                "days": [day.isoformat() for day in imported.days],
                **imported.rows,
            }
        )
    )
