"""``fedcore accounting ...`` commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from fedcore.accounting.enums import Transport
from fedcore.accounting.formats.records import RecordKind
from fedcore.accounting.service import exports, loader, publishers, summaries
from fedcore.core.cli import cli_session, configured_operator, fail
from fedcore.core.config import get_settings
from fedcore.core.db import isoformat_z, make_engine, make_sessionmaker, session_scope
from fedcore.core.errors import NotFound
from fedcore.core.security import Principal

app = typer.Typer(no_args_is_help=True)


@app.callback()
def accounting() -> None:
    """Accounting: usage records from every site (APEL messages), summaries and reports."""


def message_files(paths: list[Path]) -> Iterator[Path]:
    """The files to load, in order: each file given, and every message file under a directory
    given (an SSM or cASO outgoing queue: its lock and temporary files are left alone)."""
    for path in paths:
        if path.is_dir():
            yield from (
                item
                for item in sorted(path.rglob("*"))
                if item.is_file() and not item.name.startswith(".") and item.suffix == ""
            )
        elif path.is_file():
            yield path
        else:
            fail(f"{path}: no such file or directory")


@app.command("load")
def load(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE|DIR...", help="message files, or directories of them (an SSM queue)"
        ),
    ],
) -> None:
    """Load accounting messages (one message per file, any APEL format) as the configured
    operator, each file in its own transaction.

    Prints how many records each file carried and how many rows it wrote (new or changed; 0
    for a file already loaded as it is). A rejected file gets APEL's reason on standard error
    and stores nothing; the other files still load, and the exit code is then 2.
    """
    settings = get_settings()
    origin = loader.Origin(Transport.CLI, configured_operator(settings, "messages are loaded"))
    engine = make_engine(settings.effective_database_url)
    factory = make_sessionmaker(engine)
    rejected = 0
    try:
        for path in message_files(paths):
            with session_scope(factory) as session:
                outcome = loader.submit_message(
                    session=session, settings=settings, origin=origin, body=path.read_bytes()
                )
            if isinstance(outcome, loader.Rejection):
                rejected += 1
                typer.echo(f"error: {path}: {outcome.error.detail}", err=True)
            else:
                typer.echo(
                    f"{path}: {outcome.records} {outcome.kind.replace('_', ' ')} records, "
                    f"{outcome.stored} rows written"
                )
    finally:
        engine.dispose()
    if rejected:
        raise typer.Exit(2)


@app.command("summarise")
def summarise(
    site: Annotated[
        str | None, typer.Option("--site", metavar="S", help="only this site's summaries")
    ] = None,
    kind: Annotated[
        RecordKind | None,
        typer.Option("--kind", metavar="K", help="only the summaries of this record kind"),
    ] = None,
) -> None:
    """Rebuild the summaries from the stored records (all, or one site's, or one record
    kind's) as the configured operator, in one transaction; prints the slices and groups
    rebuilt as one JSON line."""
    settings = get_settings()
    actor = configured_operator(settings, "summaries are rebuilt")
    engine = make_engine(settings.effective_database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            counts = summaries.summarise(
                session=session,
                actor=actor,
                site=site,
                kinds=None if kind is None else [kind],
            )
    finally:
        engine.dispose()
    typer.echo(json.dumps(counts))


@app.command("export")
def export(
    kind: Annotated[
        str,
        typer.Argument(
            metavar="KIND",
            help="job-records, job-summaries, cloud-records, cloud-summaries, storage-records, "
            "accelerator-records or ip-records",
        ),
    ],
    format: Annotated[
        exports.ExportFormat, typer.Option("--format", help="json or csv")
    ] = exports.ExportFormat.JSON,
    site: Annotated[str | None, typer.Option("--site", metavar="S", help="one site")] = None,
    from_month: Annotated[
        str | None, typer.Option("--from", metavar="YYYY-MM", help="first month")
    ] = None,
    to_month: Annotated[
        str | None, typer.Option("--to", metavar="YYYY-MM", help="last month")
    ] = None,
) -> None:
    """Write stored records or summaries to standard output with APEL's column names, as CSV
    or a JSON array, as the configured operator; the rows stream from the database."""
    settings = get_settings()
    actor = configured_operator(settings, "exports are read")
    with cli_session(settings) as session:
        columns, rows = exports.export_rows(
            session=session,
            actor=actor,
            kind=kind,
            site=site,
            from_month=from_month,
            to_month=to_month,
        )
        for chunk in exports.WRITERS[format](columns, rows):
            typer.echo(chunk, nl=False)


publishers_app = typer.Typer(
    no_args_is_help=True,
    help="Who may publish a site's records besides its gLite-APEL host DNs: bound subjects.",
)
app.add_typer(publishers_app, name="publishers")


def _operator() -> Principal:
    return configured_operator(get_settings(), "publishers are managed")


@publishers_app.command("add")
def add_publisher(
    site: Annotated[str, typer.Argument(metavar="SITE", help="the registry's short name")],
    subject: Annotated[str, typer.Argument(metavar="SUBJECT", help="a token subject")],
) -> None:
    """Allow SUBJECT (a service account's token subject) to publish SITE's records."""
    actor = _operator()
    with cli_session() as session:
        binding = publishers.add_publisher(session=session, actor=actor, site=site, subject=subject)
        typer.echo(f"{binding.subject} publishes for site {binding.site}")


@publishers_app.command("list")
def list_publishers(
    site: Annotated[str | None, typer.Option("--site", metavar="S", help="one site")] = None,
) -> None:
    """One line per binding: site, subject, who added it and when, separated by tabs."""
    actor = _operator()
    with cli_session() as session:
        for row in publishers.list_publishers(session=session, actor=actor, site=site):
            typer.echo(
                f"{row.site}\t{row.subject}\t{row.created_by}\t{isoformat_z(row.created_at)}"
            )


@publishers_app.command("remove")
def remove_publisher(
    site: Annotated[str, typer.Argument(metavar="SITE")],
    subject: Annotated[str, typer.Argument(metavar="SUBJECT")],
) -> None:
    """Stop SUBJECT publishing for SITE; the records it published stay."""
    actor = _operator()
    with cli_session() as session:
        bindings = publishers.list_publishers(session=session, actor=actor, site=site)
        found = [row for row in bindings if row.subject == subject]
        if not found:
            raise NotFound(f"{subject} does not publish for site {site}", field="subject")
        publishers.remove_publisher(session=session, actor=actor, publisher_id=found[0].id)
        typer.echo(f"{subject} no longer publishes for site {site}")
