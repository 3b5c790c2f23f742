"""The demo accounting: seven months of usage from the demo federation's sites, loaded as APEL
messages through the one loader, as ``fedcore accounting load`` loads a site's files.

Every site with an APEL service (``gLite-APEL``) reports its grid jobs month by month, in
messages of at most 1,000 records, with its own benchmark (HEPSPEC, HEPscore23, or si2k at the
oldest site), and the sync records of the three months before this one; CSCS-LCG2's sync of
the earliest of them says it ran 12 jobs more than it sent, which the sync view shows as
missing. Sites with a cASO
publisher (``eu.egi.cloud.accounting``) report VMs with cumulative counters snapshot by
snapshot, volumes (StAR), GPUs and public IPs. The communities are the AAI demo's
``vo.demo.example`` (with its ``cloud`` group) and ``biomed.demo.example``, plus ``atlas``,
which the AAI does not know (listed by the data-quality view). One message with a defect is
rejected, as a publisher would see it.

The values are seeded, so the story is the same for the same instant.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from fedcore.accounting.enums import Transport
from fedcore.accounting.formats.writer import text_message
from fedcore.accounting.service import loader
from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.security import principal_for
from fedcore.registry import service as registry
from fedcore.registry.schemas import ServiceFilter

SEED = 20261126
MONTHS = 7
"""Months with usage: this one and the six before."""
MESSAGE_RECORDS = 1_000

USERS = [
    ("/DC=org/DC=example/OU=People/CN=Anna Meier", "/vo.demo.example/Role=NULL"),
    ("/DC=org/DC=example/OU=People/CN=Luka Novak", "/vo.demo.example/cloud/Role=vm_operator"),
    ("/DC=org/DC=example/OU=People/CN=Giulia Rossi", "/biomed.demo.example/Role=NULL"),
    ("/DC=org/DC=example/OU=People/CN=Jonas Weber", "/atlas/Role=production"),
    ("/DC=org/DC=example/OU=People/CN=Petra Zupan", "/atlas/Role=NULL"),
    ("/DC=org/DC=example/OU=People/CN=Marc Keller", "/biomed.demo.example/Role=NULL"),
]
BENCHMARKS = [("HEPSPEC", 12.4), ("HEPscore23", 15.1), ("HEPSPEC", 10.8), ("si2k", 2_600.0)]
JOB_HEADER = "APEL-individual-job-message: v0.3"
SYNC_HEADER = "APEL-sync-message: v0.1"
CLOUD_HEADER = "APEL-cloud-message: v0.4"


def _months(now: datetime) -> list[datetime]:
    """The first instant of each demo month, oldest first."""
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    months = [first]
    for _ in range(MONTHS - 1):
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return months[::-1]


def _month_end(start: datetime, now: datetime) -> datetime:
    following = (start + timedelta(days=32)).replace(day=1)
    return min(following, now)


def _sites(session: Session, service_type: str) -> list[tuple[str, str]]:
    """(site, host) of the services of a type, by site name."""
    page = registry.list_services(
        session=session, filter=ServiceFilter(service_type=service_type), limit=1000
    )
    return sorted((service.site.short_name, service.hostname) for service in page.items)


def _jobs(site: str, index: int, months: list[datetime], now: datetime) -> list[dict[str, Any]]:
    rng = random.Random(f"{SEED}-{site}")  # noqa: S311 (seeded demo data, not secrets)
    benchmark_type, benchmark = BENCHMARKS[index % len(BENCHMARKS)]
    submit_hosts = [f"ce01.{site.lower()}.example", f"ce02.{site.lower()}.example"]
    jobs = []
    for month in months:
        end_of_month = _month_end(month, now)
        span = (end_of_month - month).total_seconds()
        for number in range(rng.randint(150, 450)):
            user, fqan = rng.choice(USERS)
            processors = rng.choice((1, 1, 1, 8))
            wall = rng.randint(600, 86_400)
            end = month + timedelta(seconds=rng.uniform(wall / 10, span - 1))
            start = max(end - timedelta(seconds=wall), month)
            jobs.append(
                {
                    "Site": site,
                    "SubmitHost": rng.choice(submit_hosts),
                    "MachineName": f"wn{rng.randint(1, 40):03d}.{site.lower()}.example",
                    "Queue": rng.choice(("long", "short")),
                    "LocalJobId": f"{month:%Y%m}{number:05d}.0",
                    "LocalUserId": f"pool{rng.randint(1, 30):03d}",
                    "GlobalUserName": user,
                    "FQAN": fqan,
                    "WallDuration": wall,
                    "CpuDuration": int(wall * processors * rng.uniform(0.55, 0.98)),
                    "Processors": processors,
                    "NodeCount": 1,
                    "StartTime": start,
                    "EndTime": end,
                    "InfrastructureDescription": "APEL-ARC-SLURM",
                    "InfrastructureType": "grid",
                    "ServiceLevelType": benchmark_type,
                    "ServiceLevel": benchmark,
                }
            )
    return jobs


def _sync(site: str, jobs: list[dict[str, Any]], months: list[datetime]) -> list[dict[str, Any]]:
    """The last three months' job counts per submit host, as the site's own database has them."""
    counts: dict[tuple[str, int, int], int] = {}
    for job in jobs:
        end = job["EndTime"]
        key = (job["SubmitHost"], end.year, end.month)
        counts[key] = counts.get(key, 0) + 1
    recent = {(month.year, month.month) for month in months[-4:-1]}
    records = []
    for (host, year, month), count in sorted(counts.items()):
        if (year, month) not in recent:
            continue
        unsent = 12 if site == "CSCS-LCG2" and (year, month) == min(recent) else 0
        records.append(
            {
                "Site": site,
                "SubmitHost": host,
                "NumberOfJobs": count + unsent,
                "Month": month,
                "Year": year,
            }
        )
    return records


def _vm_snapshots(site: str, months: list[datetime], now: datetime) -> list[dict[str, Any]]:
    """cASO's monthly snapshots of each VM: counters cumulative since the VM started."""
    rng = random.Random(f"{SEED}-{site}-vms")  # noqa: S311 (seeded demo data, not secrets)
    snapshots = []
    for number in range(14):
        user, fqan = rng.choice(USERS[:3])
        started = months[rng.randrange(len(months))] + timedelta(days=rng.uniform(0, 20))
        lifetime = timedelta(days=rng.uniform(3, 120))
        ended = started + lifetime if started + lifetime < now else None
        cores = rng.choice((2, 4, 8))
        for month in months:
            snapshot = min(_month_end(month, now), ended or now) - timedelta(seconds=1)
            if snapshot < started or snapshot < month:
                continue
            wall = int((snapshot - started).total_seconds())
            completed = ended is not None and snapshot >= ended - timedelta(seconds=1)
            snapshots.append(
                {
                    "VMUUID": f"{site.lower()}-vm-{number:04d}",
                    "SiteName": site,
                    "CloudComputeService": f"nova.{site.lower()}.example",
                    "MachineName": f"vm-{number:04d}",
                    "LocalUserId": f"user{number % 5}",
                    "LocalGroupId": fqan.split("/")[1],
                    "GlobalUserName": user,
                    "FQAN": fqan,
                    "Status": "completed" if completed else "started",
                    "StartTime": started,
                    "EndTime": ended if completed else 0,
                    "SuspendDuration": 0,
                    "WallDuration": max(wall, 1),
                    "CpuDuration": max(int(wall * cores * 0.4), 1),
                    "CpuCount": cores,
                    "NetworkType": "None",
                    "NetworkInbound": wall // 3_600,
                    "NetworkOutbound": wall // 7_200,
                    "PublicIPCount": 1,
                    "Memory": cores * 2_048,
                    "Disk": 40,
                    "BenchmarkType": "HEPscore23",
                    "Benchmark": 14.0,
                    "ImageId": rng.choice(("ubuntu-24.04", "almalinux-9")),
                    "CloudType": "caso/5.2.2 (OpenStack)",
                }
            )
    return snapshots


def _storage(site: str, now: datetime) -> str:
    volumes = "".join(
        f"""
  <sr:StorageUsageRecord>
    <sr:RecordIdentity sr:createTime="{now:%Y-%m-%dT%H:%M:%SZ}" sr:recordId="{site.lower()}-vol-{n}"/>
    <sr:StorageSystem>cinder.{site.lower()}.example</sr:StorageSystem>
    <sr:Site>{site}</sr:Site>
    <sr:SubjectIdentity><sr:Group>{vo}</sr:Group></sr:SubjectIdentity>
    <sr:StartTime>{now - timedelta(days=30):%Y-%m-%dT%H:%M:%SZ}</sr:StartTime>
    <sr:EndTime>{now:%Y-%m-%dT%H:%M:%SZ}</sr:EndTime>
    <sr:ResourceCapacityUsed>{size * 2**30}</sr:ResourceCapacityUsed>
  </sr:StorageUsageRecord>"""
        for n, (vo, size) in enumerate(
            (("vo.demo.example", 500), ("biomed.demo.example", 1_024), ("vo.demo.example", 80))
        )
    )
    return (
        '<sr:StorageUsageRecords xmlns:sr="http://eu-emi.eu/namespaces/2011/02/storagerecord">'
        f"{volumes}\n</sr:StorageUsageRecords>\n"
    )


def _accelerators(site: str, months: list[datetime]) -> str:
    records = [
        {
            "MeasurementMonth": month.month,
            "MeasurementYear": month.year,
            "AssociatedRecordType": "cloud",
            "AssociatedRecord": f"{site.lower()}-vm-{gpu:04d}",
            "GlobalUserName": USERS[gpu][0],
            "FQAN": USERS[gpu][1],
            "SiteName": site,
            "Count": 1,
            "Cores": 6_912,
            "ActiveDuration": 20 * 86_400 - gpu * 3_600,
            "AvailableDuration": 28 * 86_400,
            "Type": "GPU",
            "Model": "NVIDIA A100",
        }
        for month in months[-3:-1]
        for gpu in (0, 1)
    ]
    return json.dumps(
        {"Type": "APEL-accelerator-message", "Version": "0.1", "UsageRecords": records}
    )


def _public_ips(site: str, now: datetime) -> str:
    records = [
        {
            "MeasurementTime": int(now.timestamp()) - 3_600,
            "SiteName": site,
            "CloudComputeService": f"nova.{site.lower()}.example",
            "CloudType": "caso/5.2.2 (OpenStack)",
            "LocalUser": f"user{n}",
            "LocalGroup": fqan.split("/")[1],
            "GlobalUserName": user,
            "FQAN": fqan,
            "IPVersion": version,
            "IPCount": count,
        }
        for n, ((user, fqan), version, count) in enumerate(
            ((USERS[0], 4, 3), (USERS[1], 4, 1), (USERS[1], 6, 2))
        )
    ]
    return json.dumps({"Type": "APEL Public IP message", "Version": "0.2", "UsageRecords": records})


def _chunks(records: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(records), MESSAGE_RECORDS):
        yield records[start : start + MESSAGE_RECORDS]


def _messages(session: Session, now: datetime) -> Iterator[str]:
    months = _months(now)
    for index, (site, _) in enumerate(_sites(session, "gLite-APEL")):
        jobs = _jobs(site, index, months, now)
        for chunk in _chunks(jobs):
            yield text_message(JOB_HEADER, chunk)
        yield text_message(SYNC_HEADER, _sync(site, jobs, months))
    for site, _ in _sites(session, "eu.egi.cloud.accounting"):
        for chunk in _chunks(_vm_snapshots(site, months, now)):
            yield text_message(CLOUD_HEADER, chunk)
        yield _storage(site, now)
        yield _accelerators(site, months)
        yield _public_ips(site, now)


def load_demo(*, session: Session, settings: Settings, now: datetime | None = None) -> str:
    """Load the demo accounting into a database holding the demo registry and AAI."""
    now = (now or utcnow()).astimezone(UTC)
    subject = settings.admin_subject or "operator@fedcore.demo"
    origin = loader.Origin(Transport.CLI, principal_for(subject, subject))
    messages = records = 0
    for body in _messages(session, now):
        outcome = loader.submit_message(
            session=session, settings=settings, origin=origin, body=body.encode()
        )
        if isinstance(outcome, loader.Rejection):
            raise outcome.error
        messages += 1
        records += outcome.records
    defective = text_message(
        JOB_HEADER,
        [{"Site": "UNIBE-LHEP", "LocalJobId": "1", "WallDuration": "12h", "CpuDuration": 60}],
    )
    loader.submit_message(
        session=session, settings=settings, origin=origin, body=defective.encode()
    )
    return f"demo accounting: {messages} messages, {records} records; 1 message rejected"
