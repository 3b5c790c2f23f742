"""The ``fedcore`` command as a user runs it: real processes against a temporary SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fedcore.aai.enums import ApplicationStatus
from fedcore.aai.service import accounts, enrolment, groups, vos
from fedcore.core.config import Settings
from fedcore.core.db import make_engine, make_sessionmaker, session_scope
from fedcore.core.security import Principal


def fedcore(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FEDCORE_DATA_DIR": str(tmp_path), "FEDCORE_ADMIN_SUBJECT": "op@test"}
    env.pop("FEDCORE_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "fedcore", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_db_upgrade_demo_and_token(tmp_path: Path) -> None:
    assert fedcore(tmp_path, "db", "upgrade").returncode == 0
    assert (tmp_path / "fedcore.sqlite").exists()
    demo = fedcore(tmp_path, "demo")
    assert demo.returncode == 0, demo.stderr
    assert "12 sites" in demo.stdout
    credentials_file = tmp_path / "demo-credentials.json"
    assert credentials_file.stat().st_mode & 0o777 == 0o600
    credentials = json.loads(credentials_file.read_text())
    assert credentials["password"] in demo.stdout
    assert credentials["accounts"][0] == "op@demo.example"
    with session_scope(
        make_sessionmaker(make_engine(f"sqlite:///{tmp_path}/fedcore.sqlite"))
    ) as db:
        operator = accounts.authenticate_password(
            session=db, email="op@demo.example", password=credentials["password"]
        )
        assert operator.voperson_id == "op@test"
        site_admin = accounts.authenticate_password(
            session=db, email="anna.meier@cscs.example", password=credentials["password"]
        )
        assert site_admin.voperson_id == "anna.meier@cscs.example"
        assert [vo.name for vo in vos.list_vos(session=db)] == [
            "biomed.demo.example",
            "vo.demo.example",
        ]
        demo_vo = groups.get_group(session=db, path="vo.demo.example")
        waiting = enrolment.list_applications(
            session=db,
            actor=Principal(subject="op@test", is_admin=True),
            group=demo_vo,
            status=ApplicationStatus.PENDING,
        )
        assert len(waiting) == 1
        accounts.request_password_reset(
            session=db, settings=Settings(data_dir=tmp_path), email="anna.meier@cscs.example"
        )
    again = fedcore(tmp_path, "demo")
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [
        "error: the database has sites already; the demo loads into an empty one"
    ]
    assert fedcore(tmp_path, "demo", "--if-empty").returncode == 0
    outbox = fedcore(tmp_path, "mail", "list", "--to", "anna.meier@cscs.example")
    assert "to anna.meier@cscs.example (outbox only)" in outbox.stdout
    assert "/aai/password-reset/" in outbox.stdout
    assert fedcore(tmp_path, "mail", "list", "--to", "luka.novak@arnes.example").stdout == ""
    token = fedcore(tmp_path, "token", "create", "--subject", "alice@example.org")
    assert token.returncode == 0
    assert token.stdout.strip().splitlines()[-1].startswith("fct_")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("token", "create", "--subject", "a b"),
            "error: subject: must be 1-255 characters without spaces",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    fedcore(tmp_path, "db", "upgrade")
    result = fedcore(tmp_path, *args)
    assert result.returncode == 2
    assert result.stderr.strip() == message
