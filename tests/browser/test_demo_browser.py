"""A person at a browser: a real ``fedcore serve`` with the demo federation, driven by headless
Chromium (Debian's ``/usr/bin/chromium``) through Playwright.

A site administrator signs in through fedcore's own OpenID provider with her demo account (the
pages run the authorization code flow), finds her site in the
filtered site list, declares a downtime in the site's time zone (first with a mistake the form
must point at) and sees it on the site page; then the same pages on a phone-sized screen.
Screenshots go to ``artifacts/screenshots/`` for a reviewer.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from fedcore.core.db import utcnow

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SITE_ADMIN = "anna.meier@cscs.example"  # Site Administrator of CSCS-LCG2 in the demo
SITE_ZONE = "Europe/Zurich"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _fedcore(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "fedcore", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def _wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"fedcore serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail("fedcore serve did not answer /health within 30 s")


@contextmanager
def serving(
    data_dir: Path, admin: str, prepare: Callable[[dict[str, str], str], None]
) -> Iterator[str]:
    """``fedcore serve`` on a free port over DATA_DIR's SQLite file, once ``prepare(env, url)``
    has filled it (with ``fedcore`` commands run in ``env``); yields the server's URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "FEDCORE_DATA_DIR": str(data_dir),
        "FEDCORE_DATABASE_URL": "",
        "FEDCORE_ADMIN_SUBJECT": admin,
        "FEDCORE_BASE_URL": url,
        "FEDCORE_LOG_LEVEL": "WARNING",
        "FEDCORE_JOBS_ENABLED": "false",
    }
    prepare(env, url)
    server = subprocess.Popen(
        [sys.executable, "-m", "fedcore", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The demo federation served over HTTP; yields (base URL, the demo accounts' password)."""
    data_dir = tmp_path_factory.mktemp("browser")

    def prepare(env: dict[str, str], _: str) -> None:
        _fedcore(env, "demo")

    with serving(data_dir, "operator@fedcore.test", prepare) as url:
        credentials = json.loads((data_dir / "demo-credentials.json").read_text())
        yield url, credentials["password"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000
        )
        yield browser
        browser.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def fits_the_screen(page: Page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} is {width} px wide on a 375 px screen"
    shot(page, name)


def sign_in(page: Page, url: str, password: str) -> None:
    page.goto(url)
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("E-mail address").fill(SITE_ADMIN)
    page.get_by_label("Password").fill(password)
    shot(page, "02-sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {SITE_ADMIN}")).to_be_visible()


def test_site_admin_declares_a_downtime(browser: Browser, server: tuple[str, str]) -> None:
    url, password = server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(url)
    expect(page.get_by_role("heading", name="fedcore", exact=True)).to_be_visible()
    shot(page, "01-home")
    sign_in(page, url, password)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Registry").click()
    page.get_by_role("link", name="Sites", exact=True).first.click()
    expect(page.get_by_role("heading", name="Sites")).to_be_visible()
    page.get_by_label("NGI", exact=True).select_option("NGI_CH")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("status")).to_contain_text("match")
    sites = page.locator("table tbody tr")
    expect(sites.first).to_contain_text("NGI_CH")
    for row in sites.all():
        expect(row).to_contain_text("NGI_CH")
    shot(page, "03-sites-filtered")

    page.get_by_role("link", name="CSCS-LCG2").click()
    expect(page.get_by_role("heading", name="CSCS-LCG2")).to_be_visible()
    shot(page, "04-site")

    page.get_by_role("link", name="Declare a downtime").click()
    form = page.locator("form[action$='/downtimes']")
    form.locator("input[name=services]").first.check()
    page.get_by_label("WARNING").check()
    page.get_by_label("Description").fill("Storage firmware upgrade (browser test)")
    page.get_by_label(f"the site's time zone, {SITE_ZONE}", exact=False).check()
    start = (
        (utcnow() + timedelta(days=3)).astimezone(ZoneInfo(SITE_ZONE)).replace(minute=0, second=0)
    )
    page.get_by_label("Start (required)", exact=True).fill(f"{start:%Y-%m-%dT%H:%M}")
    # the page previews the instant in UTC before anything is sent
    expect(page.locator("#f-start-preview")).to_have_text(
        re.compile(rf"^= {start.astimezone(UTC):%Y-%m-%d %H:%M} UTC · {start:%Y-%m-%d %H:%M} CES?T")
    )
    page.get_by_label("End (required)", exact=True).fill(
        f"{start - timedelta(hours=1):%Y-%m-%dT%H:%M}"
    )
    page.get_by_role("button", name="Declare the downtime").click()
    expect(page.locator("#f-end-error")).to_have_text("the end must be after the start")
    shot(page, "05-downtime-form-error")

    page.get_by_label("End (required)", exact=True).fill(
        f"{start + timedelta(hours=4):%Y-%m-%dT%H:%M}"
    )
    page.get_by_role("button", name="Declare the downtime").click()
    expect(page.get_by_role("status")).to_contain_text("declared (SCHEDULED)")
    shot(page, "06-downtime")
    expect(page.get_by_text(f"{start:%Y-%m-%d %H:%M} CE")).to_be_visible()

    page.get_by_role("navigation", name="Breadcrumbs").get_by_role("link", name="CSCS-LCG2").click()
    planned = page.locator("table", has=page.locator("caption", has_text="Planned"))
    expect(planned).to_contain_text("Storage firmware upgrade (browser test)")
    context.close()


def test_pages_fit_a_phone(browser: Browser, server: tuple[str, str]) -> None:
    url, password = server
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, url, password)
    for name, path in [
        ("07-phone-home", "/"),
        ("08-phone-sites", "/registry/sites/"),
        ("09-phone-downtimes", "/registry/downtimes/?when=all"),
        ("12-phone-account", "/aai/account"),
        ("13-phone-clients", "/aai/clients"),
        ("14-phone-device", "/aai/device"),
    ]:
        page.goto(url + path)
        fits_the_screen(page, name)
    page.goto(url + "/registry/sites/")
    page.get_by_role("link", name="CSCS-LCG2").click()
    fits_the_screen(page, "10-phone-site")
    page.get_by_role("link", name="Declare a downtime").click()
    expect(page.get_by_role("button", name="Declare the downtime")).to_be_visible()
    fits_the_screen(page, "11-phone-downtime-form")
    context.close()
