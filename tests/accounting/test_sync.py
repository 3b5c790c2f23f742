"""Sync status (reference §1.7): each sync record against the jobs received for its site,
submit host and month; who reads it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from fedcore.accounting.formats import parse_message
from fedcore.accounting.service.sync import SyncStatus, sync_status
from fedcore.core.config import Settings
from fedcore.core.errors import Forbidden, NotAuthenticated, ValidationFailed
from fedcore.core.security import ANONYMOUS
from tests.accounting.factories import OPERATOR, load, sample, text_message
from tests.registry.factories import Federation

JOB_SAMPLE = "job_v03_individual.txt"
SYNC_SAMPLE = "sync_v01.txt"
SYNC_HEADER = "APEL-sync-message: v0.1"
CE01 = "ce01.site-alpha.example.org:9619/ce01.site-alpha.example.org-condor"
CE02 = "ce02.site-alpha.example.org:9619/ce02.site-alpha.example.org-condor"


def without_first_job(body: bytes) -> bytes:
    """The job sample less its first record."""
    header, _, records = body.decode().partition("\n")
    rest = records.partition("%%\n")[2]
    return f"{header}\n{rest}".encode()


def test_the_job_sample_matches_the_sync_sample(
    session: Session, settings: Settings, shared_dir: Path
) -> None:
    load(session, settings, sample(shared_dir, JOB_SAMPLE))
    load(session, settings, sample(shared_dir, SYNC_SAMPLE))
    assert sync_status(session=session, actor=OPERATOR) == [
        SyncStatus("SITE-ALPHA", CE01, 2026, 10, 11, 11, 0, "ok"),
        SyncStatus("SITE-ALPHA", CE02, 2026, 9, 1, 1, 0, "ok"),
        SyncStatus("SITE-ALPHA", CE02, 2026, 10, 9, 9, 0, "ok"),
    ]


def test_one_job_less_is_missing_one_for_its_submit_host_and_month(
    session: Session, settings: Settings, shared_dir: Path
) -> None:
    body = without_first_job(sample(shared_dir, JOB_SAMPLE))
    (dropped,) = [
        record
        for record in parse_message(sample(shared_dir, JOB_SAMPLE).decode()).records
        if record["local_job_id"]
        not in {kept["local_job_id"] for kept in parse_message(body.decode()).records}
    ]
    load(session, settings, body)
    load(session, settings, sample(shared_dir, SYNC_SAMPLE))
    gaps = {
        (row.submit_host, row.month): (row.gap, row.status)
        for row in sync_status(session=session, actor=OPERATOR)
        if row.status != "ok"
    }
    assert gaps == {(dropped["submit_host"], dropped["end_month"]): (1, "missing")}


def test_more_jobs_than_the_site_counts_is_excess(
    session: Session, settings: Settings, shared_dir: Path
) -> None:
    load(session, settings, sample(shared_dir, JOB_SAMPLE))
    sync = {"Site": "SITE-ALPHA", "SubmitHost": CE01, "NumberOfJobs": 10, "Month": 10}
    load(session, settings, text_message(SYNC_HEADER, [sync | {"Year": 2026}]))
    (row,) = sync_status(session=session, actor=OPERATOR, site="SITE-ALPHA")
    assert (row.sync_count, row.received, row.gap, row.status) == (10, 11, -1, "excess")


def test_months_from_and_to(session: Session, settings: Settings, shared_dir: Path) -> None:
    load(session, settings, sample(shared_dir, JOB_SAMPLE))
    load(session, settings, sample(shared_dir, SYNC_SAMPLE))
    october = sync_status(session=session, actor=OPERATOR, from_month="2026-10")
    assert [(row.submit_host, row.month) for row in october] == [(CE01, 10), (CE02, 10)]
    september = sync_status(session=session, actor=OPERATOR, to_month="2026-09")
    assert [(row.submit_host, row.month) for row in september] == [(CE02, 9)]
    assert sync_status(session=session, actor=OPERATOR, from_month="2026-11") == []


@pytest.mark.parametrize(("name", "value"), [("from", "2026-13"), ("to", "Oct 2026")])
def test_a_bad_month_is_named(session: Session, name: str, value: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        sync_status(session=session, actor=OPERATOR, **{f"{name}_month": value})
    assert raised.value.field == name
    assert value in raised.value.detail


def test_site_administrators_read_their_sites_only(
    session: Session, settings: Settings, shared_dir: Path, federation: Federation
) -> None:
    load(session, settings, sample(shared_dir, SYNC_SAMPLE))
    sync = {"Site": "TEST-SITE", "SubmitHost": "ce.test.example", "NumberOfJobs": 3}
    load(session, settings, text_message(SYNC_HEADER, [sync | {"Month": 10, "Year": 2026}]))
    admin = federation.site_admin.principal
    (own,) = sync_status(session=session, actor=admin)
    assert (own.site, own.sync_count, own.received, own.status) == ("TEST-SITE", 3, 0, "missing")
    assert sync_status(session=session, actor=admin, site="TEST-SITE") == [own]
    with pytest.raises(Forbidden):
        sync_status(session=session, actor=admin, site="SITE-ALPHA")
    member = federation.member.principal
    assert sync_status(session=session, actor=member) == []
    with pytest.raises(Forbidden):
        sync_status(session=session, actor=member, site="TEST-SITE")
    with pytest.raises(NotAuthenticated):
        sync_status(session=session, actor=ANONYMOUS)
    assert len(sync_status(session=session, actor=federation.operator.principal)) == 4
