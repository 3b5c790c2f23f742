"""API tokens and the permission table."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from fedcore.core.config import Settings
from fedcore.core.errors import Forbidden, NotAuthenticated, ValidationFailed
from fedcore.core.models import ApiToken
from fedcore.core.security import (
    ANONYMOUS,
    PermissionTable,
    Principal,
    authenticate,
    create_api_token,
    revoke_api_token,
)


def test_token_is_stored_hashed_and_authenticates(session: Session) -> None:
    row, raw = create_api_token(session=session, subject="alice@example.org")
    assert raw not in {row.token_hash, row.subject}
    assert session.query(ApiToken).filter_by(token_hash=raw).count() == 0
    principal = authenticate(session, raw, Settings(admin_subject="root@example.org"))
    assert principal.subject == "alice@example.org"
    assert not principal.is_admin
    assert authenticate(session, raw, Settings(admin_subject="alice@example.org")).is_admin


def test_revoked_expired_and_unknown_tokens_are_refused(session: Session) -> None:
    row, raw = create_api_token(session=session, subject="bob")
    revoke_api_token(session=session, token_id=row.id)
    with pytest.raises(NotAuthenticated):
        authenticate(session, raw, Settings())
    _, expired = create_api_token(session=session, subject="carol", lifetime=timedelta(seconds=-1))
    with pytest.raises(NotAuthenticated):
        authenticate(session, expired, Settings())
    with pytest.raises(NotAuthenticated):
        authenticate(session, "fct_not-a-token", Settings())
    with pytest.raises(NotAuthenticated):
        authenticate(session, "eyJhbGciOiJub25lIn0.e30.", Settings())


@pytest.mark.parametrize("subject", ["", "two words", "x" * 256])
def test_bad_subjects_are_refused(session: Session, subject: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        create_api_token(session=session, subject=subject)
    assert exc.value.field == "subject"


def test_permission_table_rules() -> None:
    table = PermissionTable("demo")
    table.rule("demo.thing.edit")(lambda _s, actor, target: target == actor.subject)
    alice = Principal(subject="alice")
    assert table.allows("demo.thing.edit", session=None, actor=alice, target="alice")
    assert not table.allows("demo.thing.edit", session=None, actor=alice, target="bob")
    assert table.allows(
        "demo.thing.edit", session=None, actor=Principal("op", is_admin=True), target="bob"
    )
    with pytest.raises(NotAuthenticated):
        table.require("demo.thing.edit", session=None, actor=ANONYMOUS, target="x")
    with pytest.raises(Forbidden):
        table.require("demo.thing.edit", session=None, actor=alice, target="bob")
    with pytest.raises(ValueError, match="not an action"):
        table.rule("other.thing.edit")(lambda _s, _a, _t: True)
