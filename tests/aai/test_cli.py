"""``fedcore aai client ...`` and ``fedcore aai keys ...`` against a temporary SQLite database:
JSON on the last line for what scripts read, one ``error:`` line and exit code 2 otherwise."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from fedcore.aai.cli import app as aai_app
from fedcore.aai.models import Client, SigningKey
from fedcore.aai.service import clients, tokens
from fedcore.core.config import get_settings
from fedcore.core.db import Base, make_engine
from fedcore.core.web import create_app

OPERATOR = "operator@fedcore.test"
ISO_Z = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    import fedcore.aai.models
    import fedcore.core.models  # noqa: F401

    url = f"sqlite:///{tmp_path / 'fedcore.sqlite'}"
    monkeypatch.setenv("FEDCORE_DATABASE_URL", url)
    monkeypatch.setenv("FEDCORE_ADMIN_SUBJECT", OPERATOR)
    monkeypatch.setenv("FEDCORE_BASE_URL", "https://fedcore.example.org")
    monkeypatch.setenv("FEDCORE_KEY_PUBLISH_LEAD", "0")
    get_settings.cache_clear()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def run(*args: str) -> Any:
    """``fedcore aai ARGS``, mounted as ``core/cli.py`` mounts it."""
    fedcore = typer.Typer()
    fedcore.add_typer(aai_app, name="aai")
    return CliRunner().invoke(fedcore, ["aai", *args])


def last_json(stdout: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return document


def stored(engine: Engine, client_id: str) -> Client | None:
    with Session(engine) as session:
        return clients.find_client(session=session, client_id=client_id)


def test_create_prints_a_working_client_on_the_last_line(database: Engine) -> None:
    result = run(
        "client", "create", "--name", "Keystone", "--grant", "client_credentials",
        "--scope", "openid profile eduperson_entitlement entitlements email voperson_id",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    document = last_json(result.stdout)
    assert list(document)[:2] == ["client_id", "client_secret"]
    assert document["name"] == "Keystone"
    assert document["public"] is False
    assert document["status"] == "approved"
    assert document["grant_types"] == ["client_credentials"]
    assert document["scopes"] == [
        "openid", "profile", "eduperson_entitlement", "entitlements", "email", "voperson_id"
    ]  # fmt: skip
    assert document["redirect_uris"] == []
    assert re.fullmatch(r"[0-9a-f]{32}@fedcore\.example\.org", document["service_subject"])
    client = stored(database, document["client_id"])
    assert client is not None
    assert clients.check_client_secret(client, document["client_secret"])
    assert client.secret_hash != document["client_secret"]


def test_create_a_public_device_client(database: Engine) -> None:
    result = run(
        "client", "create", "--name", "oidc-agent", "--public", "--grant", "device",
        "--grant", "refresh", "--redirect-uri", "http://localhost:4242",
        "--redirect-uri", "http://127.0.0.1:4242/",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    document = last_json(result.stdout)
    assert "client_secret" not in document
    assert "service_subject" not in document
    assert document["public"] is True
    assert document["pkce_required"] is True
    assert document["grant_types"] == [
        "urn:ietf:params:oauth:grant-type:device_code",
        "refresh_token",
    ]
    assert document["scopes"] == ["openid", "profile", "email"]
    assert document["redirect_uris"] == ["http://localhost:4242", "http://127.0.0.1:4242/"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--name", "x", "--grant", "password"),
            "error: grant_types: 'password' is not a grant type; use authorization_code (code), ",
        ),
        (("--name", "x"), "error: grant_types: choose at least one grant type"),
        (("--grant", "device"), "error: name: String should have at least 1 character"),
        (
            ("--name", "x", "--grant", "code", "--redirect-uri", "http://app.example.org/cb"),
            "error: redirect_uris: 'http://app.example.org/cb': http is only allowed on a loopback",
        ),
        (
            ("--name", "x", "--grant", "client_credentials", "--public"),
            "error: grant_types: a public client cannot use client_credentials",
        ),
        (
            ("--name", "x", "--grant", "device", "--public", "--no-pkce"),
            "error: pkce_required: public clients always use PKCE",
        ),
        (
            ("--name", "x", "--grant", "device", "--scope", "openid admin"),
            "error: scopes: 'admin' is not a scope of this provider",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    database: Engine, args: tuple[str, ...], message: str
) -> None:
    result = run("client", "create", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(message)
    with Session(database) as session:
        assert session.query(Client).count() == 0


def test_list_show_decide_rotate_entitlements_delete(database: Engine) -> None:
    created = last_json(
        run("client", "create", "--name", "Probe", "--grant", "client_credentials").stdout
    )
    cid = created["client_id"]
    web = last_json(
        run(
            "client", "create", "--name", "Portal", "--grant", "code",
            "--redirect-uri", "https://portal.example.org/cb",
        ).stdout
    )  # fmt: skip
    table = run("client", "list").stdout.splitlines()
    assert table[0].split() == ["CLIENT_ID", "STATUS", "TYPE", "GRANTS", "NAME", "OWNER"]
    assert {line.split()[0] for line in table[1:]} == {cid, web["client_id"]}
    assert f"{cid}  approved  confidential  client_credentials  Probe" in "\n".join(table)
    assert run("client", "list", "--status", "pending").stdout.splitlines()[1:] == []
    bad_status = run("client", "list", "--status", "gone")
    assert (bad_status.exit_code, bad_status.stderr.count("\n")) == (2, 1)

    shown = json.loads(run("client", "show", cid).stdout)
    assert "client_secret" not in shown
    assert shown["service_subject"] == created["service_subject"]
    assert re.fullmatch(ISO_Z, shown["created_at"])

    suspended = run("client", "suspend", cid, "--reason", "leaked secret")
    assert suspended.stdout.strip() == f"client {cid} suspended"
    again = run("client", "reject", cid)
    assert again.exit_code == 2
    assert again.stderr.strip() == (
        "error: status: cannot be rejected: the client is suspended (it can be approved)"
    )
    assert run("client", "approve", cid).exit_code == 0
    client = stored(database, cid)
    assert client is not None
    assert (client.status, client.decision_reason) == ("approved", "")

    rotated = run("client", "rotate-secret", cid)
    assert rotated.exit_code == 0
    secret = last_json(rotated.stdout)["client_secret"]
    client = stored(database, cid)
    assert client is not None
    assert clients.check_client_secret(client, secret)
    assert not clients.check_client_secret(client, created["client_secret"])

    urn = "urn:mace:egi.eu:group:vo.example.org:role=member#aai.egi.eu"
    result = run("client", "entitlements", cid, "--set", urn, "--set", urn)
    assert result.stdout.splitlines() == [urn]
    assert run("client", "entitlements", cid).stdout.splitlines() == [urn]
    bad = run("client", "entitlements", cid, "--set", "member")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: entitlements: 'member' is not an entitlement")
    not_service = run("client", "entitlements", web["client_id"], "--set", urn)
    assert not_service.stderr.startswith("error: entitlements: only service accounts")
    assert run("client", "entitlements", cid, "--clear").stdout == ""

    assert run("client", "delete", cid).stdout.strip() == f"client {cid} deleted"
    missing = run("client", "show", cid)
    assert missing.exit_code == 2
    assert missing.stderr.strip() == f"error: no client with id {cid}"


def test_entitlements_in_token_by_create_and_update(database: Engine) -> None:
    created = last_json(
        run(
            "client", "create", "--name", "Keystone", "--grant", "client_credentials",
            "--scope", "openid eduperson_entitlement", "--entitlements-in-token",
        ).stdout
    )  # fmt: skip
    assert created["entitlements_in_token"] is True
    cid = created["client_id"]
    urn = "urn:mace:egi.eu:group:vo.example.org:role=vm_operator#aai.egi.eu"
    assert run("client", "entitlements", cid, "--set", urn).exit_code == 0

    def token_claims(http: TestClient) -> dict[str, Any]:
        answer = http.post(
            "/oidc/token",
            data={"grant_type": "client_credentials", "scope": "eduperson_entitlement"},
            auth=(cid, created["client_secret"]),
        )
        assert answer.status_code == 200, answer.text
        with Session(database) as session:
            return tokens.decode_signed(
                session=session, token=answer.json()["access_token"], typ=tokens.ACCESS_TOKEN_TYPE
            )

    with TestClient(create_app(get_settings())) as http:
        assert token_claims(http)["eduperson_entitlement"] == [urn]
        renamed = last_json(run("client", "update", cid, "--name", "Keystone 2").stdout)
        assert (renamed["name"], renamed["entitlements_in_token"]) == ("Keystone 2", True)
        switched_off = run("client", "update", cid, "--no-entitlements-in-token")
        assert switched_off.exit_code == 0, switched_off.stderr
        assert last_json(switched_off.stdout)["entitlements_in_token"] is False
        assert "eduperson_entitlement" not in token_claims(http)

    bad = run("client", "update", cid, "--scope", "openid admin")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: scopes: 'admin' is not a scope of this provider")
    client = stored(database, cid)
    assert client is not None
    assert client.scopes == ["openid", "eduperson_entitlement"]


def test_client_commands_need_the_operator(
    database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FEDCORE_ADMIN_SUBJECT", "")
    get_settings.cache_clear()
    result = run("client", "create", "--name", "x", "--grant", "device", "--public")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: FEDCORE_ADMIN_SUBJECT is not set: client commands run as the configured operator"
    )


def test_keys_rotate_and_list(database: Engine) -> None:
    first = run("keys", "rotate")
    assert first.exit_code == 0, first.stderr
    assert re.fullmatch(rf"key \S+ \(RS256\) published, signs from {ISO_Z}", first.stdout.strip())
    assert run("keys", "rotate", "--alg", "ES256").exit_code == 0
    bad = run("keys", "rotate", "--alg", "HS256")
    assert bad.exit_code == 2
    assert bad.stderr.strip() == "error: alg: must be one of RS256, ES256"
    table = run("keys", "list").stdout.splitlines()
    assert table[0].split() == ["KID", "ALG", "CREATED", "ACTIVE_FROM", "RETIRED_AT", "EXPIRES_AT"]
    with Session(database) as session:
        rows = session.query(SigningKey).order_by(SigningKey.active_from, SigningKey.id).all()
    assert [line.split()[:2] for line in table[1:]] == [[k.kid, k.alg] for k in rows]
    old, new = table[1].split(), table[2].split()
    assert old[1] == "RS256"
    assert all(re.fullmatch(ISO_Z, cell) for cell in old[2:])
    assert new[1] == "ES256"
    assert new[4:] == ["-", "-"]


def test_prune_reports_what_it_deleted(database: Engine) -> None:
    result = run("prune")
    assert result.exit_code == 0, result.stderr
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(counts) == {
        "signing_keys",
        "tokens",
        "authorization_codes",
        "device_codes",
        "email_tokens",
        "login_sessions",
    }
    assert all(isinstance(n, int) for n in counts.values())


def test_the_fedcore_command_prints_the_client_on_its_last_line(database: Engine) -> None:
    env = {
        **os.environ,
        "FEDCORE_DATABASE_URL": str(database.url),
        "FEDCORE_ADMIN_SUBJECT": OPERATOR,
    }
    result = subprocess.run(
        [sys.executable, "-m", "fedcore", "aai", "client", "create", "--name", "App",
         "--grant", "code", "--redirect-uri", "https://app.example.org/cb"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = last_json(result.stdout)
    client = stored(database, document["client_id"])
    assert client is not None
    assert clients.check_client_secret(client, document["client_secret"])
