"""oidc-agent (Debian's oidc-agent-cli, the command-line token agent of EGI and Helmholtz users)
gets tokens from fedcore through the device flow and refreshes them.

The agent runs headless with its own configuration directory. ``oidc-gen`` registers an account
against a pre-registered public client; the test plays the person: it signs up and confirms the
e-mail address, signs in and approves the code oidc-gen shows, all through fedcore's pages.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.support.server import FedcoreServer

pytestmark = pytest.mark.interop

SCOPE = "openid profile offline_access"
SHORT_NAME = "fedcore"
EMAIL = "ada@example.org"
PASSWORD = "analytical engine 1843"
USER_CODE = re.compile(r"enter the code: ([A-Z0-9-]+)")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} not found: install the Debian package oidc-agent-cli (scripts/test does)"
        )
    return path


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A headless oidc-agent; the environment oidc-gen and oidc-token use to reach it."""
    socket = tmp_path / "agent" / "socket"
    env = {
        **os.environ,
        "OIDC_CONFIG_DIR": str(tmp_path / "oidc-agent"),
        "OIDC_SOCK": str(socket),
        "OIDC_ENCRYPTION_PW": "interop test encryption password",
    }
    log = tmp_path / "agent.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [_tool("oidc-agent"), "--console", "--socket-path", str(socket)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its request helpers are forked children: stop them too
        )
    try:
        deadline = time.monotonic() + 10
        while not socket.exists():
            assert process.poll() is None, f"oidc-agent exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"oidc-agent has no socket:\n{log.read_text()}"
            time.sleep(0.05)
        yield env
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def _csrf(page: httpx2.Response) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, f"no CSRF token in {page.url}"
    return match.group(1)


def _submit(
    browser: httpx2.Client, page: httpx2.Response, action: str, **fields: str
) -> httpx2.Response:
    """Post a form of PAGE as a browser does (with the page's CSRF token), following redirects."""
    response = browser.post(action, data={"csrf": _csrf(page), **fields}, follow_redirects=True)
    assert response.status_code == 200, f"{action}: {response.status_code}\n{response.text}"
    return response


def _sign_up(op: FedcoreServer, browser: httpx2.Client) -> None:
    """Create a local account through /aai/signup and open the link mailed to confirm it."""
    form = browser.get("/aai/signup")
    _submit(
        browser,
        form,
        "/aai/signup",
        given_name="Ada",
        family_name="Lovelace",
        email=EMAIL,
        password=PASSWORD,
        password_confirm=PASSWORD,
        accept_aup="yes",
    )
    (message,) = op.mail_to(EMAIL)
    link = re.search(rf"{re.escape(op.issuer)}(/aai/verify-email\?token=\S+)", message)
    assert link, message
    confirmed = browser.get(link.group(1), follow_redirects=True)
    assert confirmed.url.path == "/aai/login"


def _approve(browser: httpx2.Client, user_code: str) -> None:
    """What the person does with the code: open /aai/device, sign in, enter it, allow."""
    login = browser.get("/aai/device", params={"user_code": user_code}, follow_redirects=True)
    assert login.url.path == "/aai/login"
    device = _submit(
        browser,
        login,
        "/aai/login",
        email=EMAIL,
        password=PASSWORD,
        next=f"/aai/device?user_code={user_code}",
    )
    assert device.url.path == "/aai/device"
    confirm = _submit(browser, device, "/aai/device", user_code=user_code)
    assert "oidc-agent" in confirm.text
    done = _submit(browser, confirm, "/aai/device/decide", user_code=user_code, decision="allow")
    assert done.url.path == "/aai/device/decide"


class _Stderr:
    """Collects a process's standard error in a thread; tells when a pattern shows up."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._process = process
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self.lines.append(line)

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match := pattern.search(line):
                    return match
            if self._process.poll() is not None and not self._thread.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"{pattern.pattern!r} not shown:\n{self.text}")

    @property
    def text(self) -> str:
        """What was written so far, without the QR code (lines of terminal colour codes)."""
        return "".join(line for line in list(self.lines) if "\x1b[" not in line)


def _oidc_token(agent: dict[str, str], *options: str) -> str:
    done = subprocess.run(
        [_tool("oidc-token"), *options, SHORT_NAME],
        env=agent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_device_flow_account_and_refresh(op: FedcoreServer, agent: dict[str, str]) -> None:
    client = op.create_client(
        "oidc-agent", "--public", "--grant", "device", "--grant", "refresh", "--scope", SCOPE
    )
    assert "client_secret" not in client
    with op.http() as browser:
        _sign_up(op, browser)

        gen = subprocess.Popen(
            [
                _tool("oidc-gen"),
                f"--iss={op.issuer}",
                f"--client-id={client['client_id']}",
                "--client-secret=",  # a public client: oidc-gen asks for one otherwise
                f"--scope={SCOPE}",
                "--flow=device",
                f"--cp={op.pki.ca_cert}",
                "--pw-env",
                "--prompt=none",
                "--confirm-default",
                "--no-url-call",
                SHORT_NAME,
            ],
            env=agent,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            stderr = _Stderr(gen)
            user_code = stderr.wait_for(USER_CODE, timeout=30).group(1)
            assert f"{op.issuer}/aai/device" in stderr.text
            _approve(browser, user_code)
            stdout, _ = gen.communicate(timeout=60)
        finally:
            gen.kill()
            gen.wait()
        assert gen.returncode == 0, f"oidc-gen failed:\n{stdout}\n{stderr.text}"

        first = _oidc_token(agent)
        _, claims = op.verify_jwt(first)
        assert claims["client_id"] == client["client_id"]
        assert set(claims["scope"].split()) == set(SCOPE.split())
        userinfo = browser.get("/oidc/userinfo", headers={"Authorization": f"Bearer {first}"})
        assert userinfo.status_code == 200, userinfo.text
        assert userinfo.json()["sub"] == claims["sub"]
        assert userinfo.json()["name"] == "Ada Lovelace"

    # -f makes the agent fetch a new access token now; its only way is the refresh token. A
    # second refresh shows it kept the rotated refresh token: presenting the used one again
    # would have revoked the whole family.
    second = _oidc_token(agent, "-f")
    third = _oidc_token(agent, "-f")
    tokens = [op.verify_jwt(token)[1] for token in (first, second, third)]
    assert len({t["jti"] for t in tokens}) == 3
    assert {t["sub"] for t in tokens} == {claims["sub"]}
    assert {t["gid"] for t in tokens} == {claims["gid"]}
