"""Accounting test helpers: messages loaded as the operator, APEL text and JSON messages built
from field values, and a summary table read back as comparable rows."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.accounting.enums import Transport
from fedcore.accounting.service.loader import LoadResult, Origin, Rejection, submit_message
from fedcore.core.config import Settings
from fedcore.core.db import Base
from fedcore.core.security import Principal, principal_for
from tests.registry.factories import ADMIN

OPERATOR = principal_for(ADMIN, ADMIN)
SAMPLES = "samples/accounting"
JOB_HEADER = "APEL-individual-job-message: v0.3"
CLOUD_HEADER = "APEL-cloud-message: v0.4"

CLOUD_SUMMARY_MESSAGE = """APEL-cloud-summary-message: v0.4
SiteName: {site}
CloudComputeService: https://keystone.other.example:5000/v3
Month: 10
Year: 2026
GlobalUserName: https://aai.egi.eu/auth/realms/egi#1a2b3c4d5e6f@egi.eu
VO: vo.example.org
VOGroup: /vo.example.org
VORole: Role=NULL
Status: completed
CloudType: OpenStack
ImageId: debian-12
EarliestStartTime: 1790812800
LatestStartTime: 1790812800
WallDuration: 3600
CpuDuration: 7200
CpuCount: 2
NetworkInbound: 1
NetworkOutbound: 2
Memory: 2048
Disk: 20
BenchmarkType: HEPscore23
Benchmark: 10.0
NumberOfVMs: 1
%%
"""
"""A received cloud summary of one VM for October 2026, of the site ``{site}``."""


def sample(shared_dir: Path, name: str) -> bytes:
    return (shared_dir / SAMPLES / name).read_bytes()


def load(
    session: Session, settings: Settings, body: bytes, actor: Principal = OPERATOR
) -> LoadResult:
    """Load one message through the loader (the CLI's transport); it must be accepted."""
    outcome = submit_message(
        session=session, settings=settings, origin=Origin(Transport.CLI, actor), body=body
    )
    assert not isinstance(outcome, Rejection), outcome.error.detail
    return outcome


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return str(int(value.timestamp()))
    return str(value)


def text_message(header: str, records: Sequence[Mapping[str, Any]]) -> bytes:
    """An APEL key/value message: the header, then ``Field: value`` lines per record, each
    record ended by ``%%`` (times as epoch seconds)."""
    lines = [header]
    for record in records:
        lines.extend(f"{name}: {_text(value)}" for name, value in record.items())
        lines.append("%%")
    return ("\n".join(lines) + "\n").encode()


def accelerator_message(records: Sequence[Mapping[str, Any]]) -> bytes:
    envelope = {"Type": "APEL-accelerator-message", "Version": "0.1", "UsageRecords": records}
    return json.dumps(envelope).encode()


def dump(session: Session, model: type[Base]) -> list[tuple[Any, ...]]:
    """Every row of a summary table, without its id and update time, sorted: two dumps are
    equal when the tables hold the same groups with the same values."""
    table = model.__table__
    columns = [column for column in table.c if column.name not in ("id", "updated_at")]
    session.flush()
    return sorted(
        (tuple(row) for row in session.execute(select(*columns))),
        key=lambda row: tuple((value is None, str(value)) for value in row),
    )
