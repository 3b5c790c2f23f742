"""Single use under concurrency: many simultaneous redemptions of one authorization code or one
refresh token, on a real database with committed data (a fresh one, so no other test sees it):
exactly one succeeds. Without row locks, PostgreSQL let all of them through."""

from __future__ import annotations

import base64
import threading
from typing import Any

from sqlalchemy import Engine

from fedcore.aai.oidc.server import ProtocolRequest, Provider
from fedcore.aai.service import authorizations, tokens
from fedcore.core.config import Settings
from fedcore.core.db import make_sessionmaker, session_scope
from tests.aai.oauth import REDIRECT, make_client, make_person

PARALLEL = 8


def _race(settings: Settings, factory: Any, basic: str, form: list[tuple[str, str]]) -> list[int]:
    """The token endpoint's answers to PARALLEL identical requests started at the same time."""
    start = threading.Barrier(PARALLEL)
    statuses: list[int] = []

    def post() -> None:
        start.wait()
        with session_scope(factory, write=True) as session:
            request = ProtocolRequest(
                "POST",
                f"{settings.effective_issuer}/oidc/token",
                headers={"Authorization": f"Basic {basic}"},
                query=[],
                form=form,
            )
            result = Provider(session=session, settings=settings).create_token_response(request)
            statuses.append(result.status)

    threads = [threading.Thread(target=post) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(statuses)


def test_one_authorization_code_is_redeemed_once(committed: Engine, settings: Settings) -> None:
    factory = make_sessionmaker(committed)
    with session_scope(factory) as session:
        rp = make_client(session, settings, grants=["authorization_code"], pkce_required=False)
        _, login = make_person(session, settings)
        authorizations.save_authorization_code(
            session=session,
            code="the-code",
            client_id=rp.client_id,
            login=login,
            redirect_uri=REDIRECT,
            scope="openid",
            nonce=None,
            code_challenge=None,
            code_challenge_method=None,
        )
    basic = base64.b64encode(f"{rp.client_id}:{rp.secret}".encode()).decode()
    form = [("grant_type", "authorization_code"), ("code", "the-code"), ("redirect_uri", REDIRECT)]
    assert _race(settings, factory, basic, form) == [200] + [400] * (PARALLEL - 1)


def test_one_refresh_token_is_spent_once(committed: Engine, settings: Settings) -> None:
    factory = make_sessionmaker(committed)
    with session_scope(factory) as session:
        rp = make_client(session, settings, grants=["authorization_code", "refresh_token"])
        account, _ = make_person(session, settings)
        grant = tokens.create_grant(
            session=session,
            client=rp.row,
            account=account,
            scope="openid offline_access",
            source="authorization_code",
        )
        raw = tokens.issue_refresh_token(
            session=session, settings=settings, grant=grant, scope="openid offline_access"
        )
    basic = base64.b64encode(f"{rp.client_id}:{rp.secret}".encode()).decode()
    form = [("grant_type", "refresh_token"), ("refresh_token", raw)]
    assert _race(settings, factory, basic, form) == [200] + [400] * (PARALLEL - 1)
    with session_scope(factory) as session:
        row = session.get(type(grant), grant.id)
        assert row is not None
        assert row.revoked_reason == "refresh token reused", "the replays revoked the family"
