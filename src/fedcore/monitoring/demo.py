"""The demo monitoring: a report on the demo federation with a week of probe results, computed.

Everything goes through monitoring's service functions as the operator does it: ARGO's default
operations profile, a metric profile for the service types the demo registry has, an
EGI-critical style aggregation profile, a threshold profile, the report ``Critical`` (NGI >
SITES), and one approved recomputation. Probe results are generated for every endpoint of the
report, from midnight seven days ago up to now (one per metric every 15 to 60 minutes), stored
through the same ingestion as ``POST /api/monitoring/metric-data``, and the eight days are
computed as ``POST /api/monitoring/reports/Critical/days/{day}`` computes them; the hourly job
keeps today current afterwards.

The results are seeded, so the story is the same for the same instant: mostly OK with a few
WARNING, UNKNOWN and CRITICAL episodes, a bad day at UNIBE-LHEP (partly excluded by the
recomputation), DESY-HH's storage failing for hours every day (its A/R below the targets),
the ARNES site BDII unheard of for a day and a half (MISSING once the carry-over runs out), a
stale INFN-T1 BDII that the threshold rule turns WARNING, and CRITICAL results during the
registry's outages (the scheduled ones explained by the downtime overlay, FZK-LCG2's
unscheduled one counting against it).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.security import Principal, principal_for
from fedcore.monitoring import service
from fedcore.monitoring.enums import ProfileKind, RecomputationStatus
from fedcore.monitoring.schemas import (
    ProfileCreate,
    ProfileRef,
    RecomputationCreate,
    RecomputationDecision,
    ReportCreate,
)
from fedcore.monitoring.topology import Endpoint
from fedcore.registry import service as registry
from fedcore.registry.enums import Severity
from fedcore.registry.schemas import DowntimeFilter

REPORT = "Critical"
SEED = 20240115
DAYS = 7
"""Full days before today with results."""
BAD_DAY = timedelta(days=4)
"""How long before today UNIBE-LHEP's bad day was."""
MONITORING_HOST = "argo-mon.demo.example"

STATES = ("OK", "WARNING", "UNKNOWN", "MISSING", "CRITICAL", "DOWNTIME")
AND_TABLE = {
    "OK": ("OK", "WARNING", "UNKNOWN", "MISSING", "CRITICAL", "DOWNTIME"),
    "WARNING": ("WARNING", "WARNING", "UNKNOWN", "MISSING", "CRITICAL", "DOWNTIME"),
    "UNKNOWN": ("UNKNOWN", "UNKNOWN", "UNKNOWN", "MISSING", "CRITICAL", "DOWNTIME"),
    "MISSING": ("MISSING", "MISSING", "MISSING", "MISSING", "CRITICAL", "DOWNTIME"),
    "CRITICAL": ("CRITICAL", "CRITICAL", "CRITICAL", "CRITICAL", "CRITICAL", "CRITICAL"),
    "DOWNTIME": ("DOWNTIME", "DOWNTIME", "DOWNTIME", "DOWNTIME", "CRITICAL", "DOWNTIME"),
}
"""ARGO's default ``AND`` (reference §3.1): row ``a``, columns ``b`` in :data:`STATES` order."""
OR_TABLE = {
    "OK": ("OK", "OK", "OK", "OK", "OK", "OK"),
    "WARNING": ("OK", "WARNING", "WARNING", "WARNING", "WARNING", "WARNING"),
    "UNKNOWN": ("OK", "WARNING", "UNKNOWN", "UNKNOWN", "CRITICAL", "UNKNOWN"),
    "MISSING": ("OK", "WARNING", "UNKNOWN", "MISSING", "CRITICAL", "DOWNTIME"),
    "CRITICAL": ("OK", "WARNING", "CRITICAL", "CRITICAL", "CRITICAL", "CRITICAL"),
    "DOWNTIME": ("OK", "WARNING", "UNKNOWN", "DOWNTIME", "CRITICAL", "DOWNTIME"),
}
"""ARGO's default ``OR`` (reference §3.2)."""

CATALOGUE: dict[str, tuple[str, tuple[str, ...]]] = {
    "ARC-CE": (
        "compute",
        (
            "org.nordugrid.ARC-CE-ARIS",
            "org.nordugrid.ARC-CE-submit",
            "generic.certificate.validity",
        ),
    ),
    "HTCondorCE": (
        "compute",
        ("ch.cern.HTCondorCE-JobSubmit", "ch.cern.HTCondorCE-JobState", "generic.tcp.connect"),
    ),
    "org.openstack.nova": (
        "compute",
        ("eu.egi.cloud.OpenStack-VM", "org.nagios.Keystone-TCP", "eu.egi.cloud.InfoProvider"),
    ),
    "webdav": ("storage", ("ch.cern.WebDAV", "generic.certificate.validity")),
    "SRM": ("storage", ("eu.egi.SRM-All", "eu.egi.SRM-CertLifetime")),
    "org.openstack.swift": ("storage", ("eu.egi.cloud.OpenStack-Swift", "org.nagios.Swift-TCP")),
    "Site-BDII": ("information", ("org.bdii.Entries", "org.bdii.Freshness")),
    "Top-BDII": (
        "information",
        ("org.bdii.Entries", "org.bdii.Freshness", "org.nagios.BDII-Check"),
    ),
    "gLite-APEL": ("accounting", ("argo.APEL-Pub", "argo.APEL-Sync")),
    "eu.egi.cloud.accounting": ("accounting", ("eu.egi.cloud.APEL-Pub", "eu.egi.cloud.APEL-Sync")),
}
"""Service type -> (function group, critical metrics), as in EGI's ARGO_MON_CRITICAL; the metric
profile takes the service types the registry has."""
FUNCTION_GROUPS = ("compute", "storage", "information", "accounting")

FRESHNESS = "org.bdii.Freshness"
THRESHOLD_RULE = {"metric": FRESHNESS, "thresholds": "freshness=1s;600:1800;1800:;0;"}
"""A BDII whose data is 10 to 30 minutes old is WARNING, older CRITICAL (ARGO's convention:
inside the range alerts)."""

TOPOLOGY_SCHEMA = {"group": {"type": "NGI", "group": {"type": "SITES"}}}
FILTER_TAGS = [
    {"name": "monitored", "value": "1", "context": "argo.endpoint.filter.tags"},
    {"name": "scope", "value": "EGI", "context": "argo.group.filter.tags.array"},
]

OK_SUMMARY = "OK - all checks passed"
BACKGROUND = (
    # (status, chance per metric and day, shortest and longest minutes, summary)
    ("WARNING", 0.05, 60, 240, "WARNING - response slower than expected"),
    ("UNKNOWN", 0.03, 15, 60, "UNKNOWN - probe timed out before an answer"),
    ("CRITICAL", 0.015, 20, 90, "CRITICAL - connection refused"),
)
OUTAGE_SUMMARY = "CRITICAL - service unreachable (outage declared in the registry)"
BACK_EARLY = 75 * 60
"""Seconds: longer than the longest probe interval (60 minutes and a jitter)."""


@dataclass(frozen=True)
class Episode:
    """A period in which a metric's probe reports ``status`` (OK with old data when stale)."""

    start: int
    end: int
    status: str
    summary: str
    stale: bool = False


Series = tuple[str, str, str]
"""(hostname, service type, metric)"""


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def _timestamp(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def operations_profile() -> dict[str, Any]:
    """ARGO's ``egi_ops`` document: each unordered pair of states once."""
    return {
        "name": "egi_ops",
        "available_states": list(STATES),
        "defaults": {"down": "DOWNTIME", "missing": "MISSING", "unknown": "UNKNOWN"},
        "operations": [
            {
                "name": name,
                "truth_table": [
                    {"a": a, "b": b, "x": table[a][STATES.index(b)]}
                    for i, a in enumerate(STATES)
                    for b in STATES[i:]
                ],
            }
            for name, table in (("AND", AND_TABLE), ("OR", OR_TABLE))
        ],
    }


def _profiles(service_types: Sequence[str]) -> dict[ProfileKind, dict[str, Any]]:
    types = [t for t in CATALOGUE if t in service_types]
    return {
        ProfileKind.OPERATIONS: operations_profile(),
        ProfileKind.METRIC: {
            "name": "ARGO_MON_CRITICAL",
            "description": "Critical metrics of the demo federation's service types",
            "services": [{"service": t, "metrics": list(CATALOGUE[t][1])} for t in types],
        },
        ProfileKind.AGGREGATION: {
            "name": "critical",
            "namespace": "",
            "endpoint_group": "sites",
            "metric_operation": "AND",
            "profile_operation": "AND",
            "metric_profile": {"name": "ARGO_MON_CRITICAL"},
            "groups": [
                {
                    "name": group,
                    "operation": "OR",
                    "services": [
                        {"name": t, "operation": "OR"} for t in types if CATALOGUE[t][0] == group
                    ],
                }
                for group in FUNCTION_GROUPS
                if any(CATALOGUE[t][0] == group for t in types)
            ],
        },
        ProfileKind.THRESHOLDS: {"name": "bdii-freshness", "rules": [THRESHOLD_RULE]},
    }


def _at(day: date, hour: float) -> int:
    return _seconds(datetime(day.year, day.month, day.day, tzinfo=UTC)) + int(hour * 3600)


def _metrics(endpoint: Endpoint, metric: str | None = None) -> Iterator[Series]:
    for name in CATALOGUE[endpoint.service][1]:
        if metric in (None, name):
            yield endpoint.hostname, endpoint.service, name


class Plan:
    """The episodes of every series, first matching first, and the periods without results."""

    def __init__(self, endpoints: Sequence[Endpoint]) -> None:
        self.endpoints = endpoints
        self.episodes: dict[Series, list[Episode]] = {
            series: [] for e in endpoints for series in _metrics(e)
        }
        self.silent: dict[tuple[str, str], tuple[int, int]] = {}

    def _at_group(self, group: str, service: str) -> list[Endpoint]:
        found = [e for e in self.endpoints if e.group == group and e.service == service]
        if not found:
            raise LookupError(f"the demo topology has no {service} at {group}")
        return found

    def scenario(self, group: str, service: str, metric: str | None, episode: Episode) -> None:
        """Add an episode to the endpoints of ``service`` at ``group`` (every metric, or one)."""
        for endpoint in self._at_group(group, service):
            for series in _metrics(endpoint, metric):
                self.episodes[series].append(episode)

    def silence(self, group: str, service: str, start: int, end: int) -> None:
        """No result of the endpoints of ``service`` at ``group`` from ``start`` to ``end``."""
        for endpoint in self._at_group(group, service):
            self.silent[endpoint.hostname, endpoint.service] = (start, end)


def _plan(
    endpoints: Sequence[Endpoint],
    days: Sequence[date],
    now: datetime,
    outages: Sequence[tuple[str, str, int, int]],
    rng: random.Random,
) -> Plan:
    plan = Plan(endpoints)
    for hostname, service_type, start, end in outages:
        for series, episodes in plan.episodes.items():
            if series[:2] == (hostname, service_type):
                episodes.append(Episode(start, end, "CRITICAL", OUTAGE_SUMMARY))
    today = days[-1]
    bad_day = today - BAD_DAY
    plan.scenario(
        "UNIBE-LHEP",
        "ARC-CE",
        "org.nordugrid.ARC-CE-submit",
        Episode(
            _at(bad_day, 5.2),
            _at(bad_day, 19.7),
            "CRITICAL",
            "CRITICAL - job submission failed: A-REX answered 503 (batch system not responding)",
        ),
    )
    plan.scenario(
        "UNIBE-LHEP",
        "Site-BDII",
        "org.bdii.Entries",
        Episode(_at(bad_day, 11), _at(bad_day, 12.5), "UNKNOWN", "UNKNOWN - LDAP query timed out"),
    )
    for day in days:
        hour = rng.uniform(0.5, 14)
        plan.scenario(
            "DESY-HH",
            "webdav",
            "ch.cern.WebDAV",
            Episode(
                _at(day, hour),
                _at(day, hour + rng.uniform(5, 8)),
                "CRITICAL",
                "CRITICAL - PROPFIND davs://se01.desy.example:2880/ timed out after 60 s",
            ),
        )
    plan.silence(
        "ARNES",
        "Site-BDII",
        _at(today - timedelta(days=3), 20),
        _at(today - timedelta(days=1), 7.5),
    )
    moment = _seconds(now)
    plan.scenario(
        "INFN-T1",
        "Site-BDII",
        FRESHNESS,
        Episode(moment - 2 * 3600, moment + 3600, "OK", "OK - BDII answered", stale=True),
    )
    plan.scenario(
        "SWITCH-CLOUD",
        "org.openstack.swift",
        None,
        Episode(
            moment - 90 * 60,
            moment + 3600,
            "UNKNOWN",
            "UNKNOWN - no valid token for the probe's VO",
        ),
    )
    for episodes in plan.episodes.values():
        for day in days:
            for status, chance, shortest, longest, summary in BACKGROUND:
                if rng.random() < chance:
                    start = _at(day, rng.uniform(0, 23))
                    length = rng.randint(shortest, longest) * 60
                    episodes.append(Episode(start, start + length, status, summary))
    return plan


def _results(plan: Plan, start: int, end: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """Each series' results from ``start`` (the first exactly then) to before ``end``."""
    for (hostname, service_type, metric), episodes in plan.episodes.items():
        interval = rng.choice((15, 20, 30, 60)) * 60
        silent = plan.silent.get((hostname, service_type), (0, 0))
        moment = start
        while moment < end:
            if not silent[0] <= moment < silent[1]:
                found = next((e for e in episodes if e.start <= moment < e.end), None)
                status = found.status if found else "OK"
                freshness = (
                    rng.randint(900, 1700) if found and found.stale else rng.randint(30, 400)
                )
                yield {
                    "timestamp": _timestamp(moment),
                    "service": service_type,
                    "hostname": hostname,
                    "metric": metric,
                    "status": status,
                    "monitoring_host": MONITORING_HOST,
                    "summary": found.summary if found else OK_SUMMARY,
                    "message": None,
                    "actual_data": f"freshness={freshness}s;;;0;" if metric == FRESHNESS else None,
                    "tags": None,
                }
            moment += interval + rng.randint(0, 90)


def _outages(session: Session, start: datetime, now: datetime) -> list[tuple[str, str, int, int]]:
    """(hostname, service type, start, end) of the periods in which the registry's outages
    since ``start``, scheduled or not, keep their services down, so that their probes fail.
    Only scheduled ones protect the A/R. A service is back :data:`BACK_EARLY` before its
    downtime ends, so that every probe has passed again when the real state resumes."""
    found = registry.list_downtimes(
        session=session,
        filter=DowntimeFilter(severity=Severity.OUTAGE, window_start=start, window_end=now),
        limit=1000,
    )
    return [
        (s.hostname, s.service_type.name, _seconds(d.start_at), _seconds(d.end_at) - BACK_EARLY)
        for d in found.items
        for s in d.services
    ]


def load_demo(*, session: Session, settings: Settings) -> str:
    """Load the demo monitoring on the demo federation and compute its days up to now."""
    subject = settings.admin_subject or "operator@fedcore.demo"
    operator: Principal = principal_for(subject, subject)
    now = utcnow()
    today = now.date()
    days = [today - timedelta(days=n) for n in range(DAYS, -1, -1)]
    draft = {"topology_schema": TOPOLOGY_SCHEMA, "filter_tags": FILTER_TAGS}
    topology = service.registry_topology(session=session, report=draft)
    monitored = [e for e in topology.endpoints if e.service in CATALOGUE]
    types = sorted({e.service for e in monitored})
    profiles = _profiles(types)
    for kind, document in profiles.items():
        service.create_profile(
            session=session,
            actor=operator,
            kind=kind,
            data=ProfileCreate(name=document["name"], valid_from=days[0], document=document),
        )
    service.create_report(
        session=session,
        actor=operator,
        data=ReportCreate(
            name=REPORT,
            valid_from=days[0],
            description="Availability and reliability of the demo sites from their critical "
            "metrics (EGI's OLA targets: A >= 80 %, R >= 85 %)",
            topology_schema=TOPOLOGY_SCHEMA,
            filter_tags=FILTER_TAGS,
            profiles=[ProfileRef(type=k, name=d["name"]) for k, d in profiles.items()],
        ),
    )
    bad_day = today - BAD_DAY
    recomputation = service.create_recomputation(
        session=session,
        actor=operator,
        data=RecomputationCreate(
            report=REPORT,
            start_time=datetime.fromtimestamp(_at(bad_day, 5), UTC),
            end_time=datetime.fromtimestamp(_at(bad_day, 8) - 1, UTC),
            reason="ARC-CE submission tests failed until 08:00 because the monitoring box's "
            "robot certificate had expired; not the site's fault",
            requester_name="Demo operator",
            requester_email=subject,
            exclude=["UNIBE-LHEP"],
        ),
    )
    service.decide_recomputation(
        session=session,
        actor=operator,
        recomputation_id=recomputation.uuid,
        data=RecomputationDecision(status=RecomputationStatus.APPROVED),
    )
    outages = _outages(session, datetime.fromtimestamp(_at(days[0], 0), UTC), now)
    rng = random.Random(SEED)  # noqa: S311 (seeded demo data, not secrets)
    plan = _plan(monitored, days, now, outages, rng)
    records = list(_results(plan, _at(days[0], 0), _seconds(now), rng))
    stored = service.store_metric_data(session=session, actor=operator, records=records)
    if stored.refused:
        raise RuntimeError(f"demo metric results refused: {stored.refused[:3]}")
    for day in days:
        service.compute_report_day(session=session, actor=operator, report=REPORT, day=day, now=now)
    return (
        f"demo monitoring: report {REPORT} (NGI > SITES) over {len(topology.supergroups)} sites "
        f"and {len(monitored)} endpoints, {len(records)} metric results from "
        f"{days[0]} to now, {len(days)} days computed, 1 approved recomputation (UNIBE-LHEP)"
    )
