"""The one loader (``service.loader.submit_message``): the samples' rows and provenance, resends
(identical: nothing moves; modified: last loaded wins, summaries follow), rejections stored
with APEL's text and the body, and who may publish for a site (docs/accounting.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fedcore.accounting.enums import MessageStatus, Transport
from fedcore.accounting.formats import parse_message
from fedcore.accounting.formats.records import FAMILIES, RecordKind
from fedcore.accounting.models import (
    RECORD_TABLES,
    CloudRecord,
    CloudSuperSummary,
    JobRecord,
    Message,
    SuperSummary,
)
from fedcore.accounting.service import summaries
from fedcore.accounting.service.loader import LoadResult, Origin, Rejection, submit_message
from fedcore.accounting.service.publishers import add_publisher
from fedcore.core.config import Settings
from fedcore.core.db import Base
from fedcore.core.errors import Forbidden
from fedcore.core.security import Principal, principal_for
from fedcore.registry import service as registry
from fedcore.registry.schemas import ServiceCreate
from tests.registry.factories import ADMIN, Federation

OPERATOR = principal_for(ADMIN, ADMIN)
SAMPLES = "samples/accounting"
JOB = "job_v03_individual.txt"
VM_B = "22222222-bbbb-4bbb-8bbb-000000000002"
APEL_DN = "/C=CH/O=Test/CN=apel.test.example"

# file, records in the message (README), rows stored
SAMPLE_ROWS = [
    ("job_v03_individual.txt", RecordKind.JOB, 21, 21),
    ("job_v04_individual.txt", RecordKind.JOB, 3, 3),
    ("summary_v02.txt", RecordKind.SUMMARY, 10, 10),
    ("normalised_summary_v03.txt", RecordKind.NORMALISED_SUMMARY, 10, 6),
    ("sync_v01.txt", RecordKind.SYNC, 3, 3),
    ("cloud_v04_caso.txt", RecordKind.CLOUD, 10, 7),
    ("ip_v02_caso.json", RecordKind.PUBLIC_IP, 4, 3),
    ("accelerator_v01_caso.json", RecordKind.ACCELERATOR, 3, 3),
    ("storage_star_caso.xml", RecordKind.STORAGE, 3, 3),
]


def sample(shared_dir: Path, name: str) -> bytes:
    return (shared_dir / SAMPLES / name).read_bytes()


def submit(
    session: Session,
    settings: Settings,
    body: bytes,
    actor: Principal = OPERATOR,
    signer_dn: str | None = None,
) -> LoadResult | Rejection:
    origin = Origin(Transport.CLI, actor, signer_dn=signer_dn)
    return submit_message(session=session, settings=settings, origin=origin, body=body)


def load(session: Session, settings: Settings, body: bytes, **kwargs: Any) -> LoadResult:
    outcome = submit(session, settings, body, **kwargs)
    assert isinstance(outcome, LoadResult), outcome
    return outcome


def refuse(session: Session, settings: Settings, body: bytes, **kwargs: Any) -> Rejection:
    outcome = submit(session, settings, body, **kwargs)
    assert isinstance(outcome, Rejection), outcome
    return outcome


def dump(session: Session, *, messages: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    """Every accounting table, row by row (the message table only when asked: its
    ``last_received_at`` moves with each resend by design)."""
    return {
        table.name: [tuple(row) for row in session.execute(select(table).order_by(table.c.id))]
        for table in Base.metadata.sorted_tables
        if table.name.startswith("accounting_") and (messages or table.name != "accounting_message")
    }


def split(body: bytes) -> tuple[str, list[str]]:
    """An APEL text message's header line and its record chunks."""
    header, _, rest = body.decode().partition("\n")
    return header, [chunk.strip() for chunk in rest.split("%%") if chunk.strip()]


def join(header: str, records: list[str]) -> bytes:
    return (header + "\n" + "\n%%\n".join(records) + "\n%%\n").encode()


def replace_line(record: str, key: str, value: str) -> str:
    lines = [
        f"{key}: {value}" if line.startswith(f"{key}:") else line for line in record.split("\n")
    ]
    assert lines != record.split("\n"), f"{key} not in the record"
    return "\n".join(lines)


def assert_row_is(row: Any, kind: RecordKind, body: bytes) -> None:
    """Every column of the stored row is the (single) record of ``body``, as parsed."""
    (record,) = parse_message(body.decode()).records
    assert {column: getattr(row, column) for column in FAMILIES[kind].columns} == record


def count(session: Session, table: Any) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def summary_dump(session: Session, table: Any) -> list[tuple[Any, ...]]:
    """A summary table's groups with their totals (not their bookkeeping)."""
    skip = {"id", "updated_at", "dirty"}
    columns = [column for column in table.__table__.c if column.name not in skip]
    return sorted(tuple(row) for row in session.execute(select(*columns)))


def assert_summaries_equal_a_rebuild(session: Session) -> None:
    """The incrementally moved summaries are what ``summarise`` makes from the records, once
    the groups a load marked dirty (they lost their earliest or latest record) are rebuilt."""
    summaries.rebuild_dirty(session)
    tables = [SuperSummary, CloudSuperSummary]
    incremental = [summary_dump(session, table) for table in tables]
    summaries.rebuild_all(session)
    assert [summary_dump(session, table) for table in tables] == incremental


# --- the samples ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind", "records", "rows"), SAMPLE_ROWS)
def test_every_sample_loads_with_its_count_and_provenance(
    session: Session,
    settings: Settings,
    shared_dir: Path,
    name: str,
    kind: RecordKind,
    records: int,
    rows: int,
) -> None:
    """The cloud sample's 10 records are 7 rows: VM A's three snapshots of one month replace
    each other and VM D's resend is its duplicate (§1.8). The IP sample's later snapshot in the
    same month replaces the earlier one (§1.12), 4 records in 3 rows.

    The normalised summary v0.3 carries 10 records in 6 rows. It has no ServiceLevelType (it is
    the literal ``'None'`` in every record), and APEL's key of NormalisedSummaries (§1.6: site,
    month, year, DN, VO, VO role, VO group, submit host, infrastructure, node count, processors,
    ServiceLevelType) has no benchmark value either. The sample's 10 groups are the job
    sample's, which run under two benchmarks (HEPSPEC 10.5 and HEPscore23 12.0): groups that
    differ only by their benchmark collide, and the last one in the message wins, as APEL's
    ``REPLACE INTO`` does."""
    outcome = load(session, settings, sample(shared_dir, name))
    assert (outcome.kind, outcome.records, outcome.stored) == (kind, records, rows)
    table = RECORD_TABLES[kind]
    stored = session.execute(select(table.message_id, table.publisher, table.loaded_at)).all()  # type: ignore[attr-defined]
    assert len(stored) == rows
    assert {row.message_id for row in stored} == {outcome.message_id}
    assert {row.publisher for row in stored} == {ADMIN}
    assert all(row.loaded_at.tzinfo is not None for row in stored)
    message = session.get(Message, outcome.message_id)
    assert message is not None
    assert (message.status, message.kind, message.record_count, message.body) == (
        MessageStatus.ACCEPTED,
        kind,
        records,
        None,
    )


@pytest.mark.parametrize("name", [row[0] for row in SAMPLE_ROWS])
def test_loading_a_file_twice_changes_no_row_and_no_summary(
    session: Session, settings: Settings, shared_dir: Path, name: str
) -> None:
    body = sample(shared_dir, name)
    first = load(session, settings, body)
    before = dump(session)
    second = load(session, settings, body)
    assert (second.message_id, second.records, second.stored) == (
        first.message_id,
        first.records,
        0,
    )
    assert dump(session) == before


def test_an_identical_resend_keeps_first_received_at_and_moves_last_received_at(
    session: Session, settings: Settings, shared_dir: Path
) -> None:
    body = sample(shared_dir, "sync_v01.txt")
    with time_machine.travel(datetime(2026, 11, 1, 8, 0, tzinfo=UTC), tick=False) as clock:
        first = load(session, settings, body)
        clock.shift(3600)
        load(session, settings, body)
    message = session.get(Message, first.message_id)
    assert message is not None
    assert message.first_received_at == datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    assert message.last_received_at == datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    assert count(session, Message) == 1


def test_a_sample_loaded_record_by_record_sums_as_a_rebuild(
    session: Session, settings: Settings, shared_dir: Path
) -> None:
    """Each message adds to the groups of the earlier ones (the normalised durations are
    rounded from the exact units accumulated, to whole HS06·s)."""
    header, records = split(sample(shared_dir, JOB))
    for record in records:
        load(session, settings, join(header, [record]))
    assert session.scalar(select(func.max(SuperSummary.number_of_jobs))) == 4
    assert not session.scalar(select(func.count()).where(SuperSummary.dirty.is_(True)))
    assert_summaries_equal_a_rebuild(session)


# --- last loaded wins ----------------------------------------------------------------------------


def test_a_modified_job_resend_replaces_every_column_and_moves_the_summaries(
    session: Session, settings: Settings, shared_dir: Path
) -> None:
    body = sample(shared_dir, "job_v03_individual.txt")
    load(session, settings, body)
    header, records = split(body)
    changed = replace_line(records[0], "FQAN", "/cms/Role=pilot/Capability=NULL")
    changed = replace_line(changed, "CpuDuration", "70000")
    changed = replace_line(changed, "MachineName", "wn99.site-alpha.example.org")
    jobs = select(func.sum(SuperSummary.number_of_jobs)).where(SuperSummary.source == "jobs")
    cms_jobs = jobs.where(SuperSummary.vo == "cms")
    cms_before = session.scalar(cms_jobs)
    cpu_before = session.scalar(
        select(func.sum(SuperSummary.cpu_duration)).where(SuperSummary.source == "jobs")
    )
    resend = load(session, settings, join(header, [changed]))
    assert (resend.records, resend.stored) == (1, 1)
    row = session.scalars(select(JobRecord).where(JobRecord.local_job_id == "5000100.0")).one()
    assert (row.vo, row.vo_group, row.vo_role, row.cpu_duration, row.machine_name) == (
        "cms",
        "/cms",
        "Role=pilot",
        70000,
        "wn99.site-alpha.example.org",
    )
    assert (row.message_id, row.fqan) == (resend.message_id, "/cms/Role=pilot/Capability=NULL")
    assert_row_is(row, RecordKind.JOB, join(header, [changed]))
    assert count(session, JobRecord) == 21
    assert session.scalar(jobs) == 21
    assert session.scalar(cms_jobs) == (cms_before or 0) + 1
    assert (
        session.scalar(
            select(func.sum(SuperSummary.cpu_duration)).where(SuperSummary.source == "jobs")
        )
        == (cpu_before or 0) + 70000 - 69011
    )
    assert_summaries_equal_a_rebuild(session)


def test_a_changed_september_moves_vm_bs_october_delta(
    session: Session, settings: Settings, shared_dir: Path
) -> None:
    """Cloud counters are cumulative: October's delta is October's snapshot minus the VM's
    September one, so a resent September with more CPU takes that CPU from October."""
    body = sample(shared_dir, "cloud_v04_caso.txt")
    load(session, settings, body)

    def vm_b_cpu(month: int) -> int | None:
        return session.scalar(
            select(CloudSuperSummary.cpu_duration).where(
                CloudSuperSummary.source == "records",
                CloudSuperSummary.month == month,
                CloudSuperSummary.global_user_name.like("%9f8e7d6c5b4a%"),
            )
        )

    assert (vm_b_cpu(9), vm_b_cpu(10)) == (3456000, 6912000 - 3456000)
    header, records = split(body)
    (september,) = [r for r in records if VM_B in r and "CpuDuration: 3456000" in r]
    changed = replace_line(september, "CpuDuration", "4000000")
    resend = load(session, settings, join(header, [changed]))
    assert resend.stored == 1
    row = session.scalars(
        select(CloudRecord).where(CloudRecord.vm_uuid == VM_B, CloudRecord.measurement_month == 9)
    ).one()
    assert (row.cpu_duration, row.message_id) == (4000000, resend.message_id)
    assert_row_is(row, RecordKind.CLOUD, join(header, [changed]))
    assert count(session, CloudRecord) == 7
    assert (vm_b_cpu(9), vm_b_cpu(10)) == (4000000, 6912000 - 4000000)
    assert_summaries_equal_a_rebuild(session)


# --- rejections ----------------------------------------------------------------------------------


def bad_int(body: bytes) -> bytes:
    header, records = split(body)
    records[2] = replace_line(records[2], "WallDuration", "12h")
    return join(header, records)


def unknown_field(body: bytes) -> bytes:
    header, records = split(body)
    records[0] += "\nColour: blue"
    return join(header, records)


def wrong_header(body: bytes) -> bytes:
    return body.replace(b"APEL-individual-job-message", b"APEL-individual-jobs-message", 1)


def truncated(body: bytes) -> bytes:
    return body[: len(body) // 2]


def malformed(body: bytes) -> bytes:
    return body[:-3]


DEFECTS = [
    (JOB, bad_int, "record 3: Invalid int value 12h in field WallDuration"),
    (JOB, unknown_field, "record 1: Unknown field: Colour"),
    (JOB, wrong_header, "Message type APEL-individual-jobs-message: v0.3 not recognised."),
    ("storage_star_caso.xml", truncated, "no element found: line 1, column 1133"),
    (
        "ip_v02_caso.json",
        malformed,
        "Malformed JSON: Expecting ',' delimiter: line 1 column 1828 (char 1827)",
    ),
]


@pytest.mark.parametrize(
    ("name", "mutate", "text"), DEFECTS, ids=[mutate.__name__ for _, mutate, _ in DEFECTS]
)
def test_a_defect_stores_nothing_but_the_rejection_with_apels_text(
    session: Session,
    settings: Settings,
    shared_dir: Path,
    name: str,
    mutate: Callable[[bytes], bytes],
    text: str,
) -> None:
    body = mutate(sample(shared_dir, name))
    before = dump(session)
    rejection = refuse(session, settings, body)
    assert rejection.error.detail == f"Parsing unsuccessful: {text}"
    assert dump(session) == before
    message = session.get(Message, rejection.message_id)
    assert message is not None
    assert (message.status, message.error, message.body, message.record_count) == (
        MessageStatus.REJECTED,
        rejection.error.detail,
        body.decode(),
        0,
    )
    assert (message.kind, message.publisher) == (None, ADMIN)


def test_a_vmuuid_stored_for_another_site_is_refused(
    session: Session, settings: Settings, shared_dir: Path
) -> None:
    body = sample(shared_dir, "cloud_v04_caso.txt")
    load(session, settings, body)
    before = dump(session)
    header, records = split(body)
    (october,) = [r for r in records if VM_B in r and "CpuDuration: 6912000" in r]
    taken = join(header, [replace_line(october, "SiteName", "OTHER-CLOUD")])
    rejection = refuse(session, settings, taken)
    assert isinstance(rejection.error, Forbidden)
    assert rejection.error.status == 403
    assert rejection.error.detail == (
        f"VMUUID {VM_B} is stored for site EXAMPLE-CLOUD-01, not OTHER-CLOUD"
    )
    assert dump(session) == before
    message = session.get(Message, rejection.message_id)
    assert message is not None
    assert (message.status, message.error) == (MessageStatus.REJECTED, rejection.error.detail)


# --- who may publish -----------------------------------------------------------------------------


def for_test_site(shared_dir: Path) -> bytes:
    return sample(shared_dir, "sync_v01.txt").replace(b"SITE-ALPHA", b"TEST-SITE")


def test_a_publisher_not_allowed_for_the_site_stores_only_the_rejection(
    session: Session, settings: Settings, shared_dir: Path, federation: Federation
) -> None:
    body = for_test_site(shared_dir)
    before = dump(session)
    member = federation.member.principal
    rejection = refuse(session, settings, body, actor=member)
    assert isinstance(rejection.error, Forbidden)
    assert (
        rejection.error.detail == f"publisher {member.subject} may not publish for site TEST-SITE"
    )
    assert dump(session) == before
    message = session.get(Message, rejection.message_id)
    assert message is not None
    assert (message.status, message.publisher, message.body) == (
        MessageStatus.REJECTED,
        member.subject,
        body.decode(),
    )


def test_a_refused_resend_of_an_accepted_message_leaves_it_accepted(
    session: Session, settings: Settings, shared_dir: Path, federation: Federation
) -> None:
    body = for_test_site(shared_dir)
    accepted = load(session, settings, body)
    before = dump(session, messages=True)
    rejection = refuse(session, settings, body, actor=federation.member.principal)
    assert isinstance(rejection.error, Forbidden)
    assert rejection.message_id == accepted.message_id
    assert dump(session, messages=True) == before


def test_a_service_account_bound_to_the_site_publishes(
    session: Session, settings: Settings, shared_dir: Path, federation: Federation
) -> None:
    subject = "apel-publisher@clients.fedcore.test"
    add_publisher(
        session=session, actor=federation.site_admin.principal, site="TEST-SITE", subject=subject
    )
    outcome = load(
        session, settings, for_test_site(shared_dir), actor=principal_for(subject, ADMIN)
    )
    assert outcome.stored == 3
    table = RECORD_TABLES[RecordKind.SYNC]
    assert set(session.scalars(select(table.publisher))) == {subject}  # type: ignore[attr-defined]


def test_the_host_dn_of_the_sites_apel_service_publishes_signed_messages(
    session: Session, settings: Settings, shared_dir: Path, federation: Federation
) -> None:
    registry.create_service(
        session=session,
        actor=federation.operator.principal,
        data=ServiceCreate(
            hostname="apel.test.example",
            service_type="gLite-APEL",
            site="TEST-SITE",
            scopes=["EGI"],
            host_dn=APEL_DN,
        ),
    )
    key_holder = principal_for("ams-key-holder@fedcore.test", ADMIN)
    outcome = load(
        session, settings, for_test_site(shared_dir), actor=key_holder, signer_dn=APEL_DN
    )
    assert outcome.stored == 3
    message = session.get(Message, outcome.message_id)
    assert message is not None
    assert (message.publisher, message.signer_dn) == (APEL_DN, APEL_DN)
    table = RECORD_TABLES[RecordKind.SYNC]
    assert set(session.scalars(select(table.publisher))) == {APEL_DN}  # type: ignore[attr-defined]
    other = sample(shared_dir, "sync_v01.txt").replace(b"SITE-ALPHA", b"OTHER-SITE")
    refused = refuse(session, settings, other, actor=key_holder, signer_dn=APEL_DN)
    assert refused.error.detail == f"publisher {APEL_DN} may not publish for site OTHER-SITE"
