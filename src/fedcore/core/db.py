"""Database plumbing: declarative base, UTC timestamps, engines and sessions.

One SQLAlchemy model serves SQLite (embedded default, WAL mode, foreign keys on) and PostgreSQL
(production). Entry points own the transaction: requests through :func:`get_session` in
``core/web.py``, CLI commands and jobs through :func:`session_scope`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event, make_url
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """The current time, UTC, to the second (what every stored timestamp holds)."""
    return datetime.now(UTC).replace(microsecond=0)


def isoformat_z(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``: the one textual form of time in fedcore."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC (portable across SQLite and PostgreSQL), returns aware UTC datetimes."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; fedcore stores aware UTC datetimes only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, open transactions, so that SAVEPOINTs work (SQLAlchemy's
    # documented recipe for pysqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


WRITE_INTENT = "fedcore_write_intent"
"""Execution option: the transaction will write. On SQLite it then takes the write lock at BEGIN
(``BEGIN IMMEDIATE``), so concurrent writers wait for each other (busy_timeout) instead of
failing when a read transaction tries to upgrade after another writer committed."""


_HOLDS_WRITER = "fedcore_holds_writer"
WRITER_WAIT_SECONDS = 10.0


def _serialise_writers(engine: Engine) -> None:
    """Writers of one process take turns on a lock before ``BEGIN IMMEDIATE``.

    SQLite has one write lock per database; threads that meet it busy-wait in sleeps of up to
    100 ms and the unlucky ones starve (seconds at the 99th percentile with a few concurrent
    writers). Waiting on a lock in the process instead hands the database over at once. The lock
    is released when the transaction ends; after ``WRITER_WAIT_SECONDS`` a writer goes ahead and
    leaves the wait to SQLite's ``busy_timeout``. Other processes still meet at SQLite's lock.
    """
    writer = threading.Lock()

    def begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_INTENT, False)
        if immediate and writer.acquire(timeout=WRITER_WAIT_SECONDS):
            conn.info[_HOLDS_WRITER] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except BaseException:
            end(conn)
            raise

    def end(conn: Connection) -> None:
        if conn.info.pop(_HOLDS_WRITER, False):
            writer.release()

    event.listen(engine, "begin", begin)
    event.listen(engine, "commit", end)
    event.listen(engine, "rollback", end)


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            from pathlib import Path

            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        _serialise_writers(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def session_scope(
    factory: sessionmaker[Session], *, write: bool | None = True
) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises.

    ``write=True`` takes the database's write lock at once (SQLite ``BEGIN IMMEDIATE``), so a
    transaction that reads and then writes never fails half-way on a concurrent writer;
    ``False`` begins a plain transaction (readers never wait for writers) at once, ``None`` on
    the first statement.
    """
    session = factory()
    if write is not None:
        session.connection(execution_options={WRITE_INTENT: write})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
