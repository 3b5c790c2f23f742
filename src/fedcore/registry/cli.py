"""``fedcore registry ...`` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fedcore.core.cli import cli_session, configured_operator
from fedcore.core.config import get_settings
from fedcore.registry import gocdbxml
from fedcore.registry import service as registry_service

app = typer.Typer(help="Service registry (sites, services, downtimes).", no_args_is_help=True)


@app.command("import-gocdb")
def import_gocdb(
    files: Annotated[list[Path], typer.Argument(metavar="FILE", help="GOCDB PI XML documents")],
) -> None:
    """Import GOCDB read-PI XML documents, as the configured operator.

    Documents of get_ngi, get_site, get_site_list, get_service_types, get_service,
    get_service_group, get_downtime, get_downtime_nested_services and get_user are read. Every
    file is validated before anything is stored, and all are loaded in one transaction: an error
    stores nothing. GOCDB's ids are kept; one that cannot be is re-allocated, with a warning.
    Importing the same files again changes nothing.
    """
    settings = get_settings()
    operator = configured_operator(settings, "imports run")
    with cli_session(settings) as session:
        documents = [gocdbxml.parse_file(path) for path in files]
        report = registry_service.import_documents(
            session=session, actor=operator, documents=documents
        )
    for line in report.lines():
        typer.echo(line)
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
