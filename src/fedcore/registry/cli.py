"""``fedcore registry ...`` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="Service registry (sites, services, downtimes).", no_args_is_help=True)
