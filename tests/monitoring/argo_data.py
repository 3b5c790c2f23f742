"""Stored A/R and timelines for the argo-web-api tests: reports built through the service
functions with the e2e case's profiles, argo-web-api's own test documents (``app/v3/ar``
test: GROUP_A with sites ST01 and ST02 and the endpoint host01), and the e2e case's expected
daily A/R written as the ARGO documents ``import-ar`` reads."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from fedcore.core.security import Principal
from fedcore.monitoring import service
from fedcore.monitoring.enums import Level, ProfileKind
from fedcore.monitoring.models import StatusTimeline
from fedcore.monitoring.schemas import ProfileCreate, ProfileRef, ReportCreate

CASE = "conformance/argo/e2e-2022-01-14.json"
VALID_FROM = date(2015, 1, 1)


def load_case(shared_dir: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((shared_dir / CASE).read_text())
    return loaded


def make_report(
    session: Session,
    operator: Principal,
    case: dict[str, Any],
    name: str,
    supergroup_type: str,
) -> None:
    """A report ``supergroup_type > SITES`` on the case's profiles (created once)."""
    refs = []
    for kind in (ProfileKind.OPERATIONS, ProfileKind.METRIC, ProfileKind.AGGREGATION):
        document = case["profiles"][str(kind)]
        if not any(
            p.name == document["name"] for p in service.list_profiles(session=session, kind=kind)
        ):
            service.create_profile(
                session=session,
                actor=operator,
                kind=kind,
                data=ProfileCreate(name=document["name"], valid_from=VALID_FROM, document=document),
            )
        refs.append(ProfileRef(type=str(kind), name=document["name"]))
    service.create_report(
        session=session,
        actor=operator,
        data=ReportCreate(
            name=name,
            valid_from=VALID_FROM,
            description=f"{name} for tests",
            topology_schema={"group": {"type": supergroup_type, "group": {"type": "SITES"}}},
            profiles=refs,
        ),
    )
    session.commit()


def _numbers(up: float, down: float, unknown: float, a: float, r: float) -> dict[str, float]:
    return {"up": up, "down": down, "unknown": unknown, "availability": a, "reliability": r}


ARGO_REPORT = {
    "name": "Report_A",
    "topology_schema": {"group": {"type": "GROUP", "group": {"type": "SITES"}}},
}
ARGO_DOCUMENT: dict[str, Any] = {
    "report": ARGO_REPORT,
    "endpoint_group_ar": [
        {
            "date": 20150622,
            "name": "ST01",
            "supergroup": "GROUP_A",
            "weight": 5634,
            **_numbers(1, 0, 0, 66.7, 54.6),
        },
        {
            "date": 20150622,
            "name": "ST02",
            "supergroup": "GROUP_A",
            "weight": 4356,
            **_numbers(1, 0, 0, 70, 45),
        },
        {
            "date": 20150623,
            "name": "ST01",
            "supergroup": "GROUP_A",
            "weight": 5634,
            **_numbers(1, 0, 0, 100, 100),
        },
        {
            "date": 20150623,
            "name": "ST02",
            "supergroup": "GROUP_A",
            "weight": 4356,
            **_numbers(1, 0, 0, 43.5, 56),
        },
    ],
    "endpoint_ar": [
        {
            "report": "eba61a9e-22e9-4521-9e47-ecaa4a49436",
            "date": day,
            "name": "host01",
            "service": "service01",
            "supergroup": "ST01",
            "info": {"ID": "special-queue"},
            "tags": [{"name": "", "value": ""}],
            **_numbers(1, 0, 0, a, r),
        }
        for day, a, r in ((20150622, 66.7, 54.6), (20150623, 100, 100))
    ],
}
"""argo-web-api's ``app/v3/ar`` test documents (the endpoint's supergroup is its site here)."""


def case_document(case: dict[str, Any], report: str, day: str = "20220114") -> dict[str, Any]:
    """The case's expected daily A/R as ARGO's three collections of one day."""
    ar = case["expected"]["ar"]

    def numbers(row: dict[str, Any]) -> dict[str, Any]:
        return _numbers(
            row["up"], row["down"], row["unknown"], row["availability"], row["reliability"]
        )

    return {
        "report": {
            "name": report,
            "topology_schema": {"group": {"type": "PROJECT", "group": {"type": "SITES"}}},
        },
        "endpoint_group_ar": [
            {
                "date": day,
                "name": g["group"],
                "supergroup": g["supergroup"],
                "weight": g["weight"],
                **numbers(g),
            }
            for g in ar["groups"]
        ],
        "service_ar": [
            {"date": day, "name": s["service"], "supergroup": s["group"], **numbers(s)}
            for s in ar["services"]
        ],
        "endpoint_ar": [
            {
                "date": day,
                "name": e["hostname"],
                "service": e["service"],
                "supergroup": e["group"],
                "info": {"ID": f"{e['hostname']}-id", "URL": f"https://{e['hostname']}/"},
                **numbers(e),
            }
            for e in ar["endpoints"]
        ],
    }


def store_timelines(session: Session, case: dict[str, Any], report: str) -> None:
    """The case's expected group, service, endpoint and metric timelines as stored rows of
    its day."""
    report_id = service.get_report(session=session, name=report).id
    supergroups = {g["group"]: g["supergroup"] for g in case["expected"]["ar"]["groups"]}
    day = date.fromisoformat(case["date"])
    for level, key in (
        (Level.GROUP, "group_timelines"),
        (Level.SERVICE, "service_timelines"),
        (Level.ENDPOINT, "endpoint_timelines"),
        (Level.METRIC, "metric_timelines"),
    ):
        for line in case["expected"][key]:
            session.add(
                StatusTimeline(
                    report_id=report_id,
                    day=day,
                    level=str(level),
                    group=line["group"],
                    supergroup=supergroups.get(line["group"], ""),
                    function=line.get("function") or "",
                    service=line.get("service") or "",
                    hostname=line.get("hostname") or "",
                    metric=line.get("metric") or "",
                    timeline=line["timeline"],
                    has_threshold=bool(line.get("hasThr")),
                )
            )
    session.commit()
