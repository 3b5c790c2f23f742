"""``fedcore monitoring ...`` commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from fedcore.core.cli import fail
from fedcore.monitoring.replay import replay as replay_case
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
