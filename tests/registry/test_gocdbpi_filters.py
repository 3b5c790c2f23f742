"""Filter semantics of the read PI: LIKE filters, scopes (default, none, all/any), extension
expressions, closed sites, downtime windows and the other downtime filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.core.db import utcnow
from fedcore.registry.models import (
    Downtime,
    Endpoint,
    Scope,
    Service,
    ServiceProperty,
    ServiceType,
    Site,
    SiteProperty,
    User,
)
from tests.registry.factories import Federation

PI = "/gocdbpi/public/"


def query(
    client: TestClient, headers: dict[str, str] | None = None, /, **params: str
) -> etree._Element:
    response = client.get(PI, params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    assert not response.text.startswith("<error>"), response.text
    return etree.fromstring(response.content)


def hostnames(client: TestClient, **params: str) -> list[str]:
    root = query(client, method="get_service_endpoint", **params)
    return [e.findtext("HOSTNAME") or "" for e in root.iterfind("SERVICE_ENDPOINT")]


def scope(session: Session, name: str) -> Scope:
    row = session.scalar(select(Scope).where(Scope.name == name))
    assert row is not None
    return row


def add_service(
    session: Session, site: Site, hostname: str, scopes: list[str], **fields: object
) -> Service:
    service_type = session.scalar(select(ServiceType).where(ServiceType.name == "CREAM-CE"))
    service = Service(
        hostname=hostname,
        site=site,
        service_type=service_type,
        scopes=[scope(session, s) for s in scopes],
        **fields,
    )
    session.add(service)
    session.flush()
    return service


@pytest.fixture
def services(session: Session, federation: Federation) -> Federation:
    """Besides the federation's two EGI services: local.test.example (Local only) and
    both.test.example (EGI and Local, VO=atlas), and VO=cms on ce.test.example."""
    add_service(session, federation.site, "local.test.example", ["Local"], monitored=False)
    both = add_service(session, federation.site, "both.test.example", ["EGI", "Local"])
    session.add_all(
        [
            ServiceProperty(parent_id=both.id, key="VO", value="atlas"),
            ServiceProperty(parent_id=federation.service.id, key="VO", value="cms"),
            ServiceProperty(parent_id=federation.service.id, key="tier", value="1"),
        ]
    )
    session.flush()
    return federation


# --- string filters ---------------------------------------------------------------------------------


def test_string_filters_are_like_patterns(client: TestClient, services: Federation) -> None:
    assert hostnames(client, hostname="ce.test.example") == ["ce.test.example"]
    assert hostnames(client, hostname="%.other.example") == ["bdii.other.example"]
    assert hostnames(client, hostname="ce.test") == []
    assert hostnames(client, sitename="OTHER-SITE") == ["bdii.other.example"]
    assert hostnames(client, roc="NGI_T%") == ["ce.test.example", "both.test.example"]
    assert hostnames(client, country="Slovenia") == ["bdii.other.example"]
    assert hostnames(client, service_type="Site-BDII") == ["bdii.other.example"]


def test_monitored_filter_takes_y_or_n(client: TestClient, services: Federation) -> None:
    assert hostnames(client, monitored="N", scope="") == ["local.test.example"]
    assert "local.test.example" not in hostnames(client, monitored="y", scope="")


def test_services_of_closed_sites_are_not_listed(
    client: TestClient, session: Session, services: Federation
) -> None:
    services.other_site.certification_status = "Closed"
    session.flush()
    assert "bdii.other.example" not in hostnames(client, scope="")


# --- scopes -----------------------------------------------------------------------------------------


def test_absent_scope_applies_the_configured_default(
    client: TestClient, services: Federation
) -> None:
    assert hostnames(client) == ["ce.test.example", "bdii.other.example", "both.test.example"]


def test_empty_scope_disables_scope_filtering(client: TestClient, services: Federation) -> None:
    assert hostnames(client, scope="") == [
        "ce.test.example",
        "bdii.other.example",
        "local.test.example",
        "both.test.example",
    ]


def test_scope_lists_match_all_or_any(client: TestClient, services: Federation) -> None:
    assert hostnames(client, scope="Local") == ["local.test.example", "both.test.example"]
    assert hostnames(client, scope="EGI,Local", scope_match="all") == ["both.test.example"]
    assert hostnames(client, scope="EGI,Local") == ["both.test.example"]  # default: all
    assert hostnames(client, scope="EGI,Local,", scope_match="any") == [
        "ce.test.example",
        "bdii.other.example",
        "local.test.example",
        "both.test.example",
    ]
    assert hostnames(client, scope="nonexistent") == []


def test_default_scope_match_comes_from_the_configuration(
    client: TestClient, services: Federation, settings: object
) -> None:
    settings.default_scope_match = "any"  # type: ignore[attr-defined]
    assert len(hostnames(client, scope="EGI,Local")) == 4


def test_site_scopes_filter_get_site_list(
    client: TestClient, session: Session, services: Federation
) -> None:
    services.other_site.scopes = [scope(session, "Local")]
    session.flush()
    names = [s.get("NAME") for s in query(client, method="get_site_list").iterfind("SITE")]
    assert names == ["TEST-SITE"]
    everything = query(client, method="get_site_list", scope="")
    assert [s.get("NAME") for s in everything.iterfind("SITE")] == ["TEST-SITE", "OTHER-SITE"]


# --- extensions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("(VO=atlas)", ["both.test.example"]),
        ("(VO=)", ["ce.test.example", "both.test.example"]),
        ("(VO=*)", ["ce.test.example", "both.test.example"]),
        ("(VO=atlas)OR(VO=cms)", ["ce.test.example", "both.test.example"]),
        ("(VO=cms)(tier=1)", ["ce.test.example"]),
        ("(VO=cms)(tier=2)", []),
        ("NOT(VO=atlas)", ["ce.test.example", "bdii.other.example", "local.test.example"]),
        ("(VO=)NOT(tier=)", ["both.test.example"]),
    ],
)
def test_extensions_filter(
    client: TestClient, services: Federation, expression: str, expected: list[str]
) -> None:
    assert hostnames(client, scope="", extensions=expression) == expected


def test_site_filters_and_extensions(
    client: TestClient, session: Session, services: Federation
) -> None:
    services.other_site.certification_status = "Suspended"
    services.other_site.infrastructure = "Test"
    session.add(SiteProperty(parent_id=services.site.id, key="site_type", value="grid"))
    session.flush()

    def names(**params: str) -> list[str | None]:
        root = query(client, method="get_site_list", scope="", **params)
        return [s.get("NAME") for s in root.iterfind("SITE")]

    assert names(certification_status="Susp%") == ["OTHER-SITE"]
    assert names(exclude_certification_status="Suspended") == ["TEST-SITE"]
    assert names(production_status="Test") == ["OTHER-SITE"]
    assert names(country="Switzerland") == ["TEST-SITE"]
    assert names(roc="NGI_OTHER") == ["OTHER-SITE"]
    assert names(extensions="(site_type=grid)") == ["TEST-SITE"]


def test_site_count_per_country_counts_every_country(
    client: TestClient, services: Federation
) -> None:
    root = query(client, method="get_site_count_per_country")
    counts = {s.findtext("COUNTRY"): s.findtext("COUNT") for s in root.iterfind("SITE")}
    assert counts["Slovenia"] == "1"
    assert counts["Switzerland"] == "1"
    certified = query(client, method="get_site_count_per_country", certification_status="Certified")
    assert {s.findtext("COUNT") for s in certified.iterfind("SITE")} == {"0"}


def test_endpoints_and_their_extensions_are_listed(
    client: TestClient, session: Session, services: Federation
) -> None:
    from fedcore.registry.models import EndpointProperty

    session.add(EndpointProperty(parent_id=services.endpoint.id, key="queue", value="long"))
    session.flush()
    root = query(client, method="get_service_endpoint", hostname="ce.test.example")
    endpoint = root.find("SERVICE_ENDPOINT/ENDPOINTS/ENDPOINT")
    assert endpoint is not None
    assert endpoint.findtext("URL") == "https://ce.test.example:8443"
    assert endpoint.findtext("INTERFACENAME") == "CREAM-CE"
    assert endpoint.findtext("ENDPOINT_MONITORED") == "Y"
    assert endpoint.findtext("EXTENSIONS/EXTENSION/KEY") == "queue"
    assert root.findtext("SERVICE_ENDPOINT/HOSTDN") == "/DC=org/DC=test/CN=ce.test.example"


# --- downtimes --------------------------------------------------------------------------------------


@pytest.fixture
def downtimes(session: Session, services: Federation) -> dict[str, Downtime]:
    """Declared as rows (GOCDB's declaration rules are tested elsewhere): ``day`` on
    2030-03-10 10:00-12:00 affecting two services, ``ongoing`` now, ``local`` affecting only a
    Local-scoped service, ``old`` two months ago."""
    site = services.site
    local = session.scalar(select(Service).where(Service.hostname == "local.test.example"))
    now = utcnow()
    endpoint = session.get(Endpoint, services.endpoint.id)
    rows = {
        "day": Downtime(
            primary_key="9001G0",
            severity="OUTAGE",
            classification="SCHEDULED",
            description="upgrade",
            start_at=now.replace(year=2030, month=3, day=10, hour=10, minute=0, second=0),
            end_at=now.replace(year=2030, month=3, day=10, hour=12, minute=0, second=0),
            site_id=site.id,
            services=[
                services.service,
                session.scalar(select(Service).where(Service.hostname == "both.test.example")),
            ],
            endpoints=[endpoint],
        ),
        "ongoing": Downtime(
            primary_key="9002G0",
            severity="WARNING",
            classification="UNSCHEDULED",
            start_at=now - timedelta(hours=1),
            end_at=now + timedelta(hours=1),
            site_id=services.other_site.id,
            services=[services.other_service],
        ),
        "local": Downtime(
            primary_key="9003G0",
            severity="OUTAGE",
            classification="UNSCHEDULED",
            start_at=now - timedelta(hours=1),
            end_at=now + timedelta(hours=2),
            site_id=site.id,
            services=[local],
        ),
        "old": Downtime(
            primary_key="9004G0",
            severity="OUTAGE",
            classification="SCHEDULED",
            start_at=now - timedelta(days=60),
            end_at=now - timedelta(days=59),
            inserted_at=now - timedelta(days=62),
            site_id=services.other_site.id,
            services=[services.other_service],
        ),
    }
    session.add_all(rows.values())
    session.flush()
    return rows


def downtime_keys(client: TestClient, method: str = "get_downtime", **params: str) -> list[str]:
    root = query(client, method=method, **params)
    return [d.get("PRIMARY_KEY") or "" for d in root.iterfind("DOWNTIME")]


def test_window_includes_the_whole_windowend_day(
    client: TestClient, downtimes: dict[str, Downtime]
) -> None:
    def window(start: str, end: str) -> list[str]:
        return downtime_keys(client, windowstart=start, windowend=end, scope="")

    assert window("2030-03-10", "2030-03-10") == ["9001G0", "9001G0"]
    assert window("2030-03-01", "2030-03-09") == []
    assert window("2030-03-11", "2030-03-20") == []
    assert window("2030-03-10", "2030-03-20") == ["9001G0", "9001G0"]


def test_start_and_end_dates(client: TestClient, downtimes: dict[str, Downtime]) -> None:
    assert downtime_keys(client, startdate="2030-03-10", scope="") == ["9001G0", "9001G0"]
    assert downtime_keys(client, startdate="2030-03-11", scope="") == []
    assert "9004G0" in downtime_keys(client, enddate="2030-01-01", scope="")
    assert "9001G0" not in downtime_keys(client, enddate="2030-03-10", scope="")


def test_ongoing_only(client: TestClient, downtimes: dict[str, Downtime]) -> None:
    assert downtime_keys(client, ongoing_only="yes", scope="") == ["9002G0", "9003G0"]
    assert len(downtime_keys(client, ongoing_only="no", scope="")) == 6  # the federation's too


def test_all_lastmonth_selects_downtimes_starting_within_a_month(
    client: TestClient, downtimes: dict[str, Downtime], services: Federation
) -> None:
    assert downtime_keys(client, all_lastmonth="", scope="") == [
        services.downtime.primary_key,
        "9001G0",
        "9001G0",
        "9002G0",
        "9003G0",
    ]


def test_downtime_scope_is_the_affected_services_scope(
    client: TestClient, downtimes: dict[str, Downtime]
) -> None:
    assert "9003G0" not in downtime_keys(client)
    assert downtime_keys(client, scope="Local") == ["9001G0", "9003G0"]


def test_flat_rendering_repeats_the_downtime_per_service(
    client: TestClient, downtimes: dict[str, Downtime], services: Federation
) -> None:
    root = query(client, method="get_downtime", id=str(downtimes["day"].id), scope="")
    rows = root.findall("DOWNTIME")
    assert [d.findtext("HOSTNAME") for d in rows] == ["ce.test.example", "both.test.example"]
    assert [d.findtext("PRIMARY_KEY") for d in rows] == ["9001G0", "9001G0"]
    assert [e.findtext("NAME") for e in rows[0].iterfind("AFFECTED_ENDPOINTS/ENDPOINT")] == [
        "ce-main"
    ]
    assert rows[1].find("AFFECTED_ENDPOINTS") is not None
    assert len(rows[1].find("AFFECTED_ENDPOINTS")) == 0  # type: ignore[arg-type]


def test_nested_rendering_lists_the_services(
    client: TestClient, downtimes: dict[str, Downtime], services: Federation
) -> None:
    root = query(
        client, method="get_downtime_nested_services", id=str(downtimes["day"].id), scope=""
    )
    (downtime,) = root.findall("DOWNTIME")
    keys = [s.findtext("PRIMARY_KEY") for s in downtime.iterfind("SERVICES/SERVICE")]
    assert keys[0] == f"{services.service.id}G0"
    assert len(keys) == 2


def test_topentity_matches_host_site_ngi_or_country(
    client: TestClient, downtimes: dict[str, Downtime]
) -> None:
    assert downtime_keys(client, topentity="bdii.other.example", scope="") == ["9002G0", "9004G0"]
    assert downtime_keys(client, topentity="OTHER-SITE", scope="") == ["9002G0", "9004G0"]
    assert downtime_keys(client, topentity="NGI_OTHER", scope="") == ["9002G0", "9004G0"]
    assert downtime_keys(client, topentity="Slovenia", scope="") == ["9002G0", "9004G0"]


def test_undocumented_calendar_filters(
    client: TestClient, downtimes: dict[str, Downtime], services: Federation
) -> None:
    assert downtime_keys(client, severity="WARNING", scope="") == ["9002G0"]
    assert downtime_keys(client, classification="SCHEDULED", sitelist="OTHER-SITE,X", scope="") == [
        "9004G0"
    ]
    assert downtime_keys(client, ngilist="NGI_TEST", service_type_list="CREAM-CE", scope="") == [
        services.downtime.primary_key,
        "9001G0",
        "9001G0",
        "9003G0",
    ]


def test_service_extensions_filter_downtimes(
    client: TestClient, downtimes: dict[str, Downtime]
) -> None:
    assert downtime_keys(client, service_extensions="(VO=atlas)", scope="") == ["9001G0"]


def test_broadcast_lists_recent_declarations(
    client: TestClient, downtimes: dict[str, Downtime]
) -> None:
    keys = downtime_keys(client, method="get_downtime_to_broadcast", scope="")
    assert "9004G0" not in keys
    assert "9001G0" in keys
    old = downtime_keys(client, method="get_downtime_to_broadcast", interval="70", scope="")
    assert "9004G0" in old


# --- users ------------------------------------------------------------------------------------------


def test_user_filters(client: TestClient, session: Session, services: Federation) -> None:
    session.add(User(subject="other@fedcore.test", forename="Ann", certdn="/CN=Ann Other"))
    session.flush()
    headers = services.operator.headers

    def users(**params: str) -> list[str]:
        root = query(client, headers, method="get_user", **params)
        return [u.findtext("CERTDN") or "" for u in root.iterfind("EGEE_USER")]

    assert users(dn="/CN=Ann Other") == ["/CN=Ann Other"]
    assert users(dnlike="/CN=Ann%") == ["/CN=Ann Other"]
    assert users(dn="site.admin@fedcore.test") == ["site.admin@fedcore.test"]
    assert users(forename="Ann") == ["/CN=Ann Other"]
    assert users(roletype="Site Administrator,NGI Operations Manager") == [
        "ngi.manager@fedcore.test",
        "site.admin@fedcore.test",
    ]
    root = query(client, headers, method="get_user", roletype="Site Administrator")
    (user,) = root.iterfind("EGEE_USER")
    assert [r.findtext("ON_ENTITY") for r in user.iterfind("USER_ROLE")] == ["TEST-SITE"]


# --- service groups, contacts, NGIs, sub-grids ------------------------------------------------------


def test_service_group_members_in_full(
    client: TestClient, session: Session, services: Federation
) -> None:
    from fedcore.registry.models import ServiceGroup, ServiceGroupProperty

    group = ServiceGroup(
        name="CORE", email="core@ngi.test", monitored=True, scopes=[scope(session, "EGI")]
    )
    group.services = [services.service]
    session.add(group)
    session.flush()
    session.add(ServiceGroupProperty(parent_id=group.id, key="tier", value="0"))
    session.flush()
    headers = services.operator.headers
    root = query(client, headers, method="get_service_group", service_group_name="CORE")
    (element,) = root.iterfind("SERVICE_GROUP")
    assert [c.tag for c in element] == [
        "NAME",
        "DESCRIPTION",
        "MONITORED",
        "CONTACT_EMAIL",
        "GOCDB_PORTAL_URL",
        "SERVICE_ENDPOINT",
        "SCOPES",
        "EXTENSIONS",
    ]
    member = element.find("SERVICE_ENDPOINT")
    assert member is not None
    assert member.get("PRIMARY_KEY") == f"{services.service.id}G0"
    assert [c.tag for c in member] == [
        "HOSTNAME",
        "GOCDB_PORTAL_URL",
        "SERVICE_TYPE",
        "HOST_IP",
        "HOST_IPV6",
        "HOSTDN",
        "IN_PRODUCTION",
        "NODE_MONITORED",
        "ENDPOINTS",
        "SCOPES",
        "EXTENSIONS",
    ]
    endpoint = member.find("ENDPOINTS/ENDPOINT")
    assert endpoint is not None
    assert endpoint[-1].tag == "CONTACT_EMAIL"
    assert [s.text for s in member.iterfind("SCOPES/SCOPE")] == ["EGI"]
    assert element.findtext("EXTENSIONS/EXTENSION/KEY") == "tier"
    assert (
        query(client, headers, method="get_service_group", extensions="(tier=1)").find(
            "SERVICE_GROUP"
        )
        is None
    )


def test_service_group_roles_list_the_holders(
    client: TestClient, session: Session, services: Federation
) -> None:
    from fedcore.registry.enums import EntityType, RoleType
    from fedcore.registry.models import ServiceGroup
    from tests.registry.factories import grant

    group = ServiceGroup(name="VO-SERVICES", email="vo@ngi.test", scopes=[scope(session, "EGI")])
    session.add(group)
    session.flush()
    grant(
        session,
        "sg.admin@fedcore.test",
        RoleType.SERVICE_GROUP_ADMINISTRATOR,
        EntityType.SERVICE_GROUP,
        group.id,
    )
    root = query(client, services.operator.headers, method="get_service_group_role")
    (user,) = root.iterfind("SERVICE_GROUP/USER")
    assert [c.tag for c in user] == ["FORENAME", "SURNAME", "CERTDN", "GOCDB_PORTAL_URL", "ROLE"]
    assert user.findtext("CERTDN") == "sg.admin@fedcore.test"
    assert user.findtext("ROLE") == "Service Group Administrator"


def test_contacts_filter_by_role_type(client: TestClient, services: Federation) -> None:
    headers = services.operator.headers
    sites = query(client, headers, method="get_site_contacts", scope="")
    assert [s.get("NAME") for s in sites.iterfind("SITE")] == ["TEST-SITE", "OTHER-SITE"]
    assert len(sites.findall("SITE/CONTACT")) == 1
    none = query(client, headers, method="get_site_contacts", roletype="Site Security Officer")
    assert none.findall("SITE/CONTACT") == []
    rocs = query(client, headers, method="get_roc_contacts", roc="NGI_TEST")
    assert [c.findtext("ROLE_NAME") for c in rocs.iterfind("ROC/CONTACT")] == [
        "NGI Operations Manager"
    ]
    assert rocs.findtext("ROC/MAIL_CONTACT") == "ops@ngi.test"
    projects = query(client, headers, method="get_project_contacts", project="EGI")
    assert projects.find("Project") is not None
    assert projects.findall("Project/CONTACT") == []


def test_ngis_count_their_sites_and_carry_scopes(client: TestClient, services: Federation) -> None:
    root = query(client, services.operator.headers, method="get_ngi", roc="NGI_TEST")
    (ngi,) = root.iterfind("NGI")
    assert ngi.findtext("SITE_COUNT") == "1"
    assert [s.text for s in ngi.iterfind("SCOPES/SCOPE")] == ["EGI"]
    listed = query(client, method="get_roc_list", roc="NGI_%")
    assert [r.get("ROC_NAME") for r in listed.iterfind("ROC")] == ["NGI_TEST", "NGI_OTHER"]


def test_subgrids_are_listed_per_ngi(
    client: TestClient, session: Session, services: Federation
) -> None:
    services.site.subgrid = "GRID-A"
    session.flush()
    root = query(client, method="get_subgrid_list")
    assert [(s.get("SUBGRID_NAME"), s.get("PARENT_ROC")) for s in root.iterfind("SUBGRID")] == [
        ("GRID-A", "NGI_TEST")
    ]
    assert query(client, method="get_subgrid_list", subgrid="B%").find("SUBGRID") is None
