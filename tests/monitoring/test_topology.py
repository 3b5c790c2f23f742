"""A report's topology and downtimes read from the registry (through its service functions):
ARGO's connector tags, sites under their NGIs or service groups under the report's supergroup,
weights from an extension property, scheduled outages only and none beyond now."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from fedcore.monitoring.service.topology import registry_downtimes, registry_topology
from fedcore.monitoring.topology import Endpoint
from fedcore.registry import service as registry
from fedcore.registry.schemas import DowntimeCreate, PropertyIn, ServiceGroupCreate, SiteUpdate
from tests.registry.factories import Federation

SITES = {"group": {"type": "NGI", "group": {"type": "SITES"}}}


def report(**changes: Any) -> dict[str, Any]:
    return {"topology_schema": SITES, "filter_tags": [], **changes}


def test_sites_under_their_ngis_with_tags_and_weights(
    session: Session, federation: Federation
) -> None:
    registry.set_extension_properties(
        session=session,
        actor=federation.operator.principal,
        owner_type="site",
        owner_id=federation.site.id,
        items=[PropertyIn(key="HEPSPEC06", value="1234.5")],
        max_count=100,
        overwrite=True,
    )
    registry.set_extension_properties(
        session=session,
        actor=federation.operator.principal,
        owner_type="site",
        owner_id=federation.other_site.id,
        items=[PropertyIn(key="HEPSPEC06", value="lots")],
        max_count=100,
        overwrite=True,
    )
    topology = registry_topology(session=session, report=report(weights={"property": "HEPSPEC06"}))
    assert topology.supergroups == {"TEST-SITE": "NGI_TEST", "OTHER-SITE": "NGI_OTHER"}
    assert topology.weights == {"TEST-SITE": 1234.5}
    assert topology.endpoints[0] == Endpoint(
        "TEST-SITE",
        "CREAM-CE",
        "ce.test.example",
        {
            "production": "1",
            "monitored": "1",
            "scope": "EGI",
            "info_URL": "",
            "info_ID": federation.service.primary_key,
            "info_HOSTDN": "/DC=org/DC=test/CN=ce.test.example",
        },
    )
    assert [e.hostname for e in topology.endpoints] == ["ce.test.example", "bdii.other.example"]
    registry.update_site(
        session=session,
        actor=federation.operator.principal,
        site_id=federation.other_site.id,
        data=SiteUpdate(scopes=["EGI", "Local"]),
    )
    local = registry_topology(
        session=session,
        report=report(
            filter_tags=[
                {"name": "scope", "value": "Local", "context": "argo.group.filter.tags.array"}
            ]
        ),
    )
    assert [e.group for e in local.endpoints] == ["OTHER-SITE"]


def test_service_groups_under_the_reports_supergroup(
    session: Session, federation: Federation
) -> None:
    registry.create_service_group(
        session=session,
        actor=federation.operator.principal,
        data=ServiceGroupCreate(
            name="SG-CE",
            email="sg@test.example",
            monitored=True,
            services=[federation.service.id, federation.other_service.id],
        ),
    )
    topology = registry_topology(
        session=session,
        report=report(
            topology_schema={"group": {"type": "PROJECT", "group": {"type": "SERVICEGROUPS"}}},
            service_group_supergroup="EGI",
        ),
    )
    assert topology.supergroups == {"SG-CE": "EGI"}
    assert [(e.group, e.service) for e in topology.endpoints] == [
        ("SG-CE", "CREAM-CE"),
        ("SG-CE", "Site-BDII"),
    ]


def test_only_scheduled_outages_and_none_beyond_now(
    session: Session, federation: Federation
) -> None:
    planned = federation.downtime  # a SCHEDULED OUTAGE of the CE, three days ahead, 4 hours
    start = planned.start_at
    registry.create_downtime(
        session=session,
        actor=federation.operator.principal,
        data=DowntimeCreate(
            severity="WARNING",
            description="at risk",
            start=start,
            end=start + timedelta(hours=1),
            services=[federation.service.id],
        ),
    )
    registry.create_downtime(
        session=session,
        actor=federation.operator.principal,
        data=DowntimeCreate(
            severity="OUTAGE",
            description="declared at short notice",
            start=start + timedelta(hours=1),
            end=start + timedelta(hours=2),
            services=[federation.other_service.id],
        ),
        now=start,
    )
    late = start + timedelta(days=1)
    found = registry_downtimes(session=session, day=start.date(), now=late)
    assert [(d.hostname, d.service) for d in found] == [("ce.test.example", "CREAM-CE")]
    assert (found[0].start, found[0].end) == (
        int(start.timestamp()),
        int(planned.end_at.timestamp()),
    )
    halfway = start + timedelta(hours=2)
    (so_far,) = registry_downtimes(session=session, day=start.date(), now=halfway)
    assert so_far.end + 60 == int(halfway.timestamp())
    assert registry_downtimes(session=session, day=start.date(), now=start) == []
