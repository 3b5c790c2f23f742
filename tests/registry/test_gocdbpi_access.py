"""Read PI transport: access levels, GOCDB's error bodies, cursor paging as ARGO and APEL
follow it, and what ARGO's and APEL's parsers rely on."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.security import create_api_token
from fedcore.registry.models import ApiCredential, Downtime, Service, ServiceType, User
from tests.registry.factories import Federation

PI = "/gocdbpi/private/"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- access levels ----------------------------------------------------------------------------------

PUBLIC = ["get_site_list", "get_service_endpoint", "get_downtime", "get_roc_list"]
REGISTERED = ["get_site", "get_ngi", "get_service_group", "get_cert_status_changes"]
PERSONAL = ["get_site_contacts", "get_roc_contacts", "get_user", "get_project_contacts"]


@pytest.mark.parametrize("method", PUBLIC)
def test_public_methods_need_no_credential(
    client: TestClient, federation: Federation, method: str
) -> None:
    response = client.get("/gocdbpi/public/", params={"method": method})
    assert response.status_code == 200
    assert response.text.startswith("<?xml")


@pytest.mark.parametrize("method", [*REGISTERED, *PERSONAL, "get_cert_status_date"])
def test_anonymous_callers_are_refused_protected_methods(
    client: TestClient, federation: Federation, method: str
) -> None:
    response = client.get(PI, params={"method": method})
    assert response.status_code == 403
    assert response.text.startswith("<error>No valid identifier found.")


def test_any_credential_reaches_level_two(client: TestClient, federation: Federation) -> None:
    response = client.get(
        PI, params={"method": "get_cert_status_date"}, headers=federation.member.headers
    )
    assert response.status_code == 200
    refused = client.get(PI, params={"method": "get_site"}, headers=federation.member.headers)
    assert refused.status_code == 403
    assert "neither a registered registry user nor a site API credential" in refused.text


def test_registered_users_reach_level_three_but_not_personal_data(
    client: TestClient, session: Session, federation: Federation
) -> None:
    session.add(User(subject="plain@fedcore.test", forename="Plain"))
    _, token = create_api_token(session=session, subject="plain@fedcore.test")
    for method in REGISTERED:
        assert client.get(PI, params={"method": method}, headers=bearer(token)).status_code == 200
    for method in PERSONAL:
        refused = client.get(PI, params={"method": method}, headers=bearer(token))
        assert refused.status_code == 403
        assert "personal data" in refused.text


@pytest.mark.parametrize("actor", ["site_admin", "ngi_manager", "operator"])
def test_role_holders_and_operators_read_personal_data(
    client: TestClient, federation: Federation, actor: str
) -> None:
    headers = getattr(federation, actor).headers
    for method in [*REGISTERED, *PERSONAL]:
        response = client.get(PI, params={"method": method}, headers=headers)
        assert response.status_code == 200, (method, response.text)
    contacts = client.get(
        PI, params={"method": "get_site_contacts", "sitename": "TEST-SITE"}, headers=headers
    )
    emails = [c.findtext("EMAIL") for c in etree.fromstring(contacts.content).iter("CONTACT")]
    assert emails == ["site.admin@fedcore.test"]


def test_site_api_credentials_reach_every_level_and_record_their_use(
    client: TestClient, session: Session, federation: Federation
) -> None:
    dn = "/DC=org/DC=test/CN=monitoring.test.example"
    credential = ApiCredential(
        site_id=federation.site.id,
        kind="X.509",
        identifier=dn,
        owner_subject="site.admin@fedcore.test",
    )
    session.add(credential)
    _, token = create_api_token(session=session, subject=dn)
    session.flush()
    response = client.get(PI, params={"method": "access_test"}, headers=bearer(token))
    assert response.status_code == 200
    assert f'identifier="{dn}"' in response.text
    assert "<authorized>true</authorized>" in response.text
    session.refresh(credential)
    assert credential.last_used_at is not None


def test_access_test_refuses_callers_without_personal_data_rights(
    client: TestClient, federation: Federation
) -> None:
    response = client.get(PI, params={"method": "access_test"}, headers=federation.member.headers)
    assert response.status_code == 403


def test_an_invalid_token_is_refused_even_for_public_methods(
    client: TestClient, federation: Federation
) -> None:
    response = client.get(PI, params={"method": "get_site_list"}, headers=bearer("fct_nonsense"))
    assert response.status_code == 401


def test_public_and_private_paths_serve_the_same_methods(
    client: TestClient, federation: Federation
) -> None:
    headers = federation.operator.headers
    for method in ["get_site", "get_service_endpoint"]:
        public = client.get("/gocdbpi/public/", params={"method": method}, headers=headers)
        private = client.get(PI, params={"method": method}, headers=headers)
        assert public.text == private.text


# --- errors -----------------------------------------------------------------------------------------


def test_unknown_method_is_answered_in_plain_text(client: TestClient) -> None:
    response = client.get(PI, params={"method": "get_everything"})
    assert response.status_code == 200
    assert response.text == "Unable to find method: get_everything"
    assert response.headers["content-type"].startswith("text/plain")
    assert client.get(PI).text == "Unable to find method: "


@pytest.mark.parametrize(
    ("params", "body"),
    [
        (
            {"method": "get_site_list", "colour": "red"},
            "<error>Unsupported parameter: colour</error>",
        ),
        (
            {"method": "get_site_list", "next_cursor": "0"},
            "<error>Unsupported parameter: next_cursor</error>",
        ),
        (
            {"method": "get_service_types", "x<y": "1"},
            "<error>Unsupported parameter: x&lt;y</error>",
        ),
        (
            {"method": "get_site_list", "sitename": "O'Brien"},
            "<error>Unsuported chracter in value: O'Brien</error>",
        ),
        (
            {"method": "get_downtime", "topentity": 'a"b'},
            '<error>Unsuported chracter in value: a"b</error>',
        ),
        (
            {"method": "get_downtime", "topentity": "a`b"},
            "<error>Unsuported chracter in value: a`b</error>",
        ),
        (
            {"method": "get_service", "next_cursor": "1", "prev_cursor": "2"},
            "<error>It is invalid to specify both 'next_cursor' and 'prev_cursor' parameters in the same query</error>",
        ),
        (
            {"method": "get_service", "next_cursor": "-1"},
            "<error>Invalid 'next_cursor' parameter - must be a whole number greater than or equal to zero</error>",
        ),
        (
            {"method": "get_downtime", "startdate": "yesterday"},
            "<error>Invalid startdate 'yesterday' - must be a date as YYYY-MM-DD</error>",
        ),
        (
            {"method": "get_downtime", "windowend": "2024-13-01"},
            "<error>Invalid windowend '2024-13-01' - must be a date as YYYY-MM-DD</error>",
        ),
        (
            {"method": "get_downtime", "id": "x1"},
            "<error>Invalid id 'x1' - must be a whole number</error>",
        ),
        (
            {"method": "get_downtime", "ongoing_only": "maybe"},
            "<error>Invalid ongoing_only value - must be 'yes' or 'no'</error>",
        ),
        (
            {"method": "get_downtime", "ongoing_only": "yes", "startdate": "2024-01-01"},
            "<error>Invalid parameter combination - do not specify startdate or enddate with ongoing_only</error>",
        ),
        (
            {"method": "get_downtime", "all_lastmonth": "", "windowstart": "2024-01-01"},
            "<error>Invalid parameters - only scope, scope_match, topentity params allowed when specifying all_lastmonth</error>",
        ),
        (
            {"method": "get_downtime_to_broadcast", "interval": "two"},
            "<error>interval is not a number</error>",
        ),
        (
            {"method": "get_service", "monitored": "perhaps"},
            "<error>Invalid monitored 'perhaps' - must be Y or N</error>",
        ),
        (
            {"method": "get_service", "scope": "A,B", "scope_match": "some"},
            "<error>Invalid scope_match 'some' - must be 'all' or 'any'</error>",
        ),
        (
            {"method": "get_service", "extensions": "VO=atlas"},
            "<error>Invalid extensions parameter: expected one or more (key=value) groups, each optionally prefixed by AND, OR or NOT</error>",
        ),
    ],
)
def test_bad_parameters_get_gocdb_error_bodies(
    client: TestClient, params: dict[str, str], body: str
) -> None:
    response = client.get("/gocdbpi/public/", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml; charset=UTF-8"
    assert response.text == body


def test_output_is_ignored_as_gocdb_does(client: TestClient) -> None:
    response = client.get(
        "/gocdbpi/public/", params={"method": "get_service_types", "output": "xml"}
    )
    assert response.text.startswith("<?xml")


def test_parameters_are_checked_after_authorisation(
    client: TestClient, federation: Federation
) -> None:
    response = client.get(PI, params={"method": "get_site", "colour": "red"})
    assert response.status_code == 403


# --- paging -----------------------------------------------------------------------------------------


@pytest.fixture
def many_services(session: Session, federation: Federation) -> list[int]:
    """250 more services, the gLite-APEL ones with host DNs; returns every service id."""
    apel = session.scalar(select(ServiceType).where(ServiceType.name == "gLite-APEL"))
    egi = federation.service.scopes
    rows = [
        Service(
            hostname=f"apel{i:03d}.test.example",
            site_id=federation.site.id,
            service_type=apel,
            host_dn=f"/DC=org/DC=test/CN=apel{i:03d}.test.example",
            scopes=list(egi),
        )
        for i in range(250)
    ]
    session.add_all(rows)
    session.flush()
    return sorted([federation.service.id, federation.other_service.id, *(r.id for r in rows)])


def follow(
    client: TestClient, url: str, headers: dict[str, str]
) -> tuple[list[str], list[etree._Element]]:
    """ARGO's loop: start at next_cursor=0, follow rel="next" until a page counts 0."""
    keys: list[str] = []
    metas: list[etree._Element] = []
    while True:
        root = etree.fromstring(client.get(url, headers=headers).content)
        meta = root.find("meta")
        assert meta is not None
        metas.append(meta)
        items = [e for e in root if e.tag != "meta"]
        entities = {e.get("ID") or e.get("PRIMARY_KEY") for e in items}
        assert int(meta.findtext("count") or -1) == len(entities)
        keys += [e.get("PRIMARY_KEY") or "" for e in items]
        if meta.findtext("count") == "0":
            return keys, metas
        (link,) = [link for link in meta.iter("link") if link.get("rel") == "next"]
        parts = urlsplit(link.get("href") or "")
        url = f"{parts.path}?{parts.query}"


def test_paging_loop_returns_every_item_once(
    client: TestClient, many_services: list[int], settings: Settings
) -> None:
    headers: dict[str, str] = {}
    keys, metas = follow(client, f"{PI}?method=get_service_endpoint&scope=&next_cursor=0", headers)
    assert keys == [f"{i}G0" for i in many_services]
    assert [m.findtext("count") for m in metas] == ["100", "100", "52", "0"]
    assert {m.findtext("max_page_size") for m in metas} == {"100"}
    first = {link.get("rel"): link.get("href") for link in metas[0].iter("link")}
    base = f"{settings.base_url}{PI}"
    assert first == {
        "self": f"{base}?method=get_service_endpoint&scope=&next_cursor=0",
        "next": f"{base}?method=get_service_endpoint&scope=&next_cursor={many_services[99]}",
        "prev": f"{base}?method=get_service_endpoint&scope=&prev_cursor={many_services[0]}",
        "start": f"{base}?method=get_service_endpoint&scope=&next_cursor=0",
    }
    last = {link.get("rel"): link.get("href") for link in metas[-1].iter("link")}
    assert "next" not in last
    assert parse_qs(urlsplit(last["prev"] or "").query)["prev_cursor"] == [
        str(many_services[-1] + 1)
    ]


def test_prev_cursor_pages_backwards_in_ascending_order(
    client: TestClient, many_services: list[int]
) -> None:
    cursor = many_services[150]
    root = etree.fromstring(
        client.get(
            PI, params={"method": "get_service_endpoint", "scope": "", "prev_cursor": str(cursor)}
        ).content
    )
    keys = [e.get("PRIMARY_KEY") for e in root.iterfind("SERVICE_ENDPOINT")]
    assert keys == [f"{i}G0" for i in many_services[50:150]]


def test_unpaged_queries_have_no_meta(client: TestClient, many_services: list[int]) -> None:
    root = etree.fromstring(
        client.get(PI, params={"method": "get_service_endpoint", "scope": ""}).content
    )
    assert root.find("meta") is None
    assert len(root.findall("SERVICE_ENDPOINT")) == len(many_services)


def test_service_group_always_has_meta(client: TestClient, federation: Federation) -> None:
    response = client.get(
        PI, params={"method": "get_service_group"}, headers=federation.operator.headers
    )
    meta = etree.fromstring(response.content).find("meta")
    assert meta is not None
    assert meta.findtext("count") == "0"


def test_downtime_pages_count_downtimes(
    client: TestClient, session: Session, federation: Federation
) -> None:
    rows = [
        Downtime(
            primary_key=f"{7000 + i}G0",
            severity="OUTAGE",
            classification="SCHEDULED",
            start_at=federation.downtime.start_at,
            end_at=federation.downtime.end_at,
            site_id=federation.site.id,
            services=[federation.service, federation.other_service],
        )
        for i in range(120)
    ]
    session.add_all(rows)
    session.flush()
    keys, metas = follow(client, f"{PI}?method=get_downtime&scope=&next_cursor=0", {})
    assert [m.findtext("count") for m in metas] == ["100", "21", "0"]
    assert len(keys) == 2 * 120 + 1
    assert len(set(keys)) == 121


# --- what ARGO and APEL read ------------------------------------------------------------------------


def test_apel_collects_host_dns_of_glite_apel_services(
    client: TestClient, many_services: list[int]
) -> None:
    """APEL's retrieve_dns: public get_service_endpoint by type, every HOSTDN, following next."""
    dns: list[str] = []
    url = "/gocdbpi/public/?method=get_service_endpoint&service_type=gLite-APEL&next_cursor=0"
    while url:
        root = etree.fromstring(client.get(url).content)
        dns += [e.text or "" for e in root.iter("HOSTDN")]
        nexts = [link.get("href") or "" for link in root.iter("link") if link.get("rel") == "next"]
        url = "" if not nexts else "{0.path}?{0.query}".format(urlsplit(nexts[0]))
    assert len(dns) == 250
    assert all(dn.startswith("/DC=org/DC=test/CN=apel") for dn in dns)


def test_argo_topology_fields(client: TestClient, federation: Federation) -> None:
    root = etree.fromstring(
        client.get(PI, params={"method": "get_service_endpoint", "scope": ""}).content
    )
    for service in root.iterfind("SERVICE_ENDPOINT"):
        assert service.get("PRIMARY_KEY")
        assert service.find("URL") is not None
        for field in (
            "HOSTNAME",
            "SERVICE_TYPE",
            "NODE_MONITORED",
            "IN_PRODUCTION",
            "SITENAME",
            "ROC_NAME",
        ):
            assert service.findtext(field), field
        assert service.find("SCOPES") is not None
        assert service.find("EXTENSIONS") is not None
    # ARGO searches with .//HOSTNAME: the name appears once per service
    assert len(root.findall(".//HOSTNAME")) == len(root.findall("SERVICE_ENDPOINT"))


def test_credential_use_is_recorded_at_most_hourly(
    client: TestClient, session: Session, federation: Federation
) -> None:
    dn = "/DC=org/DC=test/CN=poller.test.example"
    recent = utcnow() - timedelta(minutes=10)
    credential = ApiCredential(
        site_id=federation.site.id,
        kind="X.509",
        identifier=dn,
        owner_subject="site.admin@fedcore.test",
        last_used_at=recent,
    )
    session.add(credential)
    _, token = create_api_token(session=session, subject=dn)
    session.flush()
    assert (
        client.get(PI, params={"method": "access_test"}, headers=bearer(token)).status_code == 200
    )
    session.refresh(credential)
    assert credential.last_used_at == recent
    credential.last_used_at = utcnow() - timedelta(hours=2)
    session.flush()
    assert (
        client.get(PI, params={"method": "access_test"}, headers=bearer(token)).status_code == 200
    )
    session.refresh(credential)
    assert credential.last_used_at is not None
    assert utcnow() - credential.last_used_at < timedelta(minutes=1)
