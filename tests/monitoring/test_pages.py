"""Monitoring pages, through the web app, on both databases: ARGO's e2e day computed through
the real path (registry topology and downtimes, profiles, report and recomputation through the
API, results over HTTP and AMS; one result carries a probe summary) shown as the report grid,
a site's timelines, monthly charts and explanations; bad input answered 404 and 422."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import html
from sqlalchemy.orm import Session

from tests.monitoring.argo_data import load_case
from tests.monitoring.test_computation import build_registry, load_through_api, publish
from tests.registry.factories import Federation

HTML = {"accept": "text/html"}
SUMMARY = "CRITICAL - storage element answers 503"
MESSAGE = "HTTP 503 Service Unavailable from https://hostname_1/srm"
DAY = "2022-01-14"


@pytest.fixture(scope="module")
def case(shared_dir: Path) -> dict[str, Any]:
    return load_case(shared_dir)


@pytest.fixture
def computed(
    client: TestClient, federation: Federation, session: Session, case: dict[str, Any]
) -> None:
    """The e2e day computed; the 13:00 CRITICAL result of Hostname_1's Metric_B (Service_3A)
    carries a summary and a message (they take no part in the computation)."""
    data = copy.deepcopy(case)
    for record in data["metric_data"]["day"]:
        if (record["hostname"], record["service"], record["metric"], record["timestamp"]) == (
            "Hostname_1",
            "Service_3A",
            "Metric_B",
            "2022-01-14T13:00:00Z",
        ):
            record.update(summary=SUMMARY, message=MESSAGE)
    operator = federation.operator
    build_registry(session, operator.principal, data)
    load_through_api(client, operator.headers, data)
    publish(client, operator.token, data)
    response = client.post(f"/api/monitoring/reports/SLA/days/{DAY}", headers=operator.headers)
    assert response.status_code == 200, response.text


def page(client: TestClient, path: str, status: int = 200) -> Any:
    response = client.get(path, headers=HTML)
    assert response.status_code == status, response.text
    return html.fromstring(response.text)


def text(element: Any) -> str:
    return " ".join(" ".join(element.itertext()).split())


def tile(document: Any, site: str) -> Any:
    (found,) = document.xpath(f'//li[@data-site="{site}"]')
    return found


def bars(row: Any) -> list[tuple[str, int, int, str]]:
    """The (class, x, width, title) of each bar of a timeline row."""
    return [
        (rect.get("class"), int(rect.get("x")), int(rect.get("width")), rect.findtext("title"))
        for rect in row.xpath(".//svg/rect")
    ]


def row_of(document: Any, level: str, label: str) -> Any:
    rows = [
        row
        for row in document.xpath(f'//table[@class="timelines"]//tr[@data-level="{level}"]')
        if text(row.xpath("./th")[0]).split(" ", 1)[1].startswith(label)
    ]
    assert len(rows) >= 1, f"no {level} row {label}"
    return rows


@pytest.mark.usefixtures("computed")
def test_the_report_list_and_grid_show_status_and_month_ar_against_the_targets(
    client: TestClient,
) -> None:
    listing = page(client, "/monitoring/")
    assert "Monitoring" in [text(a) for a in listing.xpath('//nav[@aria-label="Main"]//a')]
    (row,) = listing.xpath("//tbody/tr")
    assert "SLA" in text(row)
    assert "A ≥ 80 %, R ≥ 85 %" in text(row)
    assert DAY in text(row)

    grid = page(client, f"/monitoring/reports/SLA/?date={DAY}")
    statuses = {
        "Group_XXXXX": "warning",
        "Group_X": "excluded",
        "Group_1": "critical",
        "Group_2": "critical",
        "Group_3": "downtime",
    }
    for site, state in statuses.items():
        assert tile(grid, site).get("class") == f"site-tile state-{state}"
        assert state.upper() in text(tile(grid, site))
    # one day stored: the month's A is up / (1.00000001 - unknown) * 100
    group_3 = tile(grid, "Group_3")
    assert "A 54.17 %" in text(group_3)
    assert "R 72.22 %" in text(group_3)
    assert [text(e) for e in group_3.xpath('.//*[@class="below-target"]')] == [
        "54.17 % (below target)",
        "72.22 % (below target)",
    ]
    assert tile(grid, "Group_XXXXX").xpath('.//*[@class="below-target"]') == []
    assert "A 100.00 %" in text(tile(grid, "Group_XXXXX"))
    headings = {text(h) for h in grid.xpath("//section/h2")}
    assert "PROJECT GROUP_C A 54.17 % (below target) · R 72.22 % (below target)" in headings
    # a day not computed: no status, the month's values from the days stored
    later = tile(page(client, "/monitoring/reports/SLA/?date=2022-01-20"), "Group_3")
    assert later.get("class") == "site-tile state-none"
    assert "not computed A 54.17 %" in text(later)
    site = page(client, "/monitoring/reports/SLA/sites/Group_3?date=2022-01-20")
    assert "the day is not computed for report SLA" in text(site.xpath("//main")[0])
    # the default day is the last one computed
    assert text(page(client, "/monitoring/reports/SLA/").xpath("//main")[0]) == text(
        grid.xpath("//main")[0]
    )


@pytest.mark.usefixtures("computed")
def test_the_site_page_draws_every_level_with_the_probe_summary_on_hover(
    client: TestClient,
) -> None:
    site = page(client, f"/monitoring/reports/SLA/sites/Group_3?date={DAY}")
    levels = [row.get("data-level") for row in site.xpath('//table[@class="timelines"]//tbody/tr')]
    assert levels == ["group", "function", "service", "endpoint", "metric", "metric"] * 1 + [
        "endpoint",
        "metric",
        "metric",
    ]
    (group,) = row_of(site, "group", "Group_3")
    assert [(c, x, w) for c, x, w, _ in bars(group)] == [
        ("state-ok", 0, 10800),
        ("state-warning", 10800, 36000),
        ("state-critical", 46800, 18000),
        ("state-downtime", 64800, 21600),
    ]
    assert "54.16667 %" in text(group)
    assert "72.22222 %" in text(group)
    (metric_b, _) = row_of(site, "metric", "Metric_B")
    drawn = bars(metric_b)
    assert [(c, x, w) for c, x, w, _ in drawn] == [
        ("state-ok", 0, 10800),
        ("state-warning", 10800, 36000),
        ("state-critical", 46800, 39600),
    ]
    critical = drawn[2][3]
    assert critical.startswith("metric Metric_B: CRITICAL 13:00-24:00 UTC (11 h)")
    assert f"result of 2022-01-14 13:00:00Z: CRITICAL — {SUMMARY}" in critical
    assert MESSAGE in critical
    assert "result of 2022-01-14 03:00:00Z: WARNING" in drawn[1][3]
    why = metric_b.xpath(".//a[text()='why?']")[0].get("href")
    assert why == (
        f"/monitoring/reports/SLA/sites/Group_3/explain?date={DAY}"
        "&service=Service_3A&hostname=Hostname_1&metric=Metric_B"
    )


@pytest.mark.usefixtures("computed")
def test_monthly_charts_of_a_site_and_an_ngi_draw_the_days_and_the_targets(
    client: TestClient,
) -> None:
    chart = page(client, "/monitoring/reports/SLA/sites/Group_3/month?month=2022-01")
    (svg,) = chart.xpath('//svg[@class="ar-chart"]')
    titles = [rect.findtext("title") for rect in svg.xpath(".//rect")]
    assert titles == ["2022-01-14 availability: 54.1667 %", "2022-01-14 reliability: 72.2222 %"]
    assert [t.text for t in svg.xpath('.//text[@class="target-label"]')] == [
        "A target 80 %",
        "R target 85 %",
    ]
    a_line, r_line = (
        svg.xpath(".//line[@class='target-a']")[0],
        svg.xpath(".//line[@class='target-r']")[0],
    )
    assert float(a_line.get("y1")) > float(r_line.get("y1"))  # 80 % is drawn below 85 %
    (day,) = chart.xpath("//table/tbody/tr")
    assert text(day) == "2022-01-14 54.16667 % (below target) 72.22222 % (below target)"

    ngi = page(client, "/monitoring/reports/SLA/ngis/GROUP_A/month?month=2022-01")
    assert "PROJECT GROUP_A: January 2022" in text(ngi.xpath("//h1")[0])
    (day,) = ngi.xpath("//table/tbody/tr")
    # the mean of its five sites' A (weights 0): (100 + 0 + 0 + 0 + 66.66667) / 5
    assert text(day) == "2022-01-14 33.33333 % (below target) 33.33333 % (below target)"
    empty = page(client, "/monitoring/reports/SLA/sites/Group_3/month?month=2022-02")
    assert "No day of February 2022 is stored for Group_3." in text(empty.xpath("//main")[0])


@pytest.mark.usefixtures("computed")
def test_the_explanation_names_the_metric_results_downtimes_and_recomputations(
    client: TestClient,
) -> None:
    down = page(client, f"/monitoring/reports/SLA/sites/Group_3/explain?date={DAY}")
    periods = [text(row) for row in down.xpath('//h2[@id="periods"]/following::table[1]/tbody/tr')]
    assert "group Group_3 DOWNTIME 18:00 24:00" in periods
    assert "metric Metric_A (Hostname_1, Service_3A) UNKNOWN 03:00 09:00" in periods
    results = [text(r) for r in down.xpath('//h2[@id="results"]/following::table[1]/tbody/tr')]
    assert results == [
        "2022-01-14T03:00:00Z Metric_A Hostname_1 (Service_3A) UNKNOWN",
        f"2022-01-14T13:00:00Z Metric_B Hostname_1 (Service_3A) CRITICAL {SUMMARY} {MESSAGE}",
        "2022-01-14T18:00:00Z Metric_B Hostname_1 (Service_3A) CRITICAL",
    ]
    downtimes = [text(r) for r in down.xpath('//h2[@id="downtimes"]/following::table[1]/tbody/tr')]
    assert downtimes == [
        "Hostname_1 Service_3A 2022-01-14T18:00:00Z 2022-01-17T23:59:00Z",
        "Hostname_2 Service_3A 2022-01-14T09:00:00Z 2022-01-17T23:59:00Z",
    ]
    assert "No applied recomputation touches Group_3" in text(down.xpath("//main")[0])

    excluded = page(client, f"/monitoring/reports/SLA/sites/Group_X/explain?date={DAY}")
    (recomputation,) = excluded.xpath('//ul[@class="recomputations"]/li')
    assert "(approved)" in text(recomputation)
    assert "testing_compute_engine" in text(recomputation)
    assert [text(li) for li in recomputation.xpath("./ul/li")] == [
        "Service_X/Hostname_X/Metric_X set to EXCLUDED",
        "Service_X/Hostname_X/Metric_XX set to EXCLUDED",
    ]

    source = page(
        client,
        f"/monitoring/reports/SLA/sites/Group_1/explain?date={DAY}"
        "&service=Service_1A&hostname=Hostname_1&metric=Metric_A",
    )
    assert "Why Service_1A / Hostname_1 / Metric_A was not up" in text(source.xpath("//h1")[0])
    (recomputation,) = source.xpath('//ul[@class="recomputations"]/li')
    assert [text(li) for li in recomputation.xpath("./ul/li")] == [
        "1 result(s) from monitoring host monA dropped (2022-01-13 00:00 to 2022-01-13 23:59 UTC)"
    ]


@pytest.mark.usefixtures("computed")
@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/monitoring/reports/NOPE/", 404, "no report named 'NOPE'"),
        ("/monitoring/reports/SLA/sites/NOPE", 404, "report 'SLA' has no results of 'NOPE'"),
        ("/monitoring/reports/SLA/ngis/NOPE/month", 404, "report 'SLA' has no results of 'NOPE'"),
        (
            "/monitoring/reports/SLA/?date=2022-13-01",
            422,
            "date: Input should be a valid date or datetime, month value is outside",
        ),
        (
            "/monitoring/reports/SLA/sites/Group_3?date=yesterday",
            422,
            "date: Input should be a valid date or datetime",
        ),
        (
            "/monitoring/reports/SLA/sites/Group_3/month?month=2022-1",
            422,
            "expected a month YYYY-MM, got '2022-1'",
        ),
        (
            f"/monitoring/reports/SLA/sites/Group_3/explain?date={DAY}&metric=Metric_Z",
            404,
            "Group_3 has no metric 'Metric_Z' on 2022-01-14",
        ),
    ],
)
def test_bad_input_gets_a_clear_error_page(
    client: TestClient, path: str, status: int, message: str
) -> None:
    document = page(client, path, status)
    assert message in text(document.xpath('//div[@role="alert"]')[0])


def test_the_report_list_before_any_report(client: TestClient) -> None:
    listing = page(client, "/monitoring/")
    assert "No report is defined yet." in text(listing.xpath("//main")[0])
