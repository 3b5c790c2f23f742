"""The monitoring pages in a browser: a real ``fedcore serve`` holding ARGO's e2e day computed
through the real path (registry topology and downtimes, profiles, report and recomputation
through the API, results over HTTP and AMS), driven by headless Chromium through Playwright.
The site page draws its SVG timelines with bars as wide as the time each state held and a
``<title>`` (the hover text) naming the period and the probe's summary; the grid and the
monthly chart render too. Screenshots go to ``artifacts/screenshots/``."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from fedcore.core.config import Settings
from fedcore.core.db import make_engine, make_sessionmaker
from fedcore.core.web import create_app
from tests.browser import test_demo_browser as demo
from tests.monitoring.argo_data import load_case
from tests.monitoring.test_computation import build_registry, load_through_api, publish
from tests.registry.factories import ADMIN, build_federation

SUMMARY = "CRITICAL - storage element answers 503"

pytestmark = pytest.mark.browser
browser = demo.browser


def _load(data_dir: Path, url: str, case: dict[str, Any]) -> None:
    """The e2e day stored in the served database, through the app's API in this process."""
    settings = Settings(
        data_dir=data_dir,
        database_url="",
        admin_subject=ADMIN,
        base_url=url,
        log_level="WARNING",
        default_scope="EGI",
        jobs_enabled=False,
    )
    engine = make_engine(settings.effective_database_url)
    with make_sessionmaker(engine)() as session:
        operator = build_federation(session).operator
        build_registry(session, operator.principal, case)
        session.commit()
    with TestClient(create_app(settings)) as client:
        load_through_api(client, operator.headers, case)
        publish(client, operator.token, case)
        computed = client.post(
            "/api/monitoring/reports/SLA/days/2022-01-14", headers=operator.headers
        )
        assert computed.status_code == 200, computed.text
    engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("monitoring-browser")
    case = copy.deepcopy(load_case(shared_dir))
    for record in case["metric_data"]["day"]:
        if (record["hostname"], record["service"], record["metric"], record["timestamp"]) == (
            "Hostname_1",
            "Service_3A",
            "Metric_B",
            "2022-01-14T13:00:00Z",
        ):
            record["summary"] = SUMMARY

    def prepare(env: dict[str, str], url: str) -> None:
        demo._fedcore(env, "db", "upgrade")
        _load(data_dir, url, case)

    with demo.serving(data_dir, ADMIN, prepare) as url:
        yield url


def test_the_site_page_draws_svg_timelines_with_hover_titles(browser: Browser, server: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{server}/monitoring/")
    page.get_by_role("link", name="SLA").click()
    expect(page.get_by_role("heading", name="SLA", exact=True)).to_be_visible()
    page.get_by_label("Day (UTC)").fill("2022-01-14")
    page.get_by_role("button", name="Show").click()
    tile = page.locator("li[data-site='Group_3']")
    expect(tile).to_contain_text("DOWNTIME")
    expect(tile.locator(".below-target")).to_have_count(2)
    demo.shot(page, "20-monitoring-grid")

    tile.get_by_role("link", name="Group_3").click()
    expect(page.get_by_role("heading", name="Group_3")).to_be_visible()
    timelines = page.locator("svg.timeline")
    expect(timelines).to_have_count(9)
    row = page.locator("tr[data-level='metric']", has_text="Metric_B").first
    svg = row.locator("svg.timeline")
    critical = svg.locator("rect.state-critical")
    expect(critical.locator("title")).to_contain_text("CRITICAL 13:00-24:00 UTC")
    expect(critical.locator("title")).to_contain_text(SUMMARY)
    # drawn in proportion to time: 13:00 to midnight is 11/24 of the bar
    whole = svg.bounding_box()
    bar = critical.bounding_box()
    assert whole is not None
    assert bar is not None
    assert bar["width"] == pytest.approx(whole["width"] * 11 / 24, rel=0.02)
    assert bar["x"] + bar["width"] == pytest.approx(whole["x"] + whole["width"], abs=2)
    colour = critical.evaluate("element => getComputedStyle(element).fill")
    assert colour == "rgb(198, 40, 40)"
    critical.hover()
    demo.shot(page, "21-monitoring-site")

    page.get_by_role("link", name="monthly chart").click()
    expect(page.locator("svg.ar-chart rect.bar-a")).to_have_count(1)
    expect(page.locator("svg.ar-chart text.target-label")).to_have_text(
        ["A target 80 %", "R target 85 %"]
    )
    demo.shot(page, "22-monitoring-month")
    context.close()


def test_the_monitoring_pages_fit_a_phone(browser: Browser, server: str) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    for name, path in [
        ("23-phone-monitoring-grid", "/monitoring/reports/SLA/?date=2022-01-14"),
        ("24-phone-monitoring-site", "/monitoring/reports/SLA/sites/Group_3?date=2022-01-14"),
        ("25-phone-monitoring-month", "/monitoring/reports/SLA/sites/Group_3/month?month=2022-01"),
        (
            "26-phone-monitoring-why",
            "/monitoring/reports/SLA/sites/Group_3/explain?date=2022-01-14",
        ),
    ]:
        page.goto(server + path)
        demo.fits_the_screen(page, name)
    context.close()
