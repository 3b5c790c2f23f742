"""The administration forms of the community pages: subgroups, roles and admins on a group's page
(rights flow down the tree), and the ID card on a VO's page. Each form: the change shown on the
page and stored; bad input shown next to its field with nothing changed; others refused."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fedcore.aai.models import Account, Group, Vo
from fedcore.aai.service import groups, vos
from fedcore.core.security import Principal
from tests.aai.conftest import VO, Browser, person
from tests.registry.factories import Federation
from tests.support.pages import csrf_token, field_error, sign_in

GROUP = f"/aai/groups/{VO}"
AS_A_BROWSER = {"accept": "text/html"}


def error(response: Response, name: str) -> str:
    """The message next to the field, as the viewer reads it."""
    return html.unescape(field_error(response, name))


def group_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Group)) or 0


def test_a_manager_creates_subgroups_whose_admins_administer_the_groups_below(
    session: Session, active_vo: Vo, manager: Account, browser: Browser
) -> None:
    bob = person(session, "bob")
    manager_browser, csrf = browser(manager)
    made = manager_browser.post(
        f"{GROUP}/subgroups",
        data={"subgroup": "cloud", "subgroup_description": "Cloud users", "csrf": csrf},
        follow_redirects=False,
    )
    assert made.status_code == 303
    assert made.headers["location"] == GROUP
    page = manager_browser.get(GROUP).text
    assert f'href="/aai/groups/{VO}/cloud"' in page
    assert "Cloud users" in page
    cloud = groups.get_group(session=session, path=f"{VO}/cloud")
    assert cloud.description == "Cloud users"
    assert groups.role_names(session, cloud) == ["member"]

    appointed = manager_browser.post(
        f"{GROUP}/cloud/admins",
        data={"admin": bob.voperson_id, "csrf": csrf},
        follow_redirects=False,
    )
    assert appointed.status_code == 303
    assert groups.admin_subjects(session, cloud) == [bob.voperson_id]

    bob_browser, bob_csrf = browser(bob)
    below = bob_browser.post(
        f"{GROUP}/cloud/subgroups",
        data={"subgroup": "gpu", "csrf": bob_csrf},
        follow_redirects=False,
    )
    assert below.status_code == 303
    assert f'href="/aai/groups/{VO}/cloud/gpu"' in bob_browser.get(f"{GROUP}/cloud").text
    assert bob_browser.get(f"{GROUP}/cloud/gpu").status_code == 200
    assert bob_browser.get(GROUP).status_code == 403
    above = bob_browser.post(
        f"{GROUP}/subgroups", data={"subgroup": "hpc", "csrf": bob_csrf}, follow_redirects=False
    )
    assert above.status_code == 403
    assert f'href="/aai/groups/{VO}/cloud/gpu"' in manager_browser.get(GROUP).text


def test_bad_subgroups_are_shown_next_to_the_name_and_nothing_is_created(
    session: Session, active_vo: Vo, manager: Account, browser: Browser
) -> None:
    groups.create_group(
        session=session,
        actor=Principal(subject="operator", is_admin=True),
        path=f"{VO}/cloud",
        description="Cloud users",
    )
    session.commit()
    before = group_count(session)
    manager_browser, csrf = browser(manager)
    bad = manager_browser.post(
        f"{GROUP}/subgroups",
        data={"subgroup": "my group!", "subgroup_description": "kept", "csrf": csrf},
        follow_redirects=False,
    )
    assert bad.status_code == 422
    assert "'my group!' must be 1-64 letters, digits" in error(bad, "subgroup")
    assert 'value="my group!"' in bad.text
    assert ">kept</textarea>" in bad.text
    twice = manager_browser.post(
        f"{GROUP}/subgroups", data={"subgroup": "cloud", "csrf": csrf}, follow_redirects=False
    )
    assert twice.status_code == 409
    assert f"group '{VO}/cloud' already exists" in error(twice, "subgroup")
    assert group_count(session) == before


def test_a_manager_adds_roles_and_bad_or_existing_names_are_refused(
    session: Session, active_vo: Vo, manager: Account, browser: Browser
) -> None:
    root = vos.root_group(session, active_vo)
    manager_browser, csrf = browser(manager)
    added = manager_browser.post(
        f"{GROUP}/roles",
        data={"role": "vm_operator", "role_description": "Runs VMs", "csrf": csrf},
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert groups.role_names(session, root) == ["member", "vm_operator"]
    page = manager_browser.get(GROUP).text
    assert "Roles: member, vm_operator." in page
    assert 'name="roles" value="vm_operator"' in page

    bad = manager_browser.post(
        f"{GROUP}/roles", data={"role": "vm:operator", "csrf": csrf}, follow_redirects=False
    )
    assert bad.status_code == 422
    assert "'vm:operator' must be 1-64 letters, digits, '_', '-' or '.'" in error(bad, "role")
    existing = manager_browser.post(
        f"{GROUP}/roles", data={"role": "member", "csrf": csrf}, follow_redirects=False
    )
    assert existing.status_code == 409
    assert "already has the role 'member'" in error(existing, "role")
    session.expire_all()
    assert groups.role_names(session, root) == ["member", "vm_operator"]


def test_a_manager_appoints_and_removes_admins_but_the_vo_keeps_one(
    session: Session, active_vo: Vo, manager: Account, browser: Browser
) -> None:
    root = vos.root_group(session, active_vo)
    bob = person(session, "bob")
    manager_browser, csrf = browser(manager)
    unknown = manager_browser.post(
        f"{GROUP}/admins",
        data={"admin": "nobody@fedcore.test", "csrf": csrf},
        follow_redirects=False,
    )
    assert unknown.status_code == 422
    assert "'nobody@fedcore.test' is neither an account's voperson_id" in error(unknown, "admin")
    assert 'value="nobody@fedcore.test"' in unknown.text
    assert groups.admin_subjects(session, root) == [manager.voperson_id]

    appointed = manager_browser.post(
        f"{GROUP}/admins", data={"admin": bob.voperson_id, "csrf": csrf}, follow_redirects=False
    )
    assert appointed.status_code == 303
    assert bob.voperson_id in manager_browser.get(f"/aai/vos/{VO}").text
    twice = manager_browser.post(
        f"{GROUP}/admins", data={"admin": bob.voperson_id, "csrf": csrf}, follow_redirects=False
    )
    assert twice.status_code == 409
    assert "is already an admin" in error(twice, "admin")

    removed = manager_browser.post(
        f"{GROUP}/admins/remove",
        data={"subject": manager.voperson_id, "csrf": csrf},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    session.expire_all()
    assert groups.admin_subjects(session, root) == [bob.voperson_id]
    assert manager_browser.get(GROUP).status_code == 403

    bob_browser, bob_csrf = browser(bob)
    last = bob_browser.post(
        f"{GROUP}/admins/remove",
        data={"subject": bob.voperson_id, "csrf": bob_csrf},
        follow_redirects=False,
    )
    assert last.status_code == 409
    assert "last manager" in error(last, "admins")
    assert groups.admin_subjects(session, root) == [bob.voperson_id]


def test_people_who_do_not_administer_the_group_are_refused(
    client: TestClient, session: Session, active_vo: Vo, browser: Browser
) -> None:
    root = vos.root_group(session, active_vo)
    alice = person(session, "alice")
    alice_browser, csrf = browser(alice)
    anonymous_csrf = csrf_token(client)
    forms = {
        "subgroups": {"subgroup": "cloud"},
        "roles": {"role": "vm_operator"},
        "admins": {"admin": alice.voperson_id},
        "admins/remove": {"subject": alice.voperson_id},
    }
    for action, fields in forms.items():
        refused = alice_browser.post(
            f"{GROUP}/{action}", data={**fields, "csrf": csrf}, follow_redirects=False
        )
        assert refused.status_code == 403, action
        anonymous = client.post(
            f"{GROUP}/{action}",
            data={**fields, "csrf": anonymous_csrf},
            headers=AS_A_BROWSER,
            follow_redirects=False,
        )
        assert anonymous.status_code == 303, action
        assert anonymous.headers["location"].startswith("/login?next=/aai/groups/"), action
    session.expire_all()
    assert group_count(session) == 1
    assert groups.role_names(session, root) == ["member"]
    assert alice.voperson_id not in groups.admin_subjects(session, root)


def test_a_manager_changes_the_id_card_and_a_new_aup_is_a_new_version(
    session: Session, active_vo: Vo, manager: Account, browser: Browser
) -> None:
    manager_browser, csrf = browser(manager)
    page = manager_browser.get(f"/aai/vos/{VO}")
    assert 'id="id-card"' in page.text
    assert ">Be nice.</textarea>" in page.text
    card = {
        "description": "Structural biology",
        "discipline": "Life sciences",
        "homepage": "https://bio.example.org",
        "aup_text": "Be nice and cite us.",
        "aup_url": "",
        "contacts": "ops@bio.example.org support@bio.example.org",
        "csrf": csrf,
    }
    saved = manager_browser.post(f"/aai/vos/{VO}", data=card, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/aai/vos/{VO}"
    shown = manager_browser.get(f"/aai/vos/{VO}").text
    assert "AUP version 2" in shown
    assert "Be nice and cite us." in shown
    assert 'href="mailto:support@bio.example.org"' in shown
    session.expire_all()
    vo = vos.get_vo(session=session, name=VO)
    assert vo.aup_version == 2
    assert vo.description == "Structural biology"
    assert vo.contacts == ["ops@bio.example.org", "support@bio.example.org"]

    again = manager_browser.post(
        f"/aai/vos/{VO}", data={**card, "discipline": "Biology"}, follow_redirects=False
    )
    assert again.status_code == 303
    session.expire_all()
    assert vo.aup_version == 2

    for field, value, message in (
        ("homepage", "ftp://bio.example.org", "'ftp://bio.example.org' is not an http(s) URL"),
        ("contacts", "ops@bio.example.org nobody", "'nobody' is not an e-mail address"),
        ("discipline", "x" * 256, "at most 255 characters"),
    ):
        bad = manager_browser.post(
            f"/aai/vos/{VO}",
            data={**card, "description": "Changed", field: value},
            follow_redirects=False,
        )
        assert bad.status_code == 422, field
        assert message in error(bad, field)
        assert ">Changed</textarea>" in bad.text
        session.expire_all()
        assert vo.description == "Structural biology"
    alone = manager_browser.post(
        f"/aai/vos/{VO}", data={"homepage": "ftp://x", "csrf": csrf}, follow_redirects=False
    )
    assert alone.status_code == 422
    assert ">Structural biology</textarea>" in alone.text


def test_only_managers_and_operators_change_the_id_card(
    client: TestClient,
    session: Session,
    active_vo: Vo,
    federation: Federation,
    browser: Browser,
) -> None:
    alice = person(session, "alice")
    alice_browser, csrf = browser(alice)
    assert 'id="id-card"' not in alice_browser.get(f"/aai/vos/{VO}").text
    refused = alice_browser.post(
        f"/aai/vos/{VO}", data={"description": "Mine now", "csrf": csrf}, follow_redirects=False
    )
    assert refused.status_code == 403
    anonymous = client.post(
        f"/aai/vos/{VO}",
        data={"description": "Mine now", "csrf": csrf_token(client)},
        headers=AS_A_BROWSER,
        follow_redirects=False,
    )
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == f"/login?next=/aai/vos/{VO}"
    session.expire_all()
    assert vos.get_vo(session=session, name=VO).description == "Biology"

    operator_csrf = sign_in(client, federation.operator)
    assert 'id="id-card"' in client.get(f"/aai/vos/{VO}").text
    saved = client.post(
        f"/aai/vos/{VO}",
        data={"description": "Checked by the operators", "csrf": operator_csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    session.expire_all()
    assert vos.get_vo(session=session, name=VO).description == "Checked by the operators"
