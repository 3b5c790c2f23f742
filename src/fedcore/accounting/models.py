"""SQLAlchemy models of accounting (tables ``accounting_*``); the design is in docs/accounting.md.

* **Records**, one table per family of :data:`fedcore.accounting.formats.records.FAMILIES`, with
  exactly the family's columns (APEL's field names in snake_case, then the derived columns),
  APEL's string widths (255, ``queue`` and ``infrastructure_description`` 100,
  ``infrastructure_type`` 20), and the family's uniqueness key as a named constraint
  ``uq_<table>_key`` that the loader's ``ON CONFLICT`` targets (last loaded wins, reference §6).
  Key columns and strings are NOT NULL: a missing optional string is the literal ``'None'``
  (§1.3), so keys collide where a NULL would never be equal; numbers and times a record may
  leave out are NULL, as in APEL. Durations, byte counts and memory are ``BigInteger``: a job's
  CPU time summed over thousands of cores passes 2^31 seconds.
* ``service_level`` is a ``Float``, not APEL's DECIMAL(10,3). Loading is as fast either way
  (an executemany of 200,000 rows took the same time within noise on SQLite and PostgreSQL),
  but a ``Numeric`` reads back as a ``Decimal`` per row, and SQLite has no decimal type: it
  stores ``8.1234`` unrounded and rounds only on reading, so the same key would compare
  differently on the two databases. The parsers produce floats and the super-summary's key
  holds the value as a ``Float``, so records, received summaries and the super-summary compare
  one type.
* Every record row carries its **provenance**: the message it came in (``message_id``), the
  ``publisher`` (token subject or S/MIME signer DN, APEL's PublisherDN, §1.1) and ``loaded_at``.
* **Messages** (:class:`Message`): one row per distinct body (sha256), accepted or rejected;
  the body is kept only for rejected messages (§2.2).
* **Publishers** (:class:`Publisher`): a subject allowed to publish a site's records.
* **Derived tables** (:class:`SuperSummary`, :class:`CloudSuperSummary`,
  :class:`AcceleratorSummary`), updated incrementally by the loader and rebuilt by
  ``summarise``; reports read only them. Their keys are NOT NULL as well: a key value that a
  record may leave NULL (an accelerator's cores or benchmark) is summarised as ``0``, so that
  groups collide.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from fedcore.accounting.formats.records import (
    ACCELERATOR,
    CLOUD,
    CLOUD_SUMMARY,
    JOB,
    NORMALISED_SUMMARY,
    PUBLIC_IP,
    STORAGE,
    SUMMARY,
    SYNC,
    RecordKind,
)
from fedcore.accounting.summaries import (
    ACCELERATOR_SUMMARY_KEY,
    CLOUD_SUPER_SUMMARY_KEY,
    SUPER_SUMMARY_KEY,
)
from fedcore.core.db import Base, UTCDateTime, utcnow


class Message(Base):
    """A received message: what it was, who sent it how, and whether it was stored.

    ``kind`` is NULL for a message rejected before its family was known (bad header, XML or
    JSON). A resend of the same body finds this row by ``sha256`` and only moves
    ``last_received_at``.
    """

    __tablename__ = "accounting_message"
    __table_args__ = (
        Index("ix_accounting_message_status_received", "status", "first_received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str | None] = mapped_column(String(32))
    header: Mapped[str] = mapped_column(String(255), default="")
    transport: Mapped[str] = mapped_column(String(8))
    publisher: Mapped[str] = mapped_column(String(1000))
    signer_dn: Mapped[str | None] = mapped_column(String(1000))
    empaid: Mapped[str | None] = mapped_column(String(255))
    first_received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)


class Publisher(Base):
    """A subject (a service account's, or any token subject) bound to publish for a site."""

    __tablename__ = "accounting_publisher"
    __table_args__ = (UniqueConstraint("site", "subject", name="uq_accounting_publisher_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(1000))
    created_by: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class _Provenance:
    """Where a record row came from (last loaded wins: a replaced row takes the new values)."""

    message_id: Mapped[int] = mapped_column(ForeignKey("accounting_message.id"), index=True)
    publisher: Mapped[str] = mapped_column(String(1000))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class JobRecord(_Provenance, Base):
    """An individual job (§1.4), from APEL text v0.1 to v0.4 or CAR XML (§1.13)."""

    __tablename__ = "accounting_job"
    __table_args__ = (
        UniqueConstraint(*JOB.key, name="uq_accounting_job_key"),
        Index("ix_accounting_job_end_year_month", "end_year", "end_month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(255))
    submit_host: Mapped[str] = mapped_column(String(255))
    machine_name: Mapped[str] = mapped_column(String(255))
    queue: Mapped[str] = mapped_column(String(100))
    local_job_id: Mapped[str] = mapped_column(String(255))
    local_user_id: Mapped[str] = mapped_column(String(255))
    global_user_name: Mapped[str] = mapped_column(String(255))
    fqan: Mapped[str] = mapped_column(String(255))
    vo: Mapped[str] = mapped_column(String(255))
    vo_group: Mapped[str] = mapped_column(String(255))
    vo_role: Mapped[str] = mapped_column(String(255))
    wall_duration: Mapped[int | None] = mapped_column(BigInteger)
    cpu_duration: Mapped[int | None] = mapped_column(BigInteger)
    processors: Mapped[int] = mapped_column(Integer)
    node_count: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime] = mapped_column(UTCDateTime())
    infrastructure_description: Mapped[str] = mapped_column(String(100))
    infrastructure_type: Mapped[str] = mapped_column(String(20))
    memory_real: Mapped[int | None] = mapped_column(BigInteger)
    memory_virtual: Mapped[int | None] = mapped_column(BigInteger)
    service_level_type: Mapped[str] = mapped_column(String(255))
    service_level: Mapped[float | None] = mapped_column(Float)
    end_year: Mapped[int] = mapped_column(Integer)
    end_month: Mapped[int] = mapped_column(Integer)


class SummaryRecord(_Provenance, Base):
    """A received job summary, v0.2 or v0.4 (§1.5)."""

    __tablename__ = "accounting_summary"
    __table_args__ = (
        UniqueConstraint(*SUMMARY.key, name="uq_accounting_summary_key"),
        Index("ix_accounting_summary_year_month", "year", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(255))
    month: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    global_user_name: Mapped[str] = mapped_column(String(255))
    vo: Mapped[str] = mapped_column(String(255))
    vo_group: Mapped[str] = mapped_column(String(255))
    vo_role: Mapped[str] = mapped_column(String(255))
    submit_host: Mapped[str] = mapped_column(String(255))
    infrastructure_type: Mapped[str] = mapped_column(String(20))
    infrastructure_description: Mapped[str] = mapped_column(String(100))
    service_level_type: Mapped[str] = mapped_column(String(255))
    service_level: Mapped[float] = mapped_column(Float)
    node_count: Mapped[int] = mapped_column(Integer)
    processors: Mapped[int] = mapped_column(Integer)
    earliest_end_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    latest_end_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    wall_duration: Mapped[int | None] = mapped_column(BigInteger)
    cpu_duration: Mapped[int | None] = mapped_column(BigInteger)
    number_of_jobs: Mapped[int | None] = mapped_column(Integer)


class NormalisedSummaryRecord(_Provenance, Base):
    """A received normalised job summary, v0.3 or normalised v0.4 (§1.6)."""

    __tablename__ = "accounting_normalised_summary"
    __table_args__ = (
        UniqueConstraint(*NORMALISED_SUMMARY.key, name="uq_accounting_normalised_summary_key"),
        Index("ix_accounting_normalised_summary_year_month", "year", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(255))
    month: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    global_user_name: Mapped[str] = mapped_column(String(255))
    vo: Mapped[str] = mapped_column(String(255))
    vo_group: Mapped[str] = mapped_column(String(255))
    vo_role: Mapped[str] = mapped_column(String(255))
    submit_host: Mapped[str] = mapped_column(String(255))
    infrastructure: Mapped[str] = mapped_column(String(255))
    service_level_type: Mapped[str] = mapped_column(String(255))
    node_count: Mapped[int] = mapped_column(Integer)
    processors: Mapped[int] = mapped_column(Integer)
    earliest_end_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    latest_end_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    wall_duration: Mapped[int | None] = mapped_column(BigInteger)
    cpu_duration: Mapped[int | None] = mapped_column(BigInteger)
    normalised_wall_duration: Mapped[int | None] = mapped_column(BigInteger)
    normalised_cpu_duration: Mapped[int | None] = mapped_column(BigInteger)
    number_of_jobs: Mapped[int | None] = mapped_column(Integer)


class SyncRecord(_Provenance, Base):
    """How many jobs a site holds per submit host and month (§1.7)."""

    __tablename__ = "accounting_sync"
    __table_args__ = (UniqueConstraint(*SYNC.key, name="uq_accounting_sync_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(255))
    submit_host: Mapped[str] = mapped_column(String(255))
    number_of_jobs: Mapped[int | None] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)


class CloudRecord(_Provenance, Base):
    """A VM's cumulative usage, one row per VM and month (§1.8)."""

    __tablename__ = "accounting_cloud"
    __table_args__ = (
        UniqueConstraint(*CLOUD.key, name="uq_accounting_cloud_key"),
        Index("ix_accounting_cloud_vm_uuid_measurement_time", "vm_uuid", "measurement_time"),
        Index("ix_accounting_cloud_year_month", "measurement_year", "measurement_month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_create_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    vm_uuid: Mapped[str] = mapped_column(String(255))
    site_name: Mapped[str] = mapped_column(String(255))
    cloud_compute_service: Mapped[str] = mapped_column(String(255))
    machine_name: Mapped[str] = mapped_column(String(255))
    local_user_id: Mapped[str] = mapped_column(String(255))
    local_group_id: Mapped[str] = mapped_column(String(255))
    global_user_name: Mapped[str] = mapped_column(String(255))
    fqan: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(255))
    start_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspend_duration: Mapped[int | None] = mapped_column(BigInteger)
    wall_duration: Mapped[int | None] = mapped_column(BigInteger)
    cpu_duration: Mapped[int | None] = mapped_column(BigInteger)
    cpu_count: Mapped[float | None] = mapped_column(Float)
    network_type: Mapped[str] = mapped_column(String(255))
    network_inbound: Mapped[int | None] = mapped_column(BigInteger)
    network_outbound: Mapped[int | None] = mapped_column(BigInteger)
    public_ip_count: Mapped[int | None] = mapped_column(Integer)
    memory: Mapped[int | None] = mapped_column(BigInteger)
    disk: Mapped[int | None] = mapped_column(Integer)
    benchmark_type: Mapped[str] = mapped_column(String(255))
    benchmark: Mapped[float | None] = mapped_column(Float)
    storage_record_id: Mapped[str] = mapped_column(String(255))
    image_id: Mapped[str] = mapped_column(String(255))
    cloud_type: Mapped[str] = mapped_column(String(255))
    vo: Mapped[str] = mapped_column(String(255))
    vo_group: Mapped[str] = mapped_column(String(255))
    vo_role: Mapped[str] = mapped_column(String(255))
    measurement_time: Mapped[datetime] = mapped_column(UTCDateTime())
    measurement_month: Mapped[int] = mapped_column(Integer)
    measurement_year: Mapped[int] = mapped_column(Integer)


class CloudSummaryRecord(_Provenance, Base):
    """A received cloud summary (§1.9)."""

    __tablename__ = "accounting_cloud_summary"
    __table_args__ = (
        UniqueConstraint(*CLOUD_SUMMARY.key, name="uq_accounting_cloud_summary_key"),
        Index("ix_accounting_cloud_summary_year_month", "year", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_name: Mapped[str] = mapped_column(String(255))
    cloud_compute_service: Mapped[str] = mapped_column(String(255))
    month: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    global_user_name: Mapped[str] = mapped_column(String(255))
    vo: Mapped[str] = mapped_column(String(255))
    vo_group: Mapped[str] = mapped_column(String(255))
    vo_role: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(255))
    cloud_type: Mapped[str] = mapped_column(String(255))
    image_id: Mapped[str] = mapped_column(String(255))
    earliest_start_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    latest_start_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    wall_duration: Mapped[int | None] = mapped_column(BigInteger)
    cpu_duration: Mapped[int | None] = mapped_column(BigInteger)
    cpu_count: Mapped[float] = mapped_column(Float)
    network_inbound: Mapped[int | None] = mapped_column(BigInteger)
    network_outbound: Mapped[int | None] = mapped_column(BigInteger)
    memory: Mapped[int | None] = mapped_column(BigInteger)
    disk: Mapped[int | None] = mapped_column(Integer)
    benchmark_type: Mapped[str] = mapped_column(String(255))
    benchmark: Mapped[float] = mapped_column(Float)
    number_of_vms: Mapped[int | None] = mapped_column(Integer)


class StorageRecord(_Provenance, Base):
    """A StAR storage snapshot (§1.10); a volume's next snapshot replaces it."""

    __tablename__ = "accounting_storage"
    __table_args__ = (
        UniqueConstraint(*STORAGE.key, name="uq_accounting_storage_key"),
        Index("ix_accounting_storage_site_end_time", "site", "end_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[str] = mapped_column(String(255))
    create_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    storage_system: Mapped[str] = mapped_column(String(255))
    site: Mapped[str] = mapped_column(String(255))
    storage_share: Mapped[str] = mapped_column(String(255))
    storage_media: Mapped[str] = mapped_column(String(255))
    storage_class: Mapped[str] = mapped_column(String(255))
    file_count: Mapped[int | None] = mapped_column(BigInteger)
    directory_path: Mapped[str] = mapped_column(String(255))
    local_user: Mapped[str] = mapped_column(String(255))
    local_group: Mapped[str] = mapped_column(String(255))
    user_identity: Mapped[str] = mapped_column(String(255))
    group_name: Mapped[str] = mapped_column(String(255))
    sub_group: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(255))
    start_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resource_capacity_used: Mapped[int | None] = mapped_column(BigInteger)
    logical_capacity_used: Mapped[int | None] = mapped_column(BigInteger)
    resource_capacity_allocated: Mapped[int | None] = mapped_column(BigInteger)


class AcceleratorRecord(_Provenance, Base):
    """An accelerator's per-month usage (§1.11)."""

    __tablename__ = "accounting_accelerator"
    __table_args__ = (
        UniqueConstraint(*ACCELERATOR.key, name="uq_accounting_accelerator_key"),
        Index("ix_accounting_accelerator_year_month", "measurement_year", "measurement_month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measurement_month: Mapped[int] = mapped_column(Integer)
    measurement_year: Mapped[int] = mapped_column(Integer)
    associated_record_type: Mapped[str] = mapped_column(String(255))
    associated_record: Mapped[str] = mapped_column(String(255))
    global_user_name: Mapped[str] = mapped_column(String(255))
    fqan: Mapped[str] = mapped_column(String(255))
    site_name: Mapped[str] = mapped_column(String(255))
    count: Mapped[float | None] = mapped_column(Float)
    cores: Mapped[int | None] = mapped_column(Integer)
    active_duration: Mapped[int | None] = mapped_column(BigInteger)
    available_duration: Mapped[int | None] = mapped_column(BigInteger)
    benchmark_type: Mapped[str] = mapped_column(String(255))
    benchmark: Mapped[float | None] = mapped_column(Float)
    type: Mapped[str] = mapped_column(String(255))
    model: Mapped[str] = mapped_column(String(255))
    vo: Mapped[str] = mapped_column(String(255))
    vo_group: Mapped[str] = mapped_column(String(255))
    vo_role: Mapped[str] = mapped_column(String(255))


class PublicIpRecord(_Provenance, Base):
    """The public IPs a user holds, the month's last snapshot (§1.12)."""

    __tablename__ = "accounting_public_ip"
    __table_args__ = (
        UniqueConstraint(*PUBLIC_IP.key, name="uq_accounting_public_ip_key"),
        Index("ix_accounting_public_ip_year_month", "measurement_year", "measurement_month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measurement_time: Mapped[datetime] = mapped_column(UTCDateTime())
    site_name: Mapped[str] = mapped_column(String(255))
    cloud_compute_service: Mapped[str] = mapped_column(String(255))
    cloud_type: Mapped[str] = mapped_column(String(255))
    local_user: Mapped[str] = mapped_column(String(255))
    local_group: Mapped[str] = mapped_column(String(255))
    global_user_name: Mapped[str] = mapped_column(String(255))
    fqan: Mapped[str] = mapped_column(String(255))
    ip_version: Mapped[int] = mapped_column(Integer)
    ip_count: Mapped[int | None] = mapped_column(Integer)
    vo: Mapped[str] = mapped_column(String(255))
    vo_group: Mapped[str] = mapped_column(String(255))
    vo_role: Mapped[str] = mapped_column(String(255))
    measurement_month: Mapped[int] = mapped_column(Integer)
    measurement_year: Mapped[int] = mapped_column(Integer)


class StorageGroupAttribute(_Provenance, Base):
    """A StAR GroupAttribute other than subgroup and role, keyed by its record (§1.10)."""

    __tablename__ = "accounting_storage_group_attribute"
    __table_args__ = (
        UniqueConstraint(
            "record_id", "attribute_type", name="uq_accounting_storage_group_attribute_key"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[str] = mapped_column(String(255))
    attribute_type: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(255))


RECORD_TABLES: dict[RecordKind, type[Base]] = {
    RecordKind.JOB: JobRecord,
    RecordKind.SUMMARY: SummaryRecord,
    RecordKind.NORMALISED_SUMMARY: NormalisedSummaryRecord,
    RecordKind.SYNC: SyncRecord,
    RecordKind.CLOUD: CloudRecord,
    RecordKind.CLOUD_SUMMARY: CloudSummaryRecord,
    RecordKind.STORAGE: StorageRecord,
    RecordKind.ACCELERATOR: AcceleratorRecord,
    RecordKind.PUBLIC_IP: PublicIpRecord,
}
"""The table of each record family (StAR group attributes go to :class:`StorageGroupAttribute`)."""


class _Summary:
    """A summary group's state: ``dirty`` when a load took away a record holding one of its
    extremes (rebuilt by the ``accounting.summarise-dirty`` job), and when it last changed."""

    dirty: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SuperSummary(_Summary, Base):
    """APEL's HybridSuperSummaries (§2.4): job usage per site, month, user, VO role, submit
    host, infrastructure, benchmark and cores, kept apart per ``source`` (SummarySource).

    Normalised durations are benchmark-scaled seconds, rounded from the exact sums kept in
    ``normalised_*_units`` (1/250,000 HS06·s, see ``fedcore.accounting.summaries``) to which the
    loader adds; a received normalised summary has ``service_level`` 0.
    """

    __tablename__ = "accounting_super_summary"
    __table_args__ = (
        UniqueConstraint(*SUPER_SUMMARY_KEY, name="uq_accounting_super_summary_key"),
        Index("ix_accounting_super_summary_year_month", "year", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    site: Mapped[str] = mapped_column(String(255))
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    global_user_name: Mapped[str] = mapped_column(String(255))
    vo: Mapped[str] = mapped_column(String(255))
    vo_group: Mapped[str] = mapped_column(String(255))
    vo_role: Mapped[str] = mapped_column(String(255))
    submit_host: Mapped[str] = mapped_column(String(255))
    infrastructure: Mapped[str] = mapped_column(String(255))
    service_level_type: Mapped[str] = mapped_column(String(255))
    service_level: Mapped[float] = mapped_column(Float)
    node_count: Mapped[int] = mapped_column(Integer)
    processors: Mapped[int] = mapped_column(Integer)
    earliest_end_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    latest_end_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    wall_duration: Mapped[int] = mapped_column(BigInteger, default=0)
    cpu_duration: Mapped[int] = mapped_column(BigInteger, default=0)
    normalised_wall_duration: Mapped[int] = mapped_column(BigInteger, default=0)
    normalised_cpu_duration: Mapped[int] = mapped_column(BigInteger, default=0)
    normalised_wall_units: Mapped[int] = mapped_column(BigInteger, default=0)
    normalised_cpu_units: Mapped[int] = mapped_column(BigInteger, default=0)
    number_of_jobs: Mapped[int] = mapped_column(BigInteger, default=0)


class CloudSuperSummary(_Summary, Base):
    """The CloudSummaries grouping (§2.4) of per-VM-month deltas (``source`` ``records``) and
    of received cloud summaries (``received``)."""

    __tablename__ = "accounting_cloud_super_summary"
    __table_args__ = (
        UniqueConstraint(*CLOUD_SUPER_SUMMARY_KEY, name="uq_accounting_cloud_super_summary_key"),
        Index("ix_accounting_cloud_super_summary_year_month", "year", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    site_name: Mapped[str] = mapped_column(String(255))
    cloud_compute_service: Mapped[str] = mapped_column(String(255))
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    global_user_name: Mapped[str] = mapped_column(String(255))
    vo: Mapped[str] = mapped_column(String(255))
    vo_group: Mapped[str] = mapped_column(String(255))
    vo_role: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(255))
    image_id: Mapped[str] = mapped_column(String(255))
    cpu_count: Mapped[float] = mapped_column(Float)
    benchmark_type: Mapped[str] = mapped_column(String(255))
    benchmark: Mapped[float] = mapped_column(Float)
    cloud_type: Mapped[str] = mapped_column(String(255))
    earliest_start_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    latest_start_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    wall_duration: Mapped[int] = mapped_column(BigInteger, default=0)
    cpu_duration: Mapped[int] = mapped_column(BigInteger, default=0)
    network_inbound: Mapped[int] = mapped_column(BigInteger, default=0)
    network_outbound: Mapped[int] = mapped_column(BigInteger, default=0)
    memory: Mapped[int] = mapped_column(BigInteger, default=0)
    disk: Mapped[int] = mapped_column(BigInteger, default=0)
    number_of_vms: Mapped[int] = mapped_column(BigInteger, default=0)


class AcceleratorSummary(_Summary, Base):
    """SummariseAccelerators (§1.11, §2.4): per-month totals of accelerator records."""

    __tablename__ = "accounting_accelerator_summary"
    __table_args__ = (
        UniqueConstraint(*ACCELERATOR_SUMMARY_KEY, name="uq_accounting_accelerator_summary_key"),
        Index("ix_accounting_accelerator_summary_year_month", "year", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    associated_record_type: Mapped[str] = mapped_column(String(255))
    global_user_name: Mapped[str] = mapped_column(String(255))
    site_name: Mapped[str] = mapped_column(String(255))
    cores: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(255))
    model: Mapped[str] = mapped_column(String(255))
    benchmark: Mapped[float] = mapped_column(Float)
    benchmark_type: Mapped[str] = mapped_column(String(255))
    available_duration: Mapped[int] = mapped_column(BigInteger, default=0)
    active_duration: Mapped[int] = mapped_column(BigInteger, default=0)
    number_of_records: Mapped[int] = mapped_column(BigInteger, default=0)
