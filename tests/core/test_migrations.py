"""The migrations: upgrade -> downgrade -> upgrade on both databases, ending in the models' schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

import fedcore.accounting.models
import fedcore.core.models
import fedcore.monitoring.models
import fedcore.registry.models  # noqa: F401
from fedcore.core.db import Base, make_engine
from fedcore.migrations import downgrade, upgrade


@pytest.fixture
def empty_database(database_url: str, tmp_path) -> Iterator[str]:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS fedcore_migrations"))
        conn.execute(text("CREATE DATABASE fedcore_migrations"))
    yield url.set(database="fedcore_migrations").render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE fedcore_migrations WITH (FORCE)"))
    admin.dispose()


def test_upgrade_downgrade_upgrade_matches_models(empty_database: str) -> None:
    upgrade(empty_database)
    engine = make_engine(empty_database)
    assert "registry_site" in inspect(engine).get_table_names()
    engine.dispose()

    downgrade(empty_database, "base")
    engine = make_engine(empty_database)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()

    upgrade(empty_database)
    engine = make_engine(empty_database)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
