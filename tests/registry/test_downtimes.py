"""GOCDB's downtime rules, through the service functions, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from fedcore.core.db import utcnow
from fedcore.core.errors import Forbidden, RuleViolation, ValidationFailed
from fedcore.registry import service as registry
from fedcore.registry.schemas import DowntimeCreate, DowntimeUpdate
from tests.registry.factories import Federation


def _declare(session: Session, fed: Federation, start: timedelta, end: timedelta, **kw: object):
    now = utcnow()
    data = DowntimeCreate(
        severity="WARNING",
        description="work",
        start=now + start,
        end=now + end,
        services=[fed.service.id],
        **kw,
    )
    return registry.create_downtime(
        session=session, actor=fed.site_admin.principal, data=data, now=now
    )


def test_classification_is_computed_from_notice(session: Session, federation: Federation) -> None:
    assert (
        _declare(session, federation, timedelta(hours=25), timedelta(hours=30)).classification
        == "SCHEDULED"
    )
    assert (
        _declare(session, federation, timedelta(hours=23), timedelta(hours=30)).classification
        == "UNSCHEDULED"
    )


def test_backdating_limit_is_48_hours(session: Session, federation: Federation) -> None:
    assert (
        _declare(session, federation, -timedelta(hours=47), timedelta(hours=1)).classification
        == "UNSCHEDULED"
    )
    with pytest.raises(RuleViolation, match="48 hours"):
        _declare(session, federation, -timedelta(hours=49), timedelta(hours=1))


def test_end_must_follow_start(session: Session, federation: Federation) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _declare(session, federation, timedelta(hours=2), timedelta(hours=1))
    assert exc.value.field == "end"


def test_one_site_per_downtime(session: Session, federation: Federation) -> None:
    now = utcnow()
    data = DowntimeCreate(
        severity="OUTAGE",
        description="x",
        start=now + timedelta(hours=1),
        end=now + timedelta(hours=2),
        services=[federation.service.id, federation.other_service.id],
    )
    with pytest.raises(RuleViolation, match="one site"):
        registry.create_downtime(session=session, actor=federation.operator.principal, data=data)


def test_endpoint_must_belong_to_an_affected_service(
    session: Session, federation: Federation
) -> None:
    now = utcnow()
    data = DowntimeCreate(
        severity="OUTAGE",
        description="x",
        start=now + timedelta(hours=1),
        end=now + timedelta(hours=2),
        services=[federation.other_service.id],
        endpoints=[federation.endpoint.id],
    )
    with pytest.raises(RuleViolation, match="does not belong"):
        registry.create_downtime(session=session, actor=federation.operator.principal, data=data)


def test_only_site_editors_declare(session: Session, federation: Federation) -> None:
    now = utcnow()
    data = DowntimeCreate(
        severity="OUTAGE",
        description="x",
        start=now + timedelta(hours=1),
        end=now + timedelta(hours=2),
        services=[federation.service.id],
    )
    with pytest.raises(Forbidden):
        registry.create_downtime(session=session, actor=federation.member.principal, data=data)


def test_scheduled_downtime_frozen_within_24h(session: Session, federation: Federation) -> None:
    downtime = _declare(session, federation, timedelta(hours=30), timedelta(hours=32))
    later = utcnow() + timedelta(hours=7)
    with pytest.raises(RuleViolation, match="within 24 hours"):
        registry.update_downtime(
            session=session,
            actor=federation.site_admin.principal,
            downtime_id=downtime.id,
            data=DowntimeUpdate(description="y"),
            now=later,
        )
    with pytest.raises(RuleViolation, match="within 24 hours"):
        registry.delete_downtime(
            session=session,
            actor=federation.site_admin.principal,
            downtime_id=downtime.id,
            now=later,
        )


def test_no_extension(session: Session, federation: Federation) -> None:
    downtime = _declare(session, federation, timedelta(hours=2), timedelta(hours=4))
    with pytest.raises(RuleViolation, match="lengthened"):
        registry.update_downtime(
            session=session,
            actor=federation.site_admin.principal,
            downtime_id=downtime.id,
            data=DowntimeUpdate(end=downtime.end_at + timedelta(hours=1)),
        )


def test_end_now_sets_end_60_seconds_ahead(session: Session, federation: Federation) -> None:
    downtime = _declare(session, federation, -timedelta(hours=1), timedelta(hours=4))
    now = utcnow()
    ended = registry.end_downtime(
        session=session, actor=federation.site_admin.principal, downtime_id=downtime.id, now=now
    )
    assert ended.end_at == now + timedelta(seconds=60)
    with pytest.raises(RuleViolation, match="started"):
        registry.delete_downtime(
            session=session, actor=federation.site_admin.principal, downtime_id=downtime.id, now=now
        )
