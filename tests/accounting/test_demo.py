"""The demo accounting on the demo registry: every APEL site's jobs and sync records, every cASO
site's VMs, volumes, GPUs and public IPs, loaded as messages through the one loader; the
summaries equal a rebuild from the records; one defective message is rejected."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fedcore.accounting import demo
from fedcore.accounting.enums import MessageStatus
from fedcore.accounting.models import (
    AcceleratorRecord,
    CloudRecord,
    CloudSuperSummary,
    JobRecord,
    Message,
    PublicIpRecord,
    StorageRecord,
    SuperSummary,
    SyncRecord,
)
from fedcore.accounting.service import summaries
from fedcore.core.config import Settings
from fedcore.registry.demo import load_demo as load_registry_demo

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def table(session: Session, model: type) -> list[tuple[object, ...]]:
    columns = [c for c in model.__table__.columns if c.name not in {"id", "updated_at"}]
    return sorted(tuple(row) for row in session.execute(select(*columns)))


def test_the_demo_loads_every_kind_and_its_summaries_equal_a_rebuild(
    session: Session, settings: Settings
) -> None:
    load_registry_demo(session=session, now=NOW)
    answer = demo.load_demo(session=session, settings=settings, now=NOW)
    assert answer.endswith("records; 1 message rejected")
    sites = set(session.scalars(select(JobRecord.site).distinct()))
    assert {"CSCS-LCG2", "UNIBE-LHEP"} <= sites
    assert count(session, SyncRecord) > 0
    assert count(session, CloudRecord) > 0
    assert count(session, StorageRecord) > 0
    assert count(session, AcceleratorRecord) > 0
    assert count(session, PublicIpRecord) > 0
    months = set(session.execute(select(JobRecord.end_year, JobRecord.end_month).distinct()))
    assert len(months) == demo.MONTHS
    assert session.scalar(select(func.sum(SuperSummary.number_of_jobs))) == count(
        session, JobRecord
    )
    [rejected] = session.scalars(select(Message).where(Message.status == MessageStatus.REJECTED))
    assert rejected.error == (
        "Parsing unsuccessful: record 1: Invalid int value 12h in field WallDuration"
    )
    loaded = table(session, SuperSummary), table(session, CloudSuperSummary)
    summaries.rebuild_all(session)
    assert (table(session, SuperSummary), table(session, CloudSuperSummary)) == loaded
