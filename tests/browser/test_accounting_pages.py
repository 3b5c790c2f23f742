"""The accounting report page in a browser: a real ``fedcore serve`` holding the accounting
samples loaded through the one loader as the operator, driven by headless Chromium through
Playwright. A visitor chooses a metric, rows and a period, submits the form and reads the
table with its totals beside the stacked bars and the pie, drawn as SVG; a bad month comes back
next to its field; the page fits a phone. Screenshots go to ``artifacts/screenshots/``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from fedcore.accounting.enums import Transport
from fedcore.accounting.service import loader
from fedcore.core.config import Settings
from fedcore.core.db import make_engine, make_sessionmaker
from fedcore.core.security import principal_for
from tests.browser import test_demo_browser as demo
from tests.registry.factories import ADMIN

SAMPLES = [
    "job_v03_individual.txt",
    "summary_v02.txt",
    "normalised_summary_v03.txt",
    "cloud_v04_caso.txt",
    "accelerator_v01_caso.json",
    "storage_star_caso.xml",
]

pytestmark = pytest.mark.browser
browser = demo.browser


def _load(data_dir: Path, shared_dir: Path) -> None:
    """The samples stored in the served database, as ``fedcore accounting load`` stores them."""
    settings = Settings(
        data_dir=data_dir, database_url="", admin_subject=ADMIN, log_level="WARNING"
    )
    engine = make_engine(settings.effective_database_url)
    origin = loader.Origin(Transport.CLI, principal_for(ADMIN, ADMIN))
    with make_sessionmaker(engine)() as session:
        for name in SAMPLES:
            body = (shared_dir / "samples/accounting" / name).read_bytes()
            outcome = loader.submit_message(
                session=session, settings=settings, origin=origin, body=body
            )
            assert isinstance(outcome, loader.LoadResult), (name, outcome)
        session.commit()
    engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("accounting-browser")

    def prepare(env: dict[str, str], _: str) -> None:
        demo._fedcore(env, "db", "upgrade")
        _load(data_dir, shared_dir)

    with demo.serving(data_dir, ADMIN, prepare) as url:
        yield url


def test_a_report_chosen_in_the_form_shows_its_table_and_charts(
    browser: Browser, server: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{server}/accounting/")
    expect(page.get_by_role("heading", name="Accounting", exact=True)).to_be_visible()
    demo.shot(page, "30-accounting-overview")
    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()

    page.get_by_label("Metric").select_option("number_of_jobs")
    page.get_by_label("Rows").select_option("site")
    page.get_by_label("From (month)").fill("2026-13")
    page.get_by_role("button", name="Show report").click()
    expect(page.locator("#f-from-error")).to_have_text(
        "'2026-13': month 13 is not between 01 and 12"
    )

    page.get_by_label("From (month)").fill("2026-09")
    page.get_by_label("To (month)").fill("2026-10")
    page.get_by_role("button", name="Show report").click()
    table = page.locator("table.pivot")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tbody tr").first.locator("th, td")).to_have_text(
        ["SITE-ALPHA", "1", "20", "21"]
    )
    expect(table.locator("tfoot tr").locator("th, td")).to_have_text(["Total", "3", "45", "48"])
    bars = page.locator("svg.usage-bars")
    expect(bars.locator("rect")).to_have_count(6)
    expect(bars.locator("rect.series-0").last.locator("title")).to_have_text(
        "SITE-ALPHA, 2026-10: 20"
    )
    expect(page.locator("svg.usage-pie path")).to_have_count(3)
    # drawn to scale: SITE-ALPHA's 20 October jobs on an axis up to 60 (the chart's plot is 248
    # of its 300 units high)
    whole = bars.bounding_box()
    october = bars.locator("rect.series-0").last.bounding_box()
    assert whole is not None
    assert october is not None
    assert october["height"] == pytest.approx(whole["height"] * 248 / 300 * 20 / 60, rel=0.02)
    colour = bars.locator("rect.series-0").first.evaluate("e => getComputedStyle(e).fill")
    assert colour == "rgb(11, 87, 164)"
    expect(page.get_by_role("link", name="CSV")).to_have_attribute(
        "href",
        "/api/accounting/reports?metric=number_of_jobs&rows=site&columns=month"
        "&from=2026-09&to=2026-10&format=csv",
    )
    demo.shot(page, "31-accounting-report")
    context.close()


def test_the_report_page_fits_a_phone(browser: Browser, server: str) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{server}/accounting/reports/?rows=vo&from=2026-09&to=2026-10")
    expect(page.locator("svg.usage-pie")).to_be_visible()
    demo.fits_the_screen(page, "32-phone-accounting-report")
    context.close()
