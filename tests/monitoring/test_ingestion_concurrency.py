"""Identical batches published at the same time, on a real database with committed data (a
fresh one, so no other test sees it): every publisher is answered with the same rows, stored
once. Checking before inserting let PostgreSQL refuse all but the first batch whole."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, func, select

from fedcore.core.db import make_sessionmaker, session_scope
from fedcore.core.security import Principal
from fedcore.monitoring.models import MetricResult
from fedcore.monitoring.service.results import Ingested, store_metric_data
from tests.monitoring.test_ingestion import record

PARALLEL = 8
OPERATOR = Principal(subject="operator", is_admin=True)


def test_identical_batches_at_once_are_answered_alike_and_stored_once(committed: Engine) -> None:
    factory = make_sessionmaker(committed)
    batch: list[Any] = [record(metric=f"m{i}") for i in range(50)]
    start = threading.Barrier(PARALLEL)
    answers: list[Ingested] = []

    def publish() -> None:
        start.wait()
        with session_scope(factory, write=True) as session:
            answers.append(store_metric_data(session=session, actor=OPERATOR, records=batch))

    threads = [threading.Thread(target=publish) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(answers) == PARALLEL
    assert all(not answer.refused for answer in answers)
    ids = {tuple((index, row_id) for index, row_id, _ in answer.stored) for answer in answers}
    assert len(ids) == 1
    assert [index for index, _ in ids.pop()] == list(range(len(batch)))
    new = sorted(sum(new for _, _, new in answer.stored) for answer in answers)
    assert new == [0] * (PARALLEL - 1) + [len(batch)]
    with session_scope(factory) as session:
        assert session.scalar(select(func.count()).select_from(MetricResult)) == len(batch)
