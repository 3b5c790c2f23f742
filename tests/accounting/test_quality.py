"""Data quality: unknown sites and VOs, site-months with two job routes, dirty groups and
recent rejections, for operators."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from fedcore.aai.schemas_vo import VoCreate
from fedcore.aai.service import vos
from fedcore.accounting.enums import Transport
from fedcore.accounting.formats.records import RecordKind
from fedcore.accounting.jobs import JOBS
from fedcore.accounting.models import Message
from fedcore.accounting.service import summaries
from fedcore.accounting.service.loader import Origin, Rejection, submit_message
from fedcore.accounting.service.quality import MixedRoutes, UnknownName, data_quality
from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.errors import Forbidden
from fedcore.core.security import Principal
from tests.accounting.factories import JOB_HEADER, OPERATOR, load, sample, text_message
from tests.registry.factories import ADMIN, Federation

JOB_SAMPLE = "job_v03_individual.txt"
JOB = {
    "Site": "TEST-SITE",
    "LocalJobId": "1.0",
    "FQAN": "/atlas/Role=production/Capability=NULL",
    "WallDuration": 100,
    "CpuDuration": 90,
    "StartTime": 1790830800,
    "EndTime": 1790830900,
    "ServiceLevelType": "HEPSPEC",
    "ServiceLevel": 10.0,
}


def test_records_of_sites_the_registry_does_not_know(
    session: Session, settings: Settings, shared_dir: Path, federation: Federation
) -> None:
    load(session, settings, sample(shared_dir, JOB_SAMPLE))
    load(session, settings, sample(shared_dir, "cloud_v04_caso.txt"))
    load(session, settings, text_message(JOB_HEADER, [JOB]))
    assert data_quality(session=session, actor=OPERATOR).unknown_sites == [
        UnknownName(RecordKind.JOB, "SITE-ALPHA", 21),
        UnknownName(RecordKind.CLOUD, "EXAMPLE-CLOUD-01", 7),
    ]


def test_records_of_vos_the_aai_does_not_know(
    session: Session, settings: Settings, shared_dir: Path
) -> None:
    vos.register_vo(session=session, actor=OPERATOR, data=VoCreate(name="atlas"))
    load(session, settings, sample(shared_dir, JOB_SAMPLE))
    # 10 atlas jobs, 5 cms, 5 biomed and a local job without a VO ('None', not counted).
    assert data_quality(session=session, actor=OPERATOR).unknown_vos == [
        UnknownName(RecordKind.JOB, "biomed", 5),
        UnknownName(RecordKind.JOB, "cms", 5),
    ]


def test_site_months_with_two_job_routes(
    session: Session, settings: Settings, shared_dir: Path
) -> None:
    load(session, settings, sample(shared_dir, JOB_SAMPLE))
    load(session, settings, sample(shared_dir, "normalised_summary_v03.txt"))
    assert data_quality(session=session, actor=OPERATOR).mixed_routes == []
    summaries_of_alpha = sample(shared_dir, "summary_v02.txt").replace(b"SITE-BETA", b"SITE-ALPHA")
    load(session, settings, summaries_of_alpha)
    assert data_quality(session=session, actor=OPERATOR).mixed_routes == [
        MixedRoutes("SITE-ALPHA", 2026, 9, ("jobs", "summaries")),
        MixedRoutes("SITE-ALPHA", 2026, 10, ("jobs", "summaries")),
    ]


def test_dirty_groups_until_the_dirty_slices_are_rebuilt(
    session: Session, settings: Settings
) -> None:
    later = JOB | {"LocalJobId": "2.0", "StartTime": 1790930800, "EndTime": 1790930900}
    load(session, settings, text_message(JOB_HEADER, [JOB, later]))
    assert data_quality(session=session, actor=OPERATOR).dirty_groups == 0
    moved = JOB | {"FQAN": "/cms/Role=NULL/Capability=NULL"}
    load(session, settings, text_message(JOB_HEADER, [moved]))
    assert data_quality(session=session, actor=OPERATOR).dirty_groups == 1
    summaries.rebuild_dirty(session)
    assert data_quality(session=session, actor=OPERATOR).dirty_groups == 0


def test_messages_rejected_over_the_last_30_days_per_publisher(
    session: Session, settings: Settings, federation: Federation
) -> None:
    def reject(body: bytes, actor: Principal) -> int:
        origin = Origin(Transport.API, actor)
        outcome = submit_message(session=session, settings=settings, origin=origin, body=body)
        assert isinstance(outcome, Rejection)
        return outcome.message_id

    operator, member = federation.operator.principal, federation.member.principal
    reject(b"not an APEL message", operator)
    old = reject(b"APEL-unknown-message: v9", operator)
    reject(text_message(JOB_HEADER, [JOB]), member)  # may not publish for TEST-SITE
    message = session.get(Message, old)
    assert message is not None
    message.last_received_at = utcnow() - timedelta(days=31)
    assert data_quality(session=session, actor=OPERATOR).rejected_messages == {
        ADMIN: 1,
        member.subject: 1,
    }


def test_only_operators_read_data_quality(session: Session, federation: Federation) -> None:
    with pytest.raises(Forbidden):
        data_quality(session=session, actor=federation.site_admin.principal)


def test_the_purge_job_forgets_rejected_bodies_past_retention(
    session: Session, settings: Settings
) -> None:
    purge = {job.name: job for job in JOBS}["accounting.purge-messages"]
    kept, old = (
        submit_message(
            session=session, settings=settings, origin=Origin(Transport.CLI, OPERATOR), body=body
        )
        for body in (b"recent nonsense", b"old nonsense")
    )
    assert isinstance(kept, Rejection)
    assert isinstance(old, Rejection)
    stale = session.get(Message, old.message_id)
    assert stale is not None
    stale.last_received_at = utcnow() - timedelta(
        days=settings.accounting_reject_retention_days + 1
    )
    assert purge.run(session, settings) == {"purged": 1}
    session.refresh(stale)
    recent = session.get(Message, kept.message_id)
    assert recent is not None
    assert (stale.body, recent.body) == (None, "recent nonsense")
