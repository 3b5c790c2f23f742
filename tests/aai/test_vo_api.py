"""The communities REST API (/api/aai) through HTTP, on SQLite and PostgreSQL: the lifecycle
with fedcore access tokens, the membership export, member changes, invitations, and the
refusals of issue 5 leaving nothing changed."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fedcore.aai.models import Account, Application, Invitation, Membership, MembershipEvent
from fedcore.aai.service import first_party, tokens
from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.models import MailMessage
from tests.aai.oauth import make_person
from tests.registry.factories import Federation

API = "/api/aai"
VO = "bio.example.org"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def bearer(session: Session, settings: Settings, account: Account) -> dict[str, str]:
    """A fedcore access token for ``account``, as the first-party web client gets one."""
    web = first_party.web_client(session=session, settings=settings)
    scope = "openid eduperson_entitlement"
    grant = tokens.create_grant(
        session=session, client=web, account=account, scope=scope, source="authorization_code"
    )
    access, _ = tokens.issue_access_token(
        session=session,
        settings=settings,
        client=web,
        grant=grant,
        subject=account.voperson_id,
        scope=scope,
    )
    session.commit()
    return {"Authorization": f"Bearer {access}"}


def person(session: Session, settings: Settings, email: str) -> tuple[Account, dict[str, str]]:
    account, _ = make_person(session, settings, email=email)
    return account, bearer(session, settings, account)


def problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    if field is not None:
        assert [e["field"] for e in body["errors"]] == [field], body
    return body


def counts(session: Session) -> tuple[int, ...]:
    session.expire_all()
    return tuple(
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Application, Membership, MembershipEvent, Invitation)
    )


def test_lifecycle_through_the_api(
    client: TestClient, session: Session, settings: Settings, federation: Federation
) -> None:
    manager, as_manager = person(session, settings, "manager@example.org")
    alice, as_alice = person(session, settings, "alice@example.org")
    as_operator = federation.operator.headers
    card = {"name": VO, "description": "Biology", "aup_text": "Be nice.", "contacts": ["x@y.org"]}

    problem(client.post(f"{API}/vos", json=card), 401)
    problem(
        client.post(f"{API}/vos", json={**card, "name": "Not A Name!"}, headers=as_manager),
        422,
        "name",
    )
    registered = client.post(f"{API}/vos", json=card, headers=as_manager)
    assert registered.status_code == 201, registered.text
    assert registered.headers["Location"] == f"{API}/vos/{VO}"
    assert registered.json()["status"] == "pending"
    assert registered.json()["registered_by"] == manager.voperson_id
    problem(client.post(f"{API}/vos", json=card, headers=as_manager), 409, "name")

    assert client.get(f"{API}/vos").json() == {"items": [], "next_cursor": None}
    problem(client.get(f"{API}/vos", params={"status": "pending"}), 401)
    problem(client.get(f"{API}/vos", params={"status": "pending"}, headers=as_manager), 403)
    pending = client.get(f"{API}/vos", params={"status": "pending"}, headers=as_operator).json()
    assert [vo["name"] for vo in pending["items"]] == [VO]

    decision = {"status": "active", "reason": "looks fine"}
    problem(client.post(f"{API}/vos/{VO}/decision", json=decision, headers=as_manager), 403)
    problem(
        client.post(f"{API}/vos/{VO}/decision", json={"status": "maybe"}, headers=as_operator),
        422,
        "status",
    )
    approved = client.post(f"{API}/vos/{VO}/decision", json=decision, headers=as_operator)
    assert approved.json()["status"] == "active"
    assert [vo["name"] for vo in client.get(f"{API}/vos").json()["items"]] == [VO]

    group = client.get(f"{API}/groups/{VO}").json()
    assert group["roles"] == ["member"]
    assert group["admins"] == [manager.voperson_id]
    problem(client.get(f"{API}/groups/nothing.example.org"), 404)

    config = {"name": "Join", "approval_required": True, "duration_days": 180}
    problem(client.post(f"{API}/groups/{VO}/enrolments", json=config, headers=as_alice), 403)
    problem(
        client.post(
            f"{API}/groups/{VO}/enrolments",
            json={**config, "duration_days": 400},
            headers=as_manager,
        ),
        422,
        "duration_days",
    )
    problem(
        client.post(f"{API}/groups/{VO}/nowhere/enrolments", json=config, headers=as_manager), 404
    )
    made = client.post(f"{API}/groups/{VO}/enrolments", json=config, headers=as_manager)
    assert made.status_code == 201, made.text
    enrolment = made.json()
    assert enrolment["group"] == VO
    assert enrolment["aup_required"] is True
    assert client.get(made.headers["Location"]).json() == enrolment

    apply = f"{API}/enrolments/{enrolment['id']}/applications"
    before = counts(session)
    problem(client.post(apply, json={"accept_aup": True}), 401)
    problem(
        client.post(apply, json={"roles": ["admin"], "accept_aup": True}, headers=as_alice),
        422,
        "roles",
    )
    problem(client.post(apply, json={"accept_aup": False}, headers=as_alice), 422, "accept_aup")
    assert counts(session) == before
    applied = client.post(apply, json={"accept_aup": True}, headers=as_alice)
    assert applied.status_code == 201, applied.text
    application = applied.json()
    assert application["status"] == "pending"
    assert application["aup_version"] == 1
    after_apply = counts(session)
    problem(client.post(apply, json={"accept_aup": True}, headers=as_alice), 409, "enrolment_id")
    assert counts(session) == after_apply
    mailed = session.scalars(
        select(MailMessage).where(MailMessage.recipient == "manager@example.org")
    ).all()
    assert any(alice.voperson_id in mail.body for mail in mailed)

    problem(client.get(f"{API}/groups/{VO}/applications", headers=as_alice), 403)
    listed = client.get(
        f"{API}/groups/{VO}/applications", params={"status": "pending"}, headers=as_manager
    ).json()
    assert [a["id"] for a in listed["items"]] == [application["id"]]
    decide = f"{API}/applications/{application['id']}/decision"
    problem(client.post(decide, json={"approve": True}, headers=as_alice), 403)
    assert client.get("/oidc/userinfo", headers=as_alice).json()["eduperson_entitlement"] == []
    decided = client.post(decide, json={"approve": True, "reason": "welcome"}, headers=as_manager)
    assert decided.json()["status"] == "approved", decided.text
    problem(client.post(decide, json={"approve": False}, headers=as_manager), 409, "application_id")

    entitlements = client.get("/oidc/userinfo", headers=as_alice).json()["eduperson_entitlement"]
    assert entitlements == [
        f"{settings.entitlement_namespace}:group:{VO}:role=member#{settings.entitlement_authority}"
    ]

    problem(client.get(f"{API}/groups/{VO}/members"), 401)
    problem(client.get(f"{API}/groups/{VO}/members", headers=as_alice), 403)
    [member] = client.get(f"{API}/groups/{VO}/members", headers=as_manager).json()["items"]
    assert member["subject"] == alice.voperson_id
    assert member["effective_status"] == "active"
    assert ISO_Z.match(member["effective_expires_at"])

    export = f"{API}/vos/{VO}/members/export"
    problem(client.get(export, headers=as_alice), 403)
    [row] = client.get(export, headers=as_manager).json()
    assert row["subject"] == alice.voperson_id
    assert row["group"] == VO
    assert row["roles"] == ["member"]
    assert row["status"] == "active"
    assert ISO_Z.match(row["valid_from"])
    assert ISO_Z.match(row["expires_at"])
    as_csv = client.get(export, params={"format": "csv"}, headers=as_manager)
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert list(csv.DictReader(io.StringIO(as_csv.text))) == [
        {**row, "roles": "member", "expires_at": row["expires_at"]}
    ]
    problem(client.get(export, params={"format": "xml"}, headers=as_manager), 422, "format")


def test_groups_members_and_invitations(
    client: TestClient, session: Session, settings: Settings, federation: Federation
) -> None:
    admin, as_admin = person(session, settings, "admin@example.org")
    alice, as_alice = person(session, settings, "alice@example.org")
    bob, as_bob = person(session, settings, "bob@example.org")
    as_operator = federation.operator.headers
    vo = client.post(f"{API}/vos", json={"name": VO}, headers=as_operator)
    assert vo.json()["status"] == "active", vo.text

    added = client.post(
        f"{API}/groups/{VO}/admins", json={"subject": admin.voperson_id}, headers=as_operator
    )
    assert added.status_code == 201
    assert admin.voperson_id in added.json()["admins"]
    sub = client.post(f"{API}/groups/{VO}/subgroups", json={"name": "cloud"}, headers=as_admin)
    assert sub.status_code == 201, sub.text
    assert sub.headers["Location"] == f"{API}/groups/{VO}/cloud"
    assert sub.json()["parent"] == VO
    assert client.get(f"{API}/groups/{VO}").json()["subgroups"] == [f"{VO}/cloud"]
    role = client.post(
        f"{API}/groups/{VO}/cloud/roles", json={"name": "vm_operator"}, headers=as_admin
    )
    assert role.status_code == 201
    assert role.json()["name"] == "vm_operator"
    problem(
        client.post(f"{API}/groups/{VO}/cloud/roles", json={"name": "x"}, headers=as_alice), 403
    )

    members = f"{API}/groups/{VO}/members"
    before = counts(session)
    problem(
        client.post(
            members, json={"subject": alice.voperson_id, "roles": ["boss"]}, headers=as_admin
        ),
        422,
        "roles",
    )
    problem(
        client.post(
            members,
            json={"subject": alice.voperson_id, "expires_at": "2099-01-01T00:00:00Z"},
            headers=as_admin,
        ),
        422,
        "expires_at",
    )
    problem(client.post(members, json={"subject": alice.voperson_id}, headers=as_bob), 403)
    assert counts(session) == before
    direct = client.post(members, json={"subject": alice.voperson_id}, headers=as_admin)
    assert direct.status_code == 201, direct.text
    cloud = f"{API}/groups/{VO}/cloud/members"
    made = client.post(
        cloud, json={"subject": alice.voperson_id, "roles": ["vm_operator"]}, headers=as_admin
    )
    assert made.json()["roles"] == ["vm_operator"], made.text

    suspended = client.patch(
        f"{members}/{alice.voperson_id}",
        json={"status": "suspended", "reason": "audit"},
        headers=as_admin,
    )
    assert suspended.json()["status"] == "suspended", suspended.text
    [below] = client.get(cloud, headers=as_admin).json()["items"]
    assert below["status"] == "active"
    assert below["effective_status"] == "suspended"
    resumed = client.patch(
        f"{members}/{alice.voperson_id}", json={"status": "active"}, headers=as_admin
    )
    assert resumed.json()["effective_status"] == "active"
    soon = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    extended = client.patch(
        f"{members}/{alice.voperson_id}",
        json={"expires_at": soon, "roles": ["member"]},
        headers=as_admin,
    )
    assert extended.json()["expires_at"] == soon, extended.text
    [below] = client.get(cloud, headers=as_admin).json()["items"]
    assert below["expires_at"] is None
    assert below["effective_expires_at"] == soon
    export = client.get(f"{API}/vos/{VO}/members/export", headers=as_admin).json()
    assert [(r["group"], r["roles"]) for r in export] == [
        (VO, ["member"]),
        (f"{VO}/cloud", ["vm_operator"]),
    ]
    removed = client.delete(
        f"{members}/{alice.voperson_id}", params={"reason": "left"}, headers=as_admin
    )
    assert removed.json()["status"] == "removed"
    assert client.get(cloud, headers=as_admin).json()["items"][0]["status"] == "removed"
    problem(client.delete(f"{members}/{bob.voperson_id}", headers=as_admin), 404)
    events = f"{API}/groups/{VO}/events"
    problem(client.get(events, headers=as_bob), 403)
    problem(client.get(events, params={"limit": 0}, headers=as_admin), 422, "limit")
    log = client.get(events, params={"subject": alice.voperson_id}, headers=as_admin).json()
    assert [(e["action"], e["actor"], e["reason"]) for e in log["items"]] == [
        ("added", admin.voperson_id, ""),
        ("suspended", admin.voperson_id, "audit"),
        ("resumed", admin.voperson_id, ""),
        ("expiry_shortened", admin.voperson_id, ""),
        ("removed", admin.voperson_id, "left"),
    ]
    assert log["items"][3]["details"]["to"] == soon
    assert all(ISO_Z.match(e["at"]) for e in log["items"])
    first = client.get(events, params={"limit": 2}, headers=as_admin).json()
    rest = client.get(events, params={"cursor": first["next_cursor"]}, headers=as_admin).json()
    assert len(first["items"]) == 2
    assert rest["next_cursor"] is None
    assert [e["subject"] for e in first["items"] + rest["items"]].count(alice.voperson_id) == 5

    problem(client.delete(f"{API}/groups/{VO}/admins/{admin.voperson_id}", headers=as_bob), 403)
    left = client.delete(f"{API}/groups/{VO}/admins/{admin.voperson_id}", headers=as_operator)
    assert admin.voperson_id not in left.json()["admins"]
    problem(
        client.post(
            f"{API}/groups/{VO}/invitations", json={"email": "bob@example.org"}, headers=as_admin
        ),
        403,
    )

    invitations = f"{API}/groups/{VO}/invitations"
    problem(
        client.post(
            invitations, json={"email": "bob@example.org", "roles": ["boss"]}, headers=as_operator
        ),
        422,
        "roles",
    )
    invited = client.post(invitations, json={"email": "bob@example.org"}, headers=as_operator)
    assert invited.status_code == 201, invited.text
    assert "token" not in invited.json()
    assert ISO_Z.match(invited.json()["expires_at"])
    bodies = session.scalars(
        select(MailMessage.body).where(MailMessage.recipient == "bob@example.org")
    ).all()
    [token] = [m.group(1) for body in bodies if (m := re.search(r"/aai/invitations/(\S+)", body))]
    row = session.get(Invitation, invited.json()["id"])
    assert row is not None
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    before = counts(session)
    problem(client.post(f"{API}/invitations/{token}/accept", json={}), 401)
    problem(client.post(f"{API}/invitations/{token}/accept", json={}, headers=as_bob), 409, "token")
    problem(
        client.post(f"{API}/invitations/not-a-token/accept", json={}, headers=as_bob), 404, "token"
    )
    assert counts(session) == before
    row.expires_at = utcnow() + timedelta(hours=1)
    session.commit()
    joined = client.post(f"{API}/invitations/{token}/accept", json={}, headers=as_bob)
    assert joined.status_code == 200, joined.text
    assert joined.json()["subject"] == bob.voperson_id
    assert joined.json()["group"] == VO
    problem(client.post(f"{API}/invitations/{token}/accept", json={}, headers=as_bob), 409, "token")


def test_an_applicant_cancels(
    client: TestClient, session: Session, settings: Settings, federation: Federation
) -> None:
    alice, as_alice = person(session, settings, "alice@example.org")
    _, as_bob = person(session, settings, "bob@example.org")
    client.post(f"{API}/vos", json={"name": VO}, headers=federation.operator.headers)
    enrolment = client.post(
        f"{API}/groups/{VO}/enrolments",
        json={"name": "Join", "justification_label": "Why?"},
        headers=federation.operator.headers,
    ).json()
    apply = f"{API}/enrolments/{enrolment['id']}/applications"
    problem(client.post(apply, json={}, headers=as_alice), 422, "justification")
    application = client.post(apply, json={"justification": "research"}, headers=as_alice).json()
    problem(client.delete(f"{API}/applications/{application['id']}", headers=as_bob), 403)
    cancelled = client.delete(f"{API}/applications/{application['id']}", headers=as_alice)
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["subject"] == alice.voperson_id
    changed = client.patch(
        f"{API}/enrolments/{enrolment['id']}",
        json={"enabled": False},
        headers=federation.operator.headers,
    )
    assert changed.json()["enabled"] is False
    problem(
        client.post(apply, json={"justification": "again"}, headers=as_alice), 409, "enrolment_id"
    )


def test_openapi_documents_every_aai_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    routes = {p: ops for p, ops in paths.items() if p.startswith(API)}
    assert len(routes) >= 15
    for path, operations in routes.items():
        for method, operation in operations.items():
            assert operation["summary"], (method, path)
            assert operation["tags"] == ["aai"], (method, path)
            assert {"401", "403", "404", "409", "422"} <= set(operation["responses"]), (
                method,
                path,
            )
