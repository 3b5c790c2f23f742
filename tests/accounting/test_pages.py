"""Accounting pages, through the web app, on both databases: the samples loaded through the one
loader as the operator, then the overview's totals and top lists, the report form's table,
totals, charts and export links, a site's and a VO's months with a site's last messages, the
messages and the data quality, and bad input shown next to its field. The charts alone: readable
with no row and with a hundred."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from lxml import html
from sqlalchemy.orm import Session

from fedcore.accounting.enums import Transport
from fedcore.accounting.service import loader
from fedcore.accounting.service import messages as message_service
from fedcore.accounting.views import charts
from fedcore.core.config import Settings
from fedcore.core.security import principal_for
from tests.accounting.factories import JOB_HEADER, text_message
from tests.registry.factories import ADMIN, Federation
from tests.support import pages

HTML = {"accept": "text/html"}
SAMPLE_DIR = "samples/accounting"
NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
BAD_SYNC = b"APEL-sync-message: v0.1\nSite: SITE-ALPHA\nSubmitHost: ce\nNumberOfJobs: 12h\nMonth: 10\nYear: 2026\n%%\n"
"""A sync message APEL refuses (``Invalid int value 12h in field NumberOfJobs``)."""
TEST_SITE_JOB = {
    "Site": "TEST-SITE",
    "LocalJobId": "1.0",
    "WallDuration": 100,
    "CpuDuration": 90,
    "StartTime": 1790830800,
    "EndTime": 1790830900,
}
"""A job of the registry's site TEST-SITE, of October 2026, without a VO."""
SAMPLES = [
    "job_v03_individual.txt",
    "summary_v02.txt",
    "normalised_summary_v03.txt",
    "sync_v01.txt",
    "cloud_v04_caso.txt",
    "ip_v02_caso.json",
    "accelerator_v01_caso.json",
    "storage_star_caso.xml",
]


@pytest.fixture(autouse=True)
def november() -> Iterator[time_machine.Coordinates]:
    """The samples are of September and October 2026; "this year" and the default period
    hold them."""
    with time_machine.travel(NOW, tick=False) as clock:
        yield clock


def submit(
    session: Session, settings: Settings, body: bytes
) -> loader.LoadResult | loader.Rejection:
    """One message through the loader as the operator (the CLI's transport)."""
    origin = loader.Origin(Transport.CLI, principal_for(ADMIN, ADMIN))
    return loader.submit_message(session=session, settings=settings, origin=origin, body=body)


@pytest.fixture
def loaded(session: Session, settings: Settings, shared_dir: Path, federation: Federation) -> None:
    for name in SAMPLES:
        outcome = submit(session, settings, (shared_dir / SAMPLE_DIR / name).read_bytes())
        assert isinstance(outcome, loader.LoadResult), (name, outcome)
    session.commit()


def page(client: TestClient, path: str, status: int = 200, **headers: str) -> Any:
    response = client.get(path, headers={**HTML, **headers})
    assert response.status_code == status, response.text
    return html.fromstring(response.text)


def text(element: Any) -> str:
    return " ".join(" ".join(element.itertext()).split())


def field_error(response: Any, name: str) -> str:
    return unescape(pages.field_error(response, name))


def numbers(row: Any) -> list[str]:
    return [text(cell) for cell in row.xpath("./th|./td")]


def pivot_rows(document: Any) -> dict[str, list[str]]:
    """The report table by row label (the totals row as "Total")."""
    rows = document.xpath('//table[@class="pivot"]/tbody/tr|//table[@class="pivot"]/tfoot/tr')
    return {values[0]: values[1:] for values in map(numbers, rows)}


@pytest.mark.usefixtures("loaded")
def test_the_overview_shows_the_years_totals_the_top_sites_and_vos_and_freshness(
    client: TestClient, november: time_machine.Coordinates
) -> None:
    november.shift(timedelta(hours=3))
    document = page(client, "/accounting/")
    assert "Accounting" in [text(a) for a in document.xpath('//nav[@aria-label="Main"]//a')]
    totals = {
        span.get("data-metric"): text(span)
        for span in document.xpath("//ul[@class='stats']//span[@data-metric]")
    }
    # 21 jobs each from SITE-ALPHA's records and SITE-BETA's summaries, 6 from the normalised
    # summaries SITE-GAMMA's keys keep; 7 VM-months (VM B in September and October); the
    # three volumes' bytes used; 72 + 240 + 192 accelerator hours
    assert totals == {
        "number_of_jobs": "48",
        "normalized_sum_cpu": "7.74 k",
        "number_of_vms": "7",
        "storage_used": "1.68 k",
        "gpu_hours": "504",
    }
    exact = {
        span.get("data-metric"): span.get("title")
        for span in document.xpath("//ul[@class='stats']//span[@data-metric]")
    }
    assert (exact["normalized_sum_cpu"], exact["storage_used"]) == ("7,738.06", "1,679.33")
    (sites,) = document.xpath('//section[@aria-labelledby="top-site"]//tbody')
    assert [numbers(row)[1] for row in sites.xpath("./tr")] == [
        "SITE-ALPHA",
        "SITE-BETA",
        "SITE-GAMMA",
    ]
    assert numbers(sites.xpath("./tr")[0]) == ["1", "SITE-ALPHA", "3,631.06", "46.9 %"]
    (vos,) = document.xpath('//section[@aria-labelledby="top-vo"]//tbody')
    assert [numbers(row)[1] for row in vos.xpath("./tr")] == ["atlas", "cms", "biomed", "None"]
    assert vos.xpath(".//a")[0].get("href") == "/accounting/vos/atlas/"
    freshness = {
        row.get("data-kind"): numbers(row)[1:]
        for row in document.xpath("//table[contains(@class, 'freshness')]//tbody/tr")
    }
    assert freshness["job"] == ["2026-11-15 12:00 UTC", "3 h ago"]
    assert freshness["cloud_summary"] == ["none yet", ""]
    assert len(freshness) == 9


def test_the_overview_without_usage_shows_zero_rows(client: TestClient) -> None:
    document = page(client, "/accounting/")
    assert {text(span) for span in document.xpath("//span[@data-metric]")} == {"—"}
    assert "No normalised CPU recorded in 2026." in text(document.xpath("//main")[0])


@pytest.mark.usefixtures("loaded")
def test_the_report_form_gives_the_table_with_totals_the_charts_and_the_export_links(
    client: TestClient,
) -> None:
    query = "metric=number_of_jobs&rows=site&columns=month&from=2026-09&to=2026-10"
    document = page(client, f"/accounting/reports/?{query}")
    assert document.xpath('//select[@name="rows"]/option[@selected]/@value') == ["site"]
    assert pivot_rows(document) == {
        "SITE-ALPHA": ["1", "20", "21"],
        "SITE-BETA": ["1", "20", "21"],
        "SITE-GAMMA": ["1", "5", "6"],
        "Total": ["3", "45", "48"],
    }
    (bars,) = document.xpath('//svg[@class="usage-bars"]')
    titles = bars.xpath(".//rect/title/text()")
    assert "SITE-ALPHA, 2026-10: 20" in titles
    assert len(titles) == 6
    (pie,) = document.xpath('//svg[@class="usage-pie"]')
    assert pie.xpath(".//path/title/text()") == [
        "SITE-ALPHA: 21 (43.8 %)",
        "SITE-BETA: 21 (43.8 %)",
        "SITE-GAMMA: 6 (12.5 %)",
    ]
    links = {text(a): a.get("href") for a in document.xpath('//p[@class="downloads"]/a')}
    assert links == {
        "CSV": f"/api/accounting/reports?{query}&format=csv",
        "JSON": f"/api/accounting/reports?{query}&format=json",
    }
    exported = client.get(links["JSON"])
    assert exported.status_code == 200, exported.text
    assert client.get(links["CSV"]).text.count("SITE-ALPHA") == 1

    # a percentage has no shares: no pie, one bar per column for all rows
    document = page(
        client, "/accounting/reports/?metric=cpu_efficiency&rows=vo&from=2026-10&to=2026-10"
    )
    assert document.xpath('//svg[@class="usage-pie"]') == []
    assert len(document.xpath('//svg[@class="usage-bars"]//rect')) == 1


@pytest.mark.usefixtures("loaded")
def test_a_report_nothing_matches_says_so_in_the_chart_and_below(client: TestClient) -> None:
    document = page(client, "/accounting/reports/?rows=site&vo=nobody&from=2026-01&to=2026-02")
    (bars,) = document.xpath('//svg[@class="usage-bars"]')
    assert text(bars) == "No usage to draw for this selection."
    assert document.xpath('//table[@class="pivot"]') == []
    assert "Nothing is recorded for normalized_sum_cpu in 2026-01 to 2026-02" in text(
        document.xpath("//main")[0]
    )


def test_bad_input_is_shown_next_to_its_field(client: TestClient) -> None:
    response = client.get("/accounting/reports/?from=2026-13", headers=HTML)
    assert response.status_code == 422
    assert field_error(response, "from") == "'2026-13': month 13 is not between 01 and 12"
    assert 'value="2026-13"' in response.text

    response = client.get("/accounting/reports/?from=2026-10&to=2026-09", headers=HTML)
    assert response.status_code == 422
    assert field_error(response, "from") == "2026-10 is after to=2026-09"

    response = client.get("/accounting/reports/?metric=walltime", headers=HTML)
    assert response.status_code == 422
    assert field_error(response, "metric").startswith("'walltime' is not one of number_of_jobs")

    response = client.get("/accounting/reports/?metric=gpu_hours&rows=vo", headers=HTML)
    assert response.status_code == 422
    assert field_error(response, "rows") == "gpu_hours is not recorded per vo"

    # per-user rows are personal data
    response = client.get("/accounting/reports/?rows=user", headers=HTML)
    assert response.status_code == 403
    assert field_error(response, "rows").startswith("an anonymous caller may not read per-user")

    # a site's rows are fixed: a metric not recorded per VO is the metric's fault
    response = client.get("/accounting/sites/SITE-ALPHA/?metric=gpu_hours", headers=HTML)
    assert response.status_code == 422
    assert field_error(response, "metric") == "gpu_hours is not recorded per vo"
    response = client.get("/accounting/vos/atlas/?to=2026", headers=HTML)
    assert response.status_code == 422
    assert field_error(response, "to") == "'2026' is not a month written YYYY-MM"


@pytest.mark.usefixtures("loaded")
def test_a_sites_page_shows_its_months_by_vo_and_to_its_administrators_sync_and_publishers(
    client: TestClient, session: Session, federation: Federation
) -> None:
    path = "/accounting/sites/SITE-ALPHA/?metric=number_of_jobs"
    document = page(client, path, **federation.operator.headers)
    rows = pivot_rows(document)
    assert rows["Total"] == ["—", "—", "—", "—", "—", "—", "—", "—", "—", "1", "20", "—", "21"]
    assert set(rows) == {"atlas", "cms", "biomed", "None", "Total"}
    assert document.xpath('//svg[@class="usage-bars"]//rect')
    sync = document.xpath('//section[@aria-labelledby="sync-heading"]//tbody/tr')
    assert [numbers(row)[0] + " " + numbers(row)[-1] for row in sync] == [
        "2026-10 ok",
        "2026-09 ok",
        "2026-10 ok",
    ]
    publishers = document.xpath('//section[@aria-labelledby="publishers-heading"]')
    assert "No subject is bound to publish for SITE-ALPHA." in text(publishers[0])

    anonymous = page(client, path)
    assert pivot_rows(anonymous) == rows
    assert anonymous.xpath("//section") == []


@pytest.mark.usefixtures("loaded")
def test_a_vos_page_shows_its_months_by_site(client: TestClient) -> None:
    document = page(client, "/accounting/vos/biomed/?metric=number_of_jobs&from=2026-09&to=2026-10")
    # the job sample's five biomed jobs, one ending in September
    assert pivot_rows(document)["SITE-ALPHA"] == ["1", "4", "5"]
    assert pivot_rows(document)["Total"] == ["3", "9", "12"]
    assert [a.get("href") for a in document.xpath('//table[@class="pivot"]//th/a')][:1] == [
        "/accounting/sites/SITE-ALPHA/"
    ]
    assert len(document.xpath('//svg[@class="usage-pie"]//path')) == len(pivot_rows(document)) - 1


def test_charts_stay_readable_with_no_row_and_with_a_hundred() -> None:
    assert charts.series([]) == []
    empty = str(charts.pie([], "h", "Shares"))
    assert "No usage to draw for this selection." in empty

    rows = [(f"SITE-{n:03d}", [float(n), 1.0]) for n in range(100)]
    drawn = charts.series(rows)
    assert [one.label for one in drawn[:2]] == ["SITE-099", "SITE-098"]
    assert drawn[-1].label == "others (91 rows)"
    assert drawn[-1].css == "series-others"
    assert drawn[-1].values == (sum(range(91)), 91.0)
    assert sum(one.share for one in drawn) == pytest.approx(1)
    bars = html.fromstring(str(charts.stacked_bars(["2026-09", "2026-10"], drawn, "h", "Usage")))
    assert len(bars.xpath("//rect")) == 20
    pie = html.fromstring(str(charts.pie(drawn, "h", "Shares")))
    assert len(pie.xpath("//path")) == 10
    # ten rows still fit without "others"
    assert [one.css for one in charts.series(rows[:10])][-1] == "series-9"


@pytest.mark.usefixtures("loaded")
def test_the_messages_page_shows_refusals_with_their_reason_to_whom_may_see_them(
    client: TestClient, session: Session, settings: Settings, federation: Federation
) -> None:
    assert isinstance(submit(session, settings, BAD_SYNC), loader.Rejection)
    session.commit()

    document = page(client, "/accounting/messages/", **federation.operator.headers)
    statuses = [row.get("data-status") for row in document.xpath("//tbody/tr")]
    assert statuses == ["accepted"] * len(SAMPLES) + ["rejected"]
    refused = document.xpath('//tbody/tr[@data-status="rejected"]')[0]
    assert "Invalid int value 12h in field NumberOfJobs" in text(refused)
    rejected = page(client, "/accounting/messages/?status=rejected", **federation.operator.headers)
    assert len(rejected.xpath("//tbody/tr")) == 1

    # a publisher sees the messages it sent: none here
    member = page(client, "/accounting/messages/", **federation.member.headers)
    assert member.xpath("//tbody/tr") == []
    assert "No message has been received yet." in text(member.xpath("//main")[0])
    # the filters' values are checked
    response = client.get(
        "/accounting/messages/?kind=letters", headers={**HTML, **federation.operator.headers}
    )
    assert response.status_code == 422
    assert field_error(response, "kind").startswith("Input should be")

    anonymous = client.get("/accounting/messages/", headers=HTML, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/accounting/messages/"


@pytest.mark.usefixtures("loaded")
def test_a_sites_page_shows_its_last_messages_to_operators_and_administrators(
    client: TestClient,
    session: Session,
    settings: Settings,
    shared_dir: Path,
    federation: Federation,
    november: time_machine.Coordinates,
) -> None:
    # a resend of the job sample an hour later: the latest message of SITE-ALPHA again
    november.shift(timedelta(hours=1))
    assert isinstance(
        submit(session, settings, (shared_dir / SAMPLE_DIR / SAMPLES[0]).read_bytes()),
        loader.LoadResult,
    )
    session.commit()
    path = "/accounting/sites/SITE-ALPHA/?metric=number_of_jobs"
    document = page(client, path, **federation.operator.headers)
    (block,) = document.xpath('//section[@aria-labelledby="messages-heading"]')
    rows = [numbers(row)[1:] for row in block.xpath(".//tbody/tr")]
    assert rows == [
        ["job", "2026-11-15 13:00 UTC", "21", f"{ADMIN} by cli"],
        ["sync", "2026-11-15 12:00 UTC", "3", f"{ADMIN} by cli"],
    ]
    assert block.xpath('.//a[text()="Messages"]/@href') == ["/accounting/messages/?status=rejected"]
    latest = message_service.messages_of_site(
        session=session, actor=federation.operator.principal, site="SITE-ALPHA", limit=1
    )
    assert [message.kind for message in latest] == ["job"]

    # the site's administrators see its messages, whoever published them
    job = text_message(JOB_HEADER, [TEST_SITE_JOB])
    assert isinstance(submit(session, settings, job), loader.LoadResult)
    session.commit()
    mine = page(client, "/accounting/sites/TEST-SITE/", **federation.site_admin.headers)
    (block,) = mine.xpath('//section[@aria-labelledby="messages-heading"]')
    assert [numbers(row)[1:4] for row in block.xpath(".//tbody/tr")] == [
        ["job", "2026-11-15 13:00 UTC", "1"]
    ]
    other = page(client, path, **federation.site_admin.headers)
    assert other.xpath('//section[@aria-labelledby="messages-heading"]') == []
    assert page(client, path).xpath('//section[@aria-labelledby="messages-heading"]') == []


@pytest.mark.usefixtures("loaded")
def test_the_data_quality_page_shows_operators_each_finding(
    client: TestClient,
    session: Session,
    settings: Settings,
    shared_dir: Path,
    federation: Federation,
) -> None:
    assert isinstance(submit(session, settings, BAD_SYNC), loader.Rejection)
    # SITE-BETA's summaries sent for SITE-ALPHA too: its months have jobs by two routes
    summaries = (shared_dir / SAMPLE_DIR / "summary_v02.txt").read_bytes()
    assert isinstance(
        submit(session, settings, summaries.replace(b"SITE-BETA", b"SITE-ALPHA")),
        loader.LoadResult,
    )
    # TEST-SITE's first job moves to atlas: its old group loses its earliest time
    later = TEST_SITE_JOB | {"LocalJobId": "2.0", "StartTime": 1790930800, "EndTime": 1790930900}
    moved = TEST_SITE_JOB | {"FQAN": "/atlas/Role=production/Capability=NULL"}
    for jobs in ([TEST_SITE_JOB, later], [moved]):
        assert isinstance(
            submit(session, settings, text_message(JOB_HEADER, jobs)), loader.LoadResult
        )
    session.commit()

    document = page(client, "/accounting/data-quality/", **federation.operator.headers)

    def table(heading: str) -> list[list[str]]:
        section = f'//section[@aria-labelledby="{heading}"]//tbody/tr'
        return [numbers(row) for row in document.xpath(section)]

    # every sample's site but the registry's TEST-SITE; rows, not messages (6 normalised rows)
    assert table("unknown-sites-heading") == [
        ["job", "SITE-ALPHA", "21"],
        ["summary", "SITE-ALPHA", "10"],
        ["summary", "SITE-BETA", "10"],
        ["normalised_summary", "SITE-GAMMA", "6"],
        ["sync", "SITE-ALPHA", "3"],
        ["cloud", "EXAMPLE-CLOUD-01", "7"],
        ["storage", "EXAMPLE-CLOUD-01", "3"],
        ["accelerator", "EXAMPLE-CLOUD-01", "3"],
        ["public_ip", "EXAMPLE-CLOUD-01", "3"],
    ]
    # the AAI knows no VO here; jobs without a VO ('None') are not listed
    unknown_vos = table("unknown-vos-heading")
    assert [row for row in unknown_vos if row[0] == "job"] == [
        ["job", "atlas", "11"],
        ["job", "biomed", "5"],
        ["job", "cms", "5"],
    ]
    assert "None" not in {row[1] for row in unknown_vos}
    assert table("mixed-routes-heading") == [
        ["SITE-ALPHA", "2026-09", "jobs, summaries", "jobs"],
        ["SITE-ALPHA", "2026-10", "jobs, summaries", "jobs"],
    ]
    assert document.xpath('//p[@id="dirty-groups"]/span[contains(@class, "badge")]/text()') == ["1"]
    assert table("rejected-heading") == [[ADMIN, "1"]]
    (publisher,) = document.xpath('//section[@aria-labelledby="rejected-heading"]//a/@href')
    assert publisher == "/accounting/messages/?status=rejected&publisher=" + ADMIN.replace(
        "@", "%40"
    )

    # linked from the overview and the messages page for operators only
    link = '//a[@href="/accounting/data-quality/"]'
    assert page(client, "/accounting/", **federation.operator.headers).xpath(link)
    assert page(client, "/accounting/messages/", **federation.operator.headers).xpath(link)
    assert page(client, "/accounting/", **federation.site_admin.headers).xpath(link) == []
    assert page(client, "/accounting/messages/", **federation.site_admin.headers).xpath(link) == []


def test_only_operators_see_the_data_quality_page(
    client: TestClient, federation: Federation
) -> None:
    forbidden = page(client, "/accounting/data-quality/", 403, **federation.site_admin.headers)
    assert "may not accounting.data_quality.read" in text(forbidden.xpath("//main")[0])
    anonymous = client.get("/accounting/data-quality/", headers=HTML, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/accounting/data-quality/"
