"""The ``fedcore`` command: the composition root of every subsystem's commands.

Errors in input end the command with exit code 2 and one line on standard error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from fedcore.core.config import Settings, get_settings
from fedcore.core.db import isoformat_z, make_engine, make_sessionmaker, session_scope
from fedcore.core.errors import FedcoreError
from fedcore.core.security import Principal, principal_for

app = typer.Typer(
    name="fedcore",
    help="Federation core of a research e-infrastructure.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
mail_app = typer.Typer(help="The mail outbox (every message fedcore sent).", no_args_is_help=True)
jobs_app = typer.Typer(
    help="Background jobs (``fedcore serve`` runs them when due).", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(mail_app, name="mail")
app.add_typer(jobs_app, name="jobs")


def describe(exc: ValidationError) -> str:
    """A pydantic error as one line: ``field: reason; field: reason``."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
    )


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def configured_operator(settings: Settings, doing: str) -> Principal:
    """The operator commands act as (``FEDCORE_ADMIN_SUBJECT``); without one the command
    fails, saying that DOING (e.g. "imports run") needs it."""
    if not settings.admin_subject:
        fail(f"FEDCORE_ADMIN_SUBJECT is not set: {doing} as the configured operator")
    return principal_for(settings.admin_subject, settings.admin_subject)


@contextmanager
def cli_session(settings: Settings | None = None) -> Iterator[Session]:
    """One transaction for a command; a FedcoreError becomes exit code 2 and nothing is stored."""
    settings = settings or get_settings()
    engine = make_engine(settings.effective_database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            yield session
    except FedcoreError as exc:
        fail(str(exc))
    except ValidationError as exc:
        fail(describe(exc))
    finally:
        engine.dispose()


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the schema of the configured database."""
    from fedcore.migrations import upgrade

    upgrade(get_settings().effective_database_url, revision)
    typer.echo(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Migrate the schema back to REVISION ("base" drops everything)."""
    from fedcore.migrations import downgrade

    downgrade(get_settings().effective_database_url, revision)
    typer.echo(f"database at {revision}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
    ssl_certfile: Annotated[
        Path | None,
        typer.Option(
            help="serve HTTPS with this PEM certificate (chain); needs --ssl-keyfile",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    ssl_keyfile: Annotated[
        Path | None,
        typer.Option(help="PEM private key of --ssl-certfile", exists=True, dir_okay=False),
    ] = None,
) -> None:
    """Run the web app (API, pages, compatibility APIs), migrating the database first."""
    if (ssl_certfile is None) != (ssl_keyfile is None):
        fail("--ssl-certfile and --ssl-keyfile go together")
    import uvicorn

    from fedcore.migrations import upgrade

    settings = get_settings()
    upgrade(settings.effective_database_url, "head")
    uvicorn.run(
        "fedcore.core.web:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        proxy_headers=True,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )


@app.command()
def demo(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="do nothing (exit 0) if data is there already")
    ] = False,
) -> None:
    """Load the demo federation into an empty database."""
    from fedcore.aai import demo as aai_demo
    from fedcore.accounting import demo as accounting_demo
    from fedcore.migrations import upgrade
    from fedcore.monitoring import demo as monitoring_demo
    from fedcore.registry.demo import is_empty, load_demo

    settings = get_settings()
    upgrade(settings.effective_database_url, "head")
    with cli_session(settings) as session:
        if if_empty and not is_empty(session=session):
            typer.echo("the database has data already; demo not loaded again")
        else:
            typer.echo(load_demo(session=session))
            aai_demo.load_demo(session=session, settings=settings)
            typer.echo(monitoring_demo.load_demo(session=session, settings=settings))
            typer.echo(accounting_demo.load_demo(session=session, settings=settings))
    path = aai_demo.credentials_path(settings)
    if path.exists():
        credentials = json.loads(path.read_text())
        typer.echo(
            f"demo accounts ({', '.join(credentials['accounts'])}) sign in with the password "
            f"{credentials['password']}; service account client_id "
            f"{credentials['service_account']['client_id']} secret "
            f"{credentials['service_account']['client_secret']} (kept in {path}); communities "
            "vo.demo.example (an application waits for its manager) and biomed.demo.example "
            "at /aai/vos"
        )


@token_app.command("create")
def token_create(
    subject: Annotated[str, typer.Option("--subject", help="who the token authenticates")],
    description: Annotated[str, typer.Option(help="what the token is for")] = "",
    days: Annotated[int, typer.Option(help="lifetime in days; 0 = no expiry")] = 0,
) -> None:
    """Issue an API token for SUBJECT; the token is printed alone on the last line."""
    from fedcore.core.security import create_api_token

    with cli_session() as session:
        row, raw = create_api_token(
            session=session,
            subject=subject,
            description=description,
            lifetime=timedelta(days=days) if days > 0 else None,
        )
    typer.echo(f"token {row.id} for {row.subject}", err=True)
    typer.echo(raw)


@mail_app.command("list")
def mail_list(
    to: Annotated[str, typer.Option(help="only messages to this address")] = "",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 10,
) -> None:
    """Show the newest messages, with their text (links in them included), newest first."""
    from fedcore.core.mail import list_mail

    with cli_session() as session:
        for message in list_mail(session=session, recipient=to, limit=limit):
            state = (
                "sent"
                if message.sent_at
                else ("error: " + message.error if message.error else "outbox only")
            )
            typer.echo(f"--- {isoformat_z(message.created_at)} to {message.recipient} ({state})")
            typer.echo(f"Subject: {message.subject}\n\n{message.body}")


@jobs_app.command("list")
def jobs_list() -> None:
    """Every background job: how often it runs and its last run, one JSON object per line."""
    from fedcore.core.jobs import last_run, registered_jobs

    with cli_session() as session:
        for job in registered_jobs():
            every = int(job.every.total_seconds())
            described = {"name": job.name, "every_seconds": every, "description": job.description}
            typer.echo(json.dumps({**described, **last_run(session, job.name)}))


@jobs_app.command("run")
def jobs_run(
    names: Annotated[
        list[str] | None, typer.Argument(metavar="[NAME]...", help="jobs to run; default: all")
    ] = None,
) -> None:
    """Run jobs now, due or not (one that another process is running is skipped); prints
    their counts as one JSON object."""
    from fedcore.core.jobs import holder_name, registered_jobs, run_job

    jobs = {job.name: job for job in registered_jobs()}
    unknown = [name for name in names or [] if name not in jobs]
    if unknown:
        fail(f"name: no job {unknown[0]!r}; the jobs are {', '.join(jobs)}")
    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    factory = make_sessionmaker(engine)
    ran: dict[str, object] = {}
    try:
        for name in names or list(jobs):
            try:
                result = run_job(factory, settings, jobs[name], holder=holder_name(), force=True)
            except Exception as exc:  # recorded with the run; shown here
                fail(f"{name}: {type(exc).__name__}: {exc}")
            ran[name] = "running elsewhere" if result is None else result
    finally:
        engine.dispose()
    typer.echo(json.dumps(ran))


def _mount_subsystems() -> None:
    from fedcore.aai.cli import app as aai_app
    from fedcore.aai.jobs import JOBS as AAI_JOBS
    from fedcore.accounting.cli import app as accounting_app
    from fedcore.accounting.jobs import JOBS as ACCOUNTING_JOBS
    from fedcore.core.jobs import register_jobs
    from fedcore.monitoring.cli import app as monitoring_app
    from fedcore.monitoring.jobs import JOBS as MONITORING_JOBS
    from fedcore.registry.cli import app as registry_app

    app.add_typer(registry_app, name="registry")
    app.add_typer(aai_app, name="aai")
    app.add_typer(monitoring_app, name="monitoring")
    app.add_typer(accounting_app, name="accounting")
    register_jobs(*AAI_JOBS, *MONITORING_JOBS, *ACCOUNTING_JOBS)


def main() -> None:
    _mount_subsystems()
    try:
        app()
    except FedcoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except ValidationError as exc:
        typer.echo(f"error: {describe(exc)}", err=True)
        sys.exit(2)
