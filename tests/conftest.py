"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL.

* ``engine``: one per database kind and test session, schema created from the models (the
  migration test checks that the migrations produce the same schema);
* ``session``: rolled back after each test (the app's own commits become savepoints);
* ``client``: the web app on that session; ``actors``: principals with API tokens.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from fedcore.core.config import Settings
from fedcore.core.db import Base, make_engine
from fedcore.core.deps import get_session
from fedcore.core.web import create_app
from tests.support.postgres import postgres_cluster

ADMIN = "operator@fedcore.test"
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(autouse=True)
def forget_process_caches() -> Iterator[None]:
    """Each test's database is rolled back: what a process caches from it must go too."""
    from fedcore.aai.service import clients, keys

    keys.forget_cached()
    clients.forget_clients()
    yield
    keys.forget_cached()
    clients.forget_clients()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found at {SHARED}: clone fedcore beside shared/")
    return SHARED


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_cluster() as url:
        yield url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'fedcore.sqlite'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    import fedcore.aai.models
    import fedcore.accounting.models
    import fedcore.core.models
    import fedcore.monitoring.models
    import fedcore.registry.models  # noqa: F401

    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    yield engine
    Base.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield session
    session.close()
    outer.rollback()
    connection.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        admin_subject=ADMIN,
        secret_key="test-secret-key-not-used-anywhere-else",
        log_level="WARNING",
        default_scope="EGI",
    )


@pytest.fixture
def app(settings: Settings, session: Session) -> FastAPI:
    # Jobs run in their own transactions, which the rolled-back test session would not see;
    # tests run them explicitly (tests/core/test_jobs.py).
    settings.jobs_enabled = False
    app = create_app(settings)

    def test_session() -> Iterator[Session]:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    app.dependency_overrides[get_session] = test_session
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def federation(session: Session) -> Federation:
    from tests.registry.factories import build_federation

    federation = build_federation(session)
    # A request that fails rolls the session back to its last savepoint: keep the federation.
    session.commit()
    return federation


from tests.registry.factories import Federation  # noqa: E402


@pytest.fixture
def committed(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> Iterator[Engine]:
    """A database of the test's own whose transactions commit (concurrency tests, where the
    rolled-back ``session`` cannot serve): an SQLite file, or a PostgreSQL database named after
    the test module, made afresh."""
    from tests.support.server import postgres_database

    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'committed.sqlite'}"
    else:
        name = request.node.module.__name__.rpartition(".")[2]
        url = postgres_database(request.getfixturevalue("postgres_url"), name)
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()
