"""The community pages: the catalogue, registering a VO, an operator's approval, joining with the
AUP (refused without the checkbox, nothing changed), the admin deciding from the application
page the e-mail links to, the member list, and accepting an invitation."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fedcore.aai.enums import ApplicationStatus, MembershipStatus, VoStatus
from fedcore.aai.models import Account, Application, Enrolment, Membership, Vo
from fedcore.aai.schemas_vo import VoCreate
from fedcore.aai.service import groups, vos
from fedcore.core.db import isoformat_z
from fedcore.core.models import MailMessage
from fedcore.core.security import Principal
from tests.aai.conftest import VO, Browser, person
from tests.registry.factories import Federation
from tests.support.pages import field_error, sign_in


def test_the_catalogue_lists_active_vos_to_everybody(client: TestClient, active_vo: Vo) -> None:
    page = client.get("/aai/vos")
    assert page.status_code == 200
    assert f'href="/aai/vos/{VO}"' in page.text
    assert "Life sciences" in page.text
    assert '<a href="/aai/vos" aria-current="page">Communities</a>' in page.text
    assert "Sign in</a> to register a VO" in page.text
    card = client.get(f"/aai/vos/{VO}")
    assert card.status_code == 200
    assert "Be nice." in card.text
    assert f"/aai/groups/{VO}/join?enrolment=" in card.text


def test_register_then_an_operator_approves(
    client: TestClient, session: Session, federation: Federation, browser: Browser
) -> None:
    alice = person(session, "alice")
    alice_browser, csrf = browser(alice)
    bad = alice_browser.post(
        "/aai/vos", data={"name": "Not A Name!", "csrf": csrf}, follow_redirects=False
    )
    assert bad.status_code == 422
    assert "DNS-style" in field_error(bad, "name")
    assert session.scalar(select(func.count()).select_from(Vo)) == 0

    made = alice_browser.post(
        "/aai/vos",
        data={"name": "chem.example.org", "description": "Chemistry", "csrf": csrf},
        follow_redirects=False,
    )
    assert made.status_code == 303
    assert made.headers["location"] == "/aai/vos/chem.example.org"
    assert "operator will review" in alice_browser.get(made.headers["location"]).text
    assert "chem.example.org" not in client.get("/aai/vos").text
    assert client.get("/aai/vos/chem.example.org").status_code == 404

    operator_csrf = sign_in(client, federation.operator)
    waiting = client.get("/aai/vos")
    assert 'id="waiting"' in waiting.text
    assert "chem.example.org" in waiting.text
    decided = client.post(
        "/aai/vos/chem.example.org/decision",
        data={"status": "active", "reason": "fine", "csrf": operator_csrf},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    session.expire_all()
    assert vos.get_vo(session=session, name="chem.example.org").status == VoStatus.ACTIVE
    assert 'href="/aai/vos/chem.example.org"' in TestClient(client.app).get("/aai/vos").text


def test_join_needs_the_aup_then_the_admin_approves_from_the_application_page(
    session: Session, active_vo: Vo, manager: Account, browser: Browser
) -> None:
    alice = person(session, "alice")
    session.commit()
    alice_browser, csrf = browser(alice)
    card = alice_browser.get(f"/aai/vos/{VO}")
    join_path = re.search(r'href="(/aai/groups/[^"]+/join\?enrolment=\d+)"', card.text)
    assert join_path
    form = alice_browser.get(join_path.group(1))
    assert form.status_code == 200
    assert "Your project" in form.text
    assert 'name="accept_aup"' in form.text

    refused = alice_browser.post(
        join_path.group(1),
        data={"roles": "member", "justification": "Protein folding", "csrf": csrf},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert "acceptable use policy" in field_error(refused, "accept_aup")
    assert session.scalar(select(func.count()).select_from(Application)) == 0

    applied = alice_browser.post(
        join_path.group(1),
        data={
            "roles": "member",
            "justification": "Protein folding",
            "accept_aup": "on",
            "csrf": csrf,
        },
        follow_redirects=False,
    )
    assert applied.status_code == 303
    assert "waiting for approval" in alice_browser.get(applied.headers["location"]).text

    mail = session.scalar(select(MailMessage).where(MailMessage.recipient == manager.email))
    assert mail is not None
    link = re.search(r"https?://[^/\s]+(/aai/groups/\S+/applications/\d+)", mail.body)
    assert link
    manager_browser, manager_csrf = browser(manager)
    review = manager_browser.get(link.group(1))
    assert review.status_code == 200
    for shown in ("Alice Example", "alice@example.org", alice.voperson_id, "Protein folding"):
        assert shown in review.text
    assert "https://refeds.org/assurance/IAP/medium" in review.text
    assert alice_browser.get(link.group(1)).status_code == 403

    decided = manager_browser.post(
        link.group(1),
        data={"decision": "approve", "reason": "welcome", "csrf": manager_csrf},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    assert decided.headers["location"] == f"/aai/groups/{VO}"
    session.expire_all()
    application = session.scalar(select(Application))
    assert application is not None
    assert application.status == ApplicationStatus.APPROVED
    members = manager_browser.get(f"/aai/groups/{VO}")
    assert members.status_code == 200
    assert alice.voperson_id in members.text
    assert '<span class="badge">active</span>' in members.text
    assert "No application is waiting." in members.text


def test_admin_changes_a_member_with_a_reason_and_bad_input_changes_nothing(
    session: Session, active_vo: Vo, manager: Account, browser: Browser
) -> None:
    alice = person(session, "alice")
    groups.add_role(
        session=session,
        actor=Principal(subject=manager.voperson_id),
        group=vos.root_group(session, active_vo),
        name="vm_operator",
    )
    session.commit()
    manager_browser, csrf = browser(manager)
    added = manager_browser.post(
        f"/aai/groups/{VO}/members",
        data={"subject": alice.voperson_id, "roles": "member", "csrf": csrf},
        follow_redirects=False,
    )
    assert added.status_code == 409
    assert "acceptable-use policy" in field_error(added, "subject")

    invited = manager_browser.post(
        f"/aai/groups/{VO}/invitations",
        data={"email": "alice@example.org", "roles": ["member", "vm_operator"], "csrf": csrf},
        follow_redirects=False,
    )
    assert invited.status_code == 303
    mail = session.scalar(select(MailMessage).where(MailMessage.recipient == "alice@example.org"))
    assert mail is not None
    path = re.search(r"(/aai/invitations/[\w-]+)", mail.body)
    assert path

    alice_browser, alice_csrf = browser(alice)
    page = alice_browser.get(path.group(1))
    assert page.status_code == 200
    assert 'name="accept_aup"' in page.text
    refused = alice_browser.post(path.group(1), data={"csrf": alice_csrf}, follow_redirects=False)
    assert refused.status_code == 422
    assert "acceptable use policy" in field_error(refused, "accept_aup")
    assert session.scalar(select(func.count()).select_from(Membership)) == 0
    accepted = alice_browser.post(
        path.group(1), data={"accept_aup": "on", "csrf": alice_csrf}, follow_redirects=False
    )
    assert accepted.status_code == 303
    assert f"You are a member of {VO}" in alice_browser.get(accepted.headers["location"]).text

    bad = manager_browser.post(
        f"/aai/groups/{VO}/members/change",
        data={
            "subject": alice.voperson_id,
            "action": "extend",
            "expires_at": "next year",
            "reason": "x",
            "csrf": csrf,
        },
        follow_redirects=False,
    )
    assert bad.status_code == 422
    assert "not a date" in field_error(bad, "expires_at")
    suspended = manager_browser.post(
        f"/aai/groups/{VO}/members/change",
        data={
            "subject": alice.voperson_id,
            "action": "suspend",
            "reason": "misuse",
            "csrf": csrf,
        },
        follow_redirects=False,
    )
    assert suspended.status_code == 303
    session.expire_all()
    membership = session.scalar(select(Membership))
    assert membership is not None
    assert membership.status == MembershipStatus.SUSPENDED
    assert membership.roles == ["member", "vm_operator"]
    assert '<span class="badge">suspended</span>' in manager_browser.get(f"/aai/groups/{VO}").text


def test_anonymous_viewers_of_member_pages_are_sent_to_sign_in(
    client: TestClient, active_vo: Vo
) -> None:
    for path in (f"/aai/groups/{VO}", f"/aai/groups/{VO}/join?enrolment=1", "/aai/invitations/x"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=/aai/")


def test_enrolment_configuration_and_direct_add_where_the_vo_has_no_aup(
    session: Session, browser: Browser
) -> None:
    manager, bob = person(session, "mara"), person(session, "bob")
    vos.register_vo(
        session=session,
        actor=Principal(subject="operator", is_admin=True),
        data=VoCreate(name="astro.example.org"),
        manager=manager.voperson_id,
    )
    session.commit()
    manager_browser, csrf = browser(manager)
    group = "/aai/groups/astro.example.org"
    fields = {"name": "Observers", "allowed_roles": "member", "enabled": "on", "csrf": csrf}
    too_long = manager_browser.post(
        f"{group}/enrolments", data={**fields, "duration_days": "400"}, follow_redirects=False
    )
    assert too_long.status_code == 422
    assert "1 to 365 days" in field_error(too_long, "duration_days")
    assert session.scalar(select(func.count()).select_from(Enrolment)) == 0

    made = manager_browser.post(
        f"{group}/enrolments", data={**fields, "duration_days": "30"}, follow_redirects=False
    )
    assert made.status_code == 303
    created = session.scalar(select(Enrolment))
    assert created is not None
    assert created.duration_days == 30
    assert created.approval_required is False
    edit = manager_browser.get(f"{group}/enrolments/{created.id}")
    assert edit.status_code == 200
    assert 'value="Observers"' in edit.text
    changed = manager_browser.post(
        f"{group}/enrolments/{created.id}",
        data={**fields, "duration_days": "60", "approval_required": "on"},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    session.expire_all()
    assert created.duration_days == 60
    assert created.approval_required is True

    added = manager_browser.post(
        f"{group}/members",
        data={
            "subject": bob.voperson_id,
            "roles": "member",
            "expires_at": "2099-01-31",
            "reason": "PI",
            "csrf": csrf,
        },
        follow_redirects=False,
    )
    assert added.status_code == 422
    assert "365" in field_error(added, "expires_at")
    added = manager_browser.post(
        f"{group}/members",
        data={"subject": bob.voperson_id, "roles": "member", "reason": "PI", "csrf": csrf},
        follow_redirects=False,
    )
    assert added.status_code == 303
    members = manager_browser.get(group).text
    assert bob.voperson_id in members
    assert '<span class="badge">active</span>' in members
    membership = session.scalar(select(Membership))
    assert membership is not None
    assert membership.expires_at is not None
    assert isoformat_z(membership.expires_at) in members
