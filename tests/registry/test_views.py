"""Registry pages, forms and downtime feeds, through the web app, on both databases."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from icalendar import Calendar
from lxml import etree
from sqlalchemy.orm import Session

from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.registry import service as registry
from fedcore.registry.models import Downtime
from fedcore.registry.schemas import DowntimeCreate, ServiceGroupCreate, SiteUpdate
from fedcore.registry.service import browse
from fedcore.registry.views import common, sites
from tests.registry.factories import Federation
from tests.support.pages import field_error, sign_in

HTML = {"accept": "text/html"}


ATOM = "{http://www.w3.org/2005/Atom}"


def site_downtime_count(session: Session, site_id: int) -> int:
    return len(browse.list_site_downtimes(session=session, site_id=site_id))


def local_input(when: datetime, zone: str) -> str:
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


# --- pages --------------------------------------------------------------------------------------


def test_pages_render_for_anonymous_viewers(
    client: TestClient, session: Session, federation: Federation
) -> None:
    fed = federation
    group = registry.create_service_group(
        session=session,
        actor=fed.operator.principal,
        data=ServiceGroupCreate(name="Core", email="core@test.example", services=[fed.service.id]),
    )
    expected = {
        "/": "Service registry",
        "/registry/": "Downtimes now",
        "/registry/sites/": "OTHER-SITE",
        f"/registry/sites/{fed.site.id}": "ce.test.example",
        "/registry/ngis/": "NGI_OTHER",
        f"/registry/ngis/{fed.ngi.id}": "TEST-SITE",
        f"/registry/services/{fed.service.id}": "ce-main",
        "/registry/service-groups/": "Core",
        f"/registry/service-groups/{group.id}": "ce.test.example",
        "/registry/downtimes/": fed.downtime.primary_key,
        f"/registry/downtimes/{fed.downtime.id}": "Kernel upgrade",
        "/registry/downtimes/broadcast": fed.downtime.primary_key,
    }
    for path, text in expected.items():
        response = client.get(path, headers=HTML)
        assert response.status_code == 200, path
        assert text in response.text, path
        assert 'href="/login?next=' in response.text, path


def test_home_counts_the_registry(client: TestClient, federation: Federation) -> None:
    page = client.get("/").text
    assert re.search(r'class="number">2</span> <span class="label">sites', page)
    assert re.search(r'class="number">2</span> <span class="label">NGIs', page)


def test_unknown_site_is_a_404_page(client: TestClient, federation: Federation) -> None:
    response = client.get("/registry/sites/99999", headers=HTML)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "no site with id 99999" in response.text


def test_site_page_shows_both_times_and_the_site_zone(
    client: TestClient, session: Session, federation: Federation
) -> None:
    registry.update_site(
        session=session,
        actor=federation.operator.principal,
        site_id=federation.site.id,
        data=SiteUpdate(timezone="Asia/Kolkata"),
    )
    page = client.get(f"/registry/sites/{federation.site.id}").text
    start = federation.downtime.start_at
    local = start.astimezone(ZoneInfo("Asia/Kolkata"))
    assert f"{start:%Y-%m-%d %H:%M} UTC" in page
    assert f'{local:%Y-%m-%d %H:%M} IST</span> <span class="nowrap">(UTC+05:30)' in page


def test_contact_details_are_for_role_holders(client: TestClient, federation: Federation) -> None:
    path = f"/registry/sites/{federation.site.id}"
    assert "site@test.example" not in client.get(path).text
    sign_in(client, federation.member)
    assert "site@test.example" not in client.get(path).text
    sign_in(client, federation.site_admin)
    page = client.get(path).text
    assert "site@test.example" in page
    assert "Site Administrator" in page


def test_user_page_needs_the_right_to_read_personal_data(
    client: TestClient, session: Session, federation: Federation
) -> None:
    user = registry.get_user_by_subject(session=session, subject="site.admin@fedcore.test")
    assert user is not None
    path = f"/registry/users/{user.id}"
    anonymous = client.get(path, headers=HTML, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")
    sign_in(client, federation.member)
    assert client.get(path, headers=HTML).status_code == 403
    sign_in(client, federation.ngi_manager)
    page = client.get(path, headers=HTML)
    assert page.status_code == 200
    assert "site.admin@fedcore.test" in page.text
    assert f'href="/registry/sites/{federation.site.id}">TEST-SITE' in page.text


# --- lists and filters --------------------------------------------------------------------------


def site_names(response: Response) -> set[str]:
    return set(re.findall(r'href="/registry/sites/\d+">([^<]+)</a>', response.text))


SITE_FILTERS = {
    "": {"TEST-SITE", "OTHER-SITE"},
    "?ngi=NGI_OTHER": {"OTHER-SITE"},
    "?country_code=ch": {"TEST-SITE"},
    "?certification_status=Candidate&scope=EGI": {"TEST-SITE", "OTHER-SITE"},
    "?certification_status=Certified": set(),
    "?infrastructure=Test": set(),
    "?q=test+site": {"TEST-SITE"},
    "?q=&ngi=&country_code=": {"TEST-SITE", "OTHER-SITE"},
}


def test_site_list_filters(client: TestClient, federation: Federation) -> None:
    for query, names in SITE_FILTERS.items():
        response = client.get(f"/registry/sites/{query}")
        assert response.status_code == 200, query
        assert site_names(response) == names, query
        assert f"{len(names)} site" in response.text, query


def test_site_list_rejects_an_unknown_status_next_to_the_field(
    client: TestClient, federation: Federation
) -> None:
    response = client.get("/registry/sites/?certification_status=Bogus")
    assert response.status_code == 422
    assert 'href="#f-certification_status"' in response.text
    assert site_names(response) == set()


def test_site_list_pages_keep_the_filter(
    client: TestClient, federation: Federation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sites, "PAGE_SIZE", 1)
    first = client.get("/registry/sites/?scope=EGI")
    assert site_names(first) == {"TEST-SITE"}
    match = re.search(r'href="([^"]+)" rel="next"', first.text)
    assert match
    next_link = match.group(1).replace("&amp;", "&")
    assert "scope=EGI" in next_link
    second = client.get(next_link)
    assert site_names(second) == {"OTHER-SITE"}
    assert 'rel="next"' not in second.text


def test_downtime_list_filters(client: TestClient, federation: Federation) -> None:
    key = federation.downtime.primary_key
    assert key in client.get("/registry/downtimes/").text
    assert key in client.get("/registry/downtimes/?site=TEST-SITE&severity=OUTAGE").text
    assert key not in client.get("/registry/downtimes/?severity=WARNING").text
    assert key not in client.get("/registry/downtimes/?ngi=NGI_OTHER").text
    assert key not in client.get("/registry/downtimes/?when=ongoing").text
    assert key in client.get("/registry/downtimes/?when=all&classification=SCHEDULED").text
    bad = client.get("/registry/downtimes/?when=yesterday")
    assert bad.status_code == 422
    assert 'href="#f-when"' in bad.text


# --- who sees which form --------------------------------------------------------------------------


def test_forms_are_shown_only_to_those_allowed(client: TestClient, federation: Federation) -> None:
    path = f"/registry/sites/{federation.site.id}"
    declare = f"/registry/sites/{federation.site.id}/downtimes/new"
    add = f"/registry/sites/{federation.site.id}/services/new"
    certify = 'id="certification-form"'

    page = client.get(path).text
    assert [declare in page, add in page, certify in page] == [False, False, False]
    sign_in(client, federation.member)
    page = client.get(path).text
    assert [declare in page, add in page, certify in page] == [False, False, False]
    sign_in(client, federation.site_admin)
    page = client.get(path).text
    assert [declare in page, add in page, certify in page] == [True, True, False]
    assert client.get(f"/registry/sites/{federation.other_site.id}").text.count("/new") == 0
    sign_in(client, federation.ngi_manager)
    page = client.get(path).text
    assert [declare in page, add in page, certify in page] == [True, True, True]
    form = page[page.index(certify) :]
    options = re.findall(r'<option value="([^"]+)"', form[: form.index("</form>")])
    assert options == ["Uncertified", "Closed"]


def test_form_pages_need_permission(client: TestClient, federation: Federation) -> None:
    declare = f"/registry/sites/{federation.site.id}/downtimes/new"
    anonymous = client.get(declare, headers=HTML, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == f"/login?next={declare}"
    sign_in(client, federation.member)
    assert client.get(declare, headers=HTML).status_code == 403
    sign_in(client, federation.site_admin)
    page = client.get(f"{declare}?service={federation.service.id}", headers=HTML)
    assert page.status_code == 200
    assert f'value="{federation.service.id}" checked' in page.text


# --- declaring downtimes ------------------------------------------------------------------------


def declare(client: TestClient, fed: Federation, csrf: str, **fields: object) -> Response:
    data: dict[str, object] = {
        "csrf": csrf,
        "severity": "WARNING",
        "description": "Firmware upgrade",
        "zone": "UTC",
        "services": [str(fed.service.id)],
        **fields,
    }
    return client.post(
        f"/registry/sites/{fed.site.id}/downtimes", data=data, follow_redirects=False
    )


def test_declare_a_downtime_in_the_site_time_zone(
    client: TestClient, session: Session, federation: Federation
) -> None:
    fed = federation
    registry.update_site(
        session=session,
        actor=fed.operator.principal,
        site_id=fed.site.id,
        data=SiteUpdate(timezone="Europe/Zurich"),
    )
    csrf = sign_in(client, fed.site_admin)
    start = (utcnow() + timedelta(days=10)).replace(minute=0, second=0)
    response = declare(
        client,
        fed,
        csrf,
        zone="Europe/Zurich",
        start=local_input(start, "Europe/Zurich"),
        end=local_input(start + timedelta(hours=2), "Europe/Zurich"),
        endpoints=[str(fed.endpoint.id)],
    )
    assert response.status_code == 303
    downtime_id = int(response.headers["location"].rsplit("/", 1)[1])
    downtime = registry.get_downtime(session=session, downtime_id=downtime_id)
    assert (downtime.start_at, downtime.end_at) == (start, start + timedelta(hours=2))
    assert downtime.classification == "SCHEDULED"
    assert [e.id for e in downtime.endpoints] == [fed.endpoint.id]
    page = client.get(response.headers["location"]).text
    assert "declared (SCHEDULED)" in page
    assert f"{start:%Y-%m-%d %H:%M} UTC" in page
    assert local_input(start, "Europe/Zurich").replace("T", " ") in page


def test_declare_in_utc(client: TestClient, session: Session, federation: Federation) -> None:
    csrf = sign_in(client, federation.site_admin)
    start = (utcnow() + timedelta(hours=2)).replace(second=0)
    response = declare(
        client,
        federation,
        csrf,
        start=f"{start:%Y-%m-%dT%H:%M}",
        end=f"{start + timedelta(hours=1):%Y-%m-%dT%H:%M}",
    )
    assert response.status_code == 303
    downtime = registry.get_downtime(
        session=session, downtime_id=int(response.headers["location"].rsplit("/", 1)[1])
    )
    assert downtime.start_at == start
    assert downtime.classification == "UNSCHEDULED"


def test_a_time_the_clocks_skip_is_refused(
    client: TestClient, session: Session, federation: Federation
) -> None:
    fed = federation
    registry.update_site(
        session=session,
        actor=fed.operator.principal,
        site_id=fed.site.id,
        data=SiteUpdate(timezone="Europe/Zurich"),
    )
    year = utcnow().year + 1
    last_sunday = max(
        datetime(year, 3, day, tzinfo=UTC)
        for day in range(25, 32)
        if datetime(year, 3, day, tzinfo=UTC).weekday() == 6
    )
    before = site_downtime_count(session, fed.site.id)
    csrf = sign_in(client, fed.site_admin)
    response = declare(
        client,
        fed,
        csrf,
        zone="Europe/Zurich",
        start=f"{last_sunday:%Y-%m-%d}T02:30",
        end=f"{last_sunday:%Y-%m-%d}T05:00",
    )
    assert response.status_code == 422
    assert "does not exist in Europe/Zurich" in field_error(response, "start")
    assert site_downtime_count(session, fed.site.id) == before


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"start": "+3h", "end": "+1h"}, "end", "the end must be after the start"),
        ({"start": "-72h", "end": "+1h"}, "start", "at most 48 hours in the past"),
        ({"start": "tomorrow"}, "start", "YYYY-MM-DD HH:MM"),
        ({"description": ""}, "description", "at least 1 character"),
        ({"severity": "MINOR"}, "severity", "OUTAGE"),
        ({"services": []}, "services", "at least 1 item"),
        ({"zone": "Europe/Paris"}, "zone", "choose UTC or the site"),
    ],
)
def test_bad_downtime_input_is_shown_next_to_the_field_and_changes_nothing(
    client: TestClient,
    session: Session,
    federation: Federation,
    change: dict[str, object],
    field: str,
    message: str,
) -> None:
    now = utcnow()

    def at(offset: object) -> object:
        if isinstance(offset, str) and offset[:1] in ("+", "-") and offset.endswith("h"):
            return f"{now + timedelta(hours=int(offset[:-1])):%Y-%m-%dT%H:%M}"
        return offset

    fields = {"start": "+1h", "end": "+2h", **change}
    before = site_downtime_count(session, federation.site.id)
    csrf = sign_in(client, federation.site_admin)
    response = declare(client, federation, csrf, **{k: at(v) for k, v in fields.items()})
    assert response.status_code in (409, 422)
    assert message in response.text
    if field in ("start", "end", "description"):
        assert message in field_error(response, field)
    assert f'href="#f-{field}"' in response.text
    assert site_downtime_count(session, federation.site.id) == before
    assert "Firmware upgrade" in response.text or change.get("description") == ""


def test_another_sites_services_cannot_be_smuggled_in(
    client: TestClient, session: Session, federation: Federation
) -> None:
    csrf = sign_in(client, federation.operator)
    start = utcnow() + timedelta(hours=1)
    response = declare(
        client,
        federation,
        csrf,
        services=[str(federation.other_service.id)],
        start=f"{start:%Y-%m-%dT%H:%M}",
        end=f"{start + timedelta(hours=1):%Y-%m-%dT%H:%M}",
    )
    assert response.status_code == 422
    assert site_downtime_count(session, federation.other_site.id) == 0


def test_a_form_without_csrf_token_is_refused(
    client: TestClient, session: Session, federation: Federation
) -> None:
    sign_in(client, federation.site_admin)
    start = utcnow() + timedelta(hours=1)
    before = site_downtime_count(session, federation.site.id)
    response = declare(
        client,
        federation,
        "",
        start=f"{start:%Y-%m-%dT%H:%M}",
        end=f"{start + timedelta(hours=1):%Y-%m-%dT%H:%M}",
    )
    assert response.status_code == 403
    assert site_downtime_count(session, federation.site.id) == before


def test_a_viewer_without_the_right_is_refused_by_the_service(
    client: TestClient, session: Session, federation: Federation
) -> None:
    csrf = sign_in(client, federation.member)
    start = utcnow() + timedelta(hours=1)
    response = declare(
        client,
        federation,
        csrf,
        start=f"{start:%Y-%m-%dT%H:%M}",
        end=f"{start + timedelta(hours=1):%Y-%m-%dT%H:%M}",
    )
    assert response.status_code == 403
    assert site_downtime_count(session, federation.site.id) == 1


def test_wall_clock_times_around_daylight_saving_changes() -> None:
    assert common.wall_clock_to_utc("2027-07-01T12:00", "Europe/Zurich") == datetime(
        2027, 7, 1, 10, 0, tzinfo=UTC
    )
    assert common.wall_clock_to_utc("2027-01-01 12:00", "Europe/Zurich") == datetime(
        2027, 1, 1, 11, 0, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="happens twice"):
        common.wall_clock_to_utc("2027-10-31T02:30", "Europe/Zurich")
    with pytest.raises(ValueError, match="does not exist"):
        common.wall_clock_to_utc("2027-03-28T02:30", "Europe/Zurich")


# --- ending and deleting downtimes --------------------------------------------------------------


def test_end_an_ongoing_downtime(
    client: TestClient, session: Session, federation: Federation
) -> None:
    now = utcnow()
    ongoing = registry.create_downtime(
        session=session,
        actor=federation.site_admin.principal,
        data=DowntimeCreate(
            severity="OUTAGE",
            description="Power cut",
            start=now - timedelta(hours=1),
            end=now + timedelta(days=1),
            services=[federation.service.id],
        ),
    )
    path = f"/registry/downtimes/{ongoing.id}"
    assert "End now" not in client.get(path).text
    csrf = sign_in(client, federation.site_admin)
    page = client.get(path).text
    assert "End now" in page
    assert "Delete this downtime" not in page
    response = client.post(f"{path}/end", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303
    session.refresh(ongoing)
    assert ongoing.end_at <= utcnow() + timedelta(seconds=61)
    assert "ends within a minute" in client.get(path).text


def test_delete_a_future_downtime(
    client: TestClient, session: Session, federation: Federation
) -> None:
    path = f"/registry/downtimes/{federation.downtime.id}"
    csrf = sign_in(client, federation.member)
    assert "Delete this downtime" not in client.get(path).text
    assert client.post(f"{path}/delete", data={"csrf": csrf}).status_code == 403
    csrf = sign_in(client, federation.site_admin)
    assert "Delete this downtime" in client.get(path).text
    response = client.post(f"{path}/delete", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/registry/sites/{federation.site.id}"
    assert session.get(Downtime, federation.downtime.id) is None


def test_refused_delete_shows_the_rule(
    client: TestClient, session: Session, federation: Federation
) -> None:
    now = utcnow()
    started = registry.create_downtime(
        session=session,
        actor=federation.site_admin.principal,
        data=DowntimeCreate(
            severity="WARNING",
            description="Started already",
            start=now - timedelta(minutes=5),
            end=now + timedelta(hours=1),
            services=[federation.service.id],
        ),
    )
    csrf = sign_in(client, federation.site_admin)
    response = client.post(f"/registry/downtimes/{started.id}/delete", data={"csrf": csrf})
    assert response.status_code == 409
    assert "cannot be deleted; end it" in response.text
    assert session.get(Downtime, started.id) is not None


# --- adding services ----------------------------------------------------------------------------


def add_service(client: TestClient, fed: Federation, csrf: str, **fields: object) -> Response:
    data: dict[str, object] = {
        "csrf": csrf,
        "hostname": "se.test.example",
        "service_type": "Site-BDII",
        "production": "on",
        "monitored": "on",
        "scopes": ["EGI"],
        **fields,
    }
    return client.post(f"/registry/sites/{fed.site.id}/services", data=data, follow_redirects=False)


def test_add_a_service_with_endpoints(
    client: TestClient, session: Session, federation: Federation
) -> None:
    csrf = sign_in(client, federation.site_admin)
    response = add_service(
        client,
        federation,
        csrf,
        **{
            "endpoints.1.name": "ldap",
            "endpoints.1.url": "ldap://se.test.example:2170",
            "endpoints.1.monitored": "on",
        },
    )
    assert response.status_code == 303
    service = registry.get_service(
        session=session, service_id=int(response.headers["location"].rsplit("/", 1)[1])
    )
    assert (service.hostname, service.site_id, service.production) == (
        "se.test.example",
        federation.site.id,
        True,
    )
    assert [(e.name, e.interface_name, e.monitored) for e in service.endpoints] == [
        ("ldap", "Site-BDII", True)
    ]
    assert (
        "Service se.test.example (Site-BDII) added."
        in client.get(response.headers["location"]).text
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"hostname": "bad host!"}, "hostname", "not allowed here"),
        ({"service_type": "No-Such-Type"}, "service_type", "no service type named"),
        ({"monitored": []}, "monitored", "must be monitored"),
        ({"endpoints.2.url": "not a url"}, "endpoints.2.name", "at least 1 character"),
        ({"scopes": ["wlcg"]}, "scopes", ""),
    ],
)
def test_bad_service_input_is_shown_next_to_the_field_and_changes_nothing(
    client: TestClient,
    session: Session,
    federation: Federation,
    fields: dict[str, object],
    field: str,
    message: str,
) -> None:
    csrf = sign_in(client, federation.site_admin)
    response = add_service(client, federation, csrf, **fields)
    if field == "scopes":
        # a reserved scope is an operator's decision: the service layer refuses outright
        assert response.status_code == 403
    else:
        assert response.status_code in (409, 422, 404)
        assert f'href="#f-{field}"' in response.text
        assert message in response.text
    session.expire_all()
    assert [
        s.hostname for s in registry.get_site(session=session, site_id=federation.site.id).services
    ] == ["ce.test.example"]


# --- certification ------------------------------------------------------------------------------


def test_change_the_certification_status(
    client: TestClient, session: Session, federation: Federation
) -> None:
    csrf = sign_in(client, federation.ngi_manager)
    path = f"/registry/sites/{federation.site.id}/certification"
    refused = client.post(path, data={"csrf": csrf, "status": "Certified", "reason": "ok"})
    assert refused.status_code == 409
    assert "cannot go from Candidate to Certified" in field_error(refused, "status")
    missing = client.post(path, data={"csrf": csrf, "status": "Uncertified", "reason": " "})
    assert missing.status_code == 422
    assert field_error(missing, "reason")
    session.expire_all()
    assert registry.get_site(session=session, site_id=federation.site.id).certification_status == (
        "Candidate"
    )
    done = client.post(
        path,
        data={"csrf": csrf, "status": "Uncertified", "reason": "validation starts"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    assert "TEST-SITE is now Uncertified." in page
    assert "validation starts" in page


def test_site_admins_cannot_certify(client: TestClient, federation: Federation) -> None:
    csrf = sign_in(client, federation.site_admin)
    response = client.post(
        f"/registry/sites/{federation.site.id}/certification",
        data={"csrf": csrf, "status": "Uncertified", "reason": "me"},
    )
    assert response.status_code == 403


# --- feeds --------------------------------------------------------------------------------------


def events(response: Response) -> list[dict[str, object]]:
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return [
        {key: component.decoded(key) for key in ("uid", "summary", "dtstart", "dtend", "url")}
        for component in calendar.walk("VEVENT")
    ]


def test_site_calendar_holds_the_site_downtimes(
    client: TestClient, settings: Settings, federation: Federation
) -> None:
    fed = federation
    [event] = events(client.get(f"/registry/sites/{fed.site.id}/downtimes.ics"))
    assert event["uid"] == f"{fed.downtime.primary_key}@127.0.0.1"
    assert event["dtstart"] == fed.downtime.start_at
    assert event["dtend"] == fed.downtime.end_at
    assert event["summary"] == "[OUTAGE] TEST-SITE: Kernel upgrade"
    assert event["url"] == f"{settings.base_url}/registry/downtimes/{fed.downtime.id}"
    assert events(client.get(f"/registry/sites/{fed.other_site.id}/downtimes.ics")) == []


def test_ngi_calendar_holds_its_sites_downtimes(
    client: TestClient, session: Session, federation: Federation
) -> None:
    fed = federation
    now = utcnow()
    other = registry.create_downtime(
        session=session,
        actor=fed.operator.principal,
        data=DowntimeCreate(
            severity="WARNING",
            description="BDII restart",
            start=now + timedelta(hours=2),
            end=now + timedelta(hours=3),
            services=[fed.other_service.id],
        ),
    )
    ngi_events = events(client.get(f"/registry/ngis/{fed.other_ngi.id}/downtimes.ics"))
    assert [e["summary"] for e in ngi_events] == ["[WARNING] OTHER-SITE: BDII restart"]
    assert ngi_events[0]["uid"] == f"{other.primary_key}@127.0.0.1"
    assert len(events(client.get(f"/registry/ngis/{fed.ngi.id}/downtimes.ics"))) == 1


def test_broadcast_feed_lists_new_downtimes(
    client: TestClient, settings: Settings, federation: Federation
) -> None:
    response = client.get("/registry/downtimes/broadcast.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = etree.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["[OUTAGE] TEST-SITE: Kernel upgrade"]
    assert entries[0].findtext(f"{ATOM}id") == (
        f"{settings.base_url}/registry/downtimes/{federation.downtime.id}"
    )
    assert client.get("/registry/downtimes/broadcast.atom?days=0").status_code == 422
    page = client.get("/registry/downtimes/broadcast?days=7")
    assert federation.downtime.primary_key in page.text
    assert 'href="/registry/downtimes/broadcast.atom?days=7"' in page.text


def test_reserved_scopes_are_offered_to_operators_only(
    client: TestClient, federation: Federation
) -> None:
    path = f"/registry/sites/{federation.site.id}/services/new"
    reserved = re.compile(
        r'<input type="checkbox" id="scope-\d+" name="scopes" value="wlcg"([^>]*)>'
    )
    sign_in(client, federation.site_admin)
    match = reserved.search(client.get(path).text)
    assert match
    assert " disabled" in match.group(1)
    sign_in(client, federation.operator)
    match = reserved.search(client.get(path).text)
    assert match
    assert " disabled" not in match.group(1)
