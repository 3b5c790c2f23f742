"""``fedcore aai vo|group|member ...`` as the operator against a temporary SQLite database:
JSON on the last line, one ``error:`` line and exit code 2 for bad input, nothing changed."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import Result

from fedcore.aai.models import Membership, Vo
from fedcore.aai.service import accounts, entitlements, groups, memberships
from fedcore.core.config import get_settings
from tests.aai.test_cli import database, last_json, run

__all__ = ["database"]


def make_account(engine: Engine, email: str) -> str:
    with Session(engine) as session:
        account = accounts.sign_up(
            session=session,
            settings=get_settings(),
            email=email,
            password="correct horse battery staple",
            given_name="Test",
            family_name="Person",
            accept_aup=False,
            by_operator=True,
        )
        session.commit()
        return account.voperson_id


def refused(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    for fragment in fragments:
        assert fragment in line


def count(engine: Engine, model: type[Vo] | type[Membership]) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_vo_group_and_member_commands(database: Engine) -> None:
    ada = make_account(database, "ada@example.org")
    bob = make_account(database, "bob@example.org")

    created = run("vo", "create", "vo.example.org", "--manager", ada, "--contact", "o@example.org")
    assert created.exit_code == 0, created.output
    vo = last_json(created.stdout)
    assert (vo["name"], vo["status"], vo["managers"]) == ("vo.example.org", "active", [ada])
    assert vo["contacts"] == ["o@example.org"]
    refused(run("vo", "create", "Bad_Name", "--manager", ada), "name:", "DNS-style")
    refused(run("vo", "create", "x.org", "--manager", "ghost"), "manager:", "'ghost'")
    assert count(database, Vo) == 1
    listing = run("vo", "list")
    assert "vo.example.org  active" in listing.stdout

    assert run("group", "create", "vo.example.org/cloud").stdout.strip() == (
        "group vo.example.org/cloud created"
    )
    refused(run("group", "create", "vo.example.org/nope/x"), "no group 'vo.example.org/nope'")

    refused(run("member", "add", "vo.example.org/cloud", bob), "not a member of vo.example.org")
    refused(
        run("member", "add", "vo.example.org", bob, "--role", "admin"), "roles:", "no role 'admin'"
    )
    refused(run("member", "add", "vo.example.org", bob, "--expires", "soon"), "expires:")
    refused(
        run("member", "add", "vo.example.org", bob, "--expires", "2099-01-01T00:00:00Z"),
        "expires_at:",
        "365 days",
    )
    refused(run("member", "add", "vo.example.org", "nobody"), "subject:")
    assert count(database, Membership) == 0

    defined = run("group", "role-add", "vo.example.org", "vm_operator")
    assert defined.stdout.strip() == "role vm_operator defined in vo.example.org"
    refused(run("group", "role-add", "vo.example.org", "vm_operator"), "already has the role")
    refused(run("group", "role-add", "vo.example.org", "a b"), "name:")
    added = run(
        "member", "add", "vo.example.org", bob, "--role", "member", "--role", "vm_operator",
        "--reason", "joined the project",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    member = last_json(added.stdout)
    assert (member["group"], member["subject"], member["roles"]) == (
        "vo.example.org",
        bob,
        ["member", "vm_operator"],
    )
    assert member["expires_at"].endswith("Z")
    assert run("member", "add", "vo.example.org/cloud", bob).exit_code == 0
    with Session(database) as session:
        assert entitlements.group_entitlements(
            session=session, settings=get_settings(), subject=bob
        ) == [
            "urn:mace:egi.eu:group:vo.example.org:role=member#aai.egi.eu",
            "urn:mace:egi.eu:group:vo.example.org:role=vm_operator#aai.egi.eu",
            "urn:mace:egi.eu:group:vo.example.org:cloud:role=member#aai.egi.eu",
        ]

    removed = run("member", "remove", "vo.example.org", bob, "--reason", "left")
    assert removed.stdout.strip() == f"{bob} removed from vo.example.org"
    refused(run("member", "remove", "vo.example.org", ada), f"{ada} is not a member")
    with Session(database) as session:
        cloud = groups.get_group(session=session, path="vo.example.org/cloud")
        assert memberships.get_membership(session=session, group=cloud, subject=bob).status == (
            "removed"
        )
        assert memberships.active_memberships(session, bob) == []
