"""Concurrent computations of one report's day, on a real database with committed data (a
fresh one, so no other test sees it): they follow each other, and the day holds one set of
timelines and A/R rows. Without the day's lock, PostgreSQL let both delete the (same) earlier
rows and both insert theirs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select

from fedcore.core.db import make_sessionmaker, session_scope
from fedcore.core.security import Principal
from fedcore.monitoring import service
from fedcore.monitoring.models import ComputedDay, DailyAR, StatusTimeline
from tests.monitoring import test_computation
from tests.monitoring.test_computation import DAY, build_registry, store_report

PARALLEL = 2
case = test_computation.case


def test_concurrent_computations_of_a_day_store_it_once(
    committed: Engine, case: dict[str, Any]
) -> None:
    factory = make_sessionmaker(committed)
    operator = Principal(subject="op@test", is_admin=True)
    with session_scope(factory) as session:
        build_registry(session, operator, case)
        store_report(session, operator, case)
        service.store_metric_data(
            session=session, actor=operator, records=case["metric_data"]["day"]
        )
    now = datetime(2022, 1, 15, 1, 0, tzinfo=UTC)
    with session_scope(factory) as session:  # the computations replace earlier rows
        service.compute(session=session, report="SLA", day=DAY, now=now)
    start = threading.Barrier(PARALLEL)
    errors: list[BaseException] = []

    def compute() -> None:
        start.wait()
        try:
            with session_scope(factory) as session:
                service.compute(session=session, report="SLA", day=DAY, now=now)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=compute) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    identities = {
        StatusTimeline: ("level", "group", "function", "service", "hostname", "metric"),
        DailyAR: ("level", "group", "service", "hostname"),
    }
    with session_scope(factory, write=False) as session:
        assert session.scalar(select(func.count()).select_from(ComputedDay)) == 1
        for model, identity in identities.items():
            rows = session.execute(select(*(getattr(model, key) for key in identity))).all()
            assert rows, model.__tablename__
            assert len(rows) == len(set(rows)), model.__tablename__
