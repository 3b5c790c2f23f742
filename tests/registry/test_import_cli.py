"""``fedcore registry import-gocdb FILE...`` against a temporary SQLite database: a summary per
entity kind, one transaction for all files, one ``error:`` line and exit code 2 otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from fedcore.core.config import get_settings
from fedcore.core.db import Base, make_engine
from fedcore.migrations import upgrade
from fedcore.registry.cli import app as registry_app

DOCS = "samples/registry/gocdb-docs-examples"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'fedcore.sqlite'}"
    monkeypatch.setenv("FEDCORE_DATABASE_URL", url)
    monkeypatch.setenv("FEDCORE_ADMIN_SUBJECT", "operator@fedcore.test")
    get_settings.cache_clear()
    upgrade(url)
    yield url
    get_settings.cache_clear()


def run(*args: str | Path) -> Any:
    """``fedcore registry import-gocdb ARGS``, mounted as ``core/cli.py`` mounts it."""
    fedcore = typer.Typer()
    fedcore.add_typer(registry_app, name="registry")
    return CliRunner().invoke(fedcore, ["registry", "import-gocdb", *map(str, args)])


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                t.name: [tuple(r) for r in connection.execute(select(t).order_by(*t.primary_key))]
                for t in Base.metadata.sorted_tables
                if t.name.startswith("registry_")
            }
    finally:
        engine.dispose()


def docs(shared_dir: Path, *names: str) -> list[Path]:
    return [shared_dir / DOCS / f"{name}.xml" for name in names]


def test_import_prints_a_summary_and_a_second_run_changes_nothing(
    database: str, shared_dir: Path
) -> None:
    files = docs(shared_dir, "get_ngi", "get_site", "get_service", "get_downtime", "get_user")
    first = run(*files)
    assert first.exit_code == 0, first.stderr
    assert first.stdout.splitlines() == [
        "ngis: 2 created, 0 updated, 0 unchanged",
        "projects: 1 created, 0 updated, 0 unchanged",
        "scopes: 2 created, 0 updated, 0 unchanged",
        "service types: 2 created, 0 updated, 0 unchanged",
        "sites: 2 created, 0 updated, 0 unchanged",
        "services: 2 created, 0 updated, 0 unchanged",
        "downtimes: 1 created, 0 updated, 0 unchanged",
        "users: 1 created, 0 updated, 0 unchanged",
    ]
    before = dump(database)
    second = run(*files)
    assert second.exit_code == 0, second.stderr
    assert second.stdout.splitlines() == [
        "ngis: 0 created, 0 updated, 1 unchanged",
        "sites: 0 created, 0 updated, 1 unchanged",
        "services: 0 created, 0 updated, 1 unchanged",
        "downtimes: 0 created, 0 updated, 1 unchanged",
        "users: 0 created, 0 updated, 1 unchanged",
    ]
    assert dump(database) == before


def test_a_bad_file_imports_nothing(database: str, shared_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<results>\n  <SITE ID='1'>\n</results>\n")
    before = dump(database)
    result = run(*docs(shared_dir, "get_site", "get_service"), bad)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {bad}: not well-formed XML: Opening and ending tag mismatch: SITE line 2 and "
        "results, line 3, column 11 (<string>, line 3)"
    ]
    assert dump(database) == before


def test_a_failure_while_loading_stores_nothing_of_the_earlier_files(
    database: str, shared_dir: Path
) -> None:
    # get_service.xml loads first (it creates a site, an NGI, a type, a service); the downtime's
    # site is unknown, so the whole import is undone.
    before = dump(database)
    result = run(*docs(shared_dir, "get_service", "get_downtime"))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {shared_dir / DOCS / 'get_downtime.xml'}: <DOWNTIME> at line 3: site "
        "'Izola MRF' (HOSTED_BY) is not in the registry; import its get_site output first or "
        "together with this file"
    ]
    assert dump(database) == before


def test_warnings_go_to_standard_error(database: str, shared_dir: Path) -> None:
    result = run(*docs(shared_dir, "get_site", "get_downtime_nested_services"))
    assert result.exit_code == 0, result.stderr
    nested = shared_dir / "samples/registry/gocdb-docs-examples/get_downtime_nested_services.xml"
    assert result.stderr.splitlines() == [
        f"warning: {nested}: <DOWNTIME> at line 3: service 119G0 voms.ipb.ac.rs (VOMS) at "
        "Izola MRF: that id is another service's, so it is created as 120G0"
    ]


def test_a_missing_file_is_one_error_line(database: str, tmp_path: Path) -> None:
    result = run(tmp_path / "none.xml")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'none.xml'}: cannot be read: No such file or directory"
    ]


def test_imports_run_as_the_configured_operator(
    database: str, shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FEDCORE_ADMIN_SUBJECT", "")
    get_settings.cache_clear()
    result = run(*docs(shared_dir, "get_site"))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: FEDCORE_ADMIN_SUBJECT is not set: imports run as the configured operator"
    ]
