"""flaat (PyPI, the EGI/Helmholtz library that protects research APIs) accepts fedcore's tokens.

The ``flaat_service`` fixture runs a FastAPI service protected by flaat, trusting only the fedcore
server under test and requiring membership of vo.test, under uvicorn in flaat's own environment.
flaat fetches discovery, the JWKS and userinfo over HTTPS from fedcore exactly as it does from EGI
Check-in.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx2
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jws
from joserfc.jwk import RSAKey

from tests.support.server import FedcoreServer

pytestmark = pytest.mark.interop

MEMBER_ENTITLEMENT = "urn:mace:egi.eu:group:vo.test:role=member#aai.egi.eu"
SCOPE = "openid eduperson_entitlement"


def _service_account(server: FedcoreServer, name: str, *entitlements: str) -> dict[str, Any]:
    client = server.create_client(name, "--grant", "client_credentials", "--scope", SCOPE)
    if entitlements:
        options = [arg for e in entitlements for arg in ("--set", e)]
        server.cli("aai", "client", "entitlements", client["client_id"], *options)
    return client


@pytest.fixture(scope="module")
def member_token(op: FedcoreServer) -> str:
    return op.client_credentials(_service_account(op, "vo-member", MEMBER_ENTITLEMENT), SCOPE)


def _get(service: str, path: str, token: str) -> httpx2.Response:
    return httpx2.get(
        f"{service}{path}",
        headers={"Authorization": f"Bearer {token}"},
        trust_env=False,
        timeout=30,
    )


def test_fedcore_token_is_accepted(flaat_service: str, member_token: str) -> None:
    response = _get(flaat_service, "/authenticated", member_token)
    assert response.status_code == 200, response.text


def test_vo_requirement_reads_entitlements_through_userinfo(
    op: FedcoreServer, flaat_service: str, member_token: str
) -> None:
    assert _get(flaat_service, "/vo", member_token).status_code == 200

    infos = _get(flaat_service, "/infos", member_token).json()
    _, claims = op.verify_jwt(member_token)
    assert infos["issuer"] == op.issuer
    assert infos["subject"] == claims["sub"]
    # flaat took the entitlement from the userinfo response, not from the access token.
    assert infos["user_info"]["eduperson_entitlement"] == [MEMBER_ENTITLEMENT]
    assert infos["user_info"]["sub"] == claims["sub"]
    assert "eduperson_entitlement" not in infos["access_token"]


def test_vo_requirement_refuses_a_non_member(op: FedcoreServer, flaat_service: str) -> None:
    outsider = _service_account(op, "vo-outsider", "urn:mace:egi.eu:group:vo.other#aai.egi.eu")
    token = op.client_credentials(outsider, SCOPE)

    assert _get(flaat_service, "/authenticated", token).status_code == 200
    response = _get(flaat_service, "/vo", token)
    assert response.status_code == 403, response.text


def test_forged_token_is_refused(op: FedcoreServer, flaat_service: str, member_token: str) -> None:
    """The genuine token's header (same kid) and claims, signed with the attacker's own key."""
    genuine = jws.extract_compact(member_token.encode())
    attacker = RSAKey.import_key(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    forged = jws.serialize_compact(genuine.protected, genuine.payload, attacker)

    response = _get(flaat_service, "/authenticated", forged)
    assert response.status_code == 401, response.text
    assert "Signature verification failed" in response.text


def test_expired_token_is_refused(op: FedcoreServer, flaat_service: str, member_token: str) -> None:
    """Signed with the server's current key, but its lifetime ended a minute ago."""
    _, claims = op.verify_jwt(member_token)
    now = int(time.time())
    expired = op.sign_with_server_key(
        "at+jwt",
        {**claims, "iat": now - 3660, "nbf": now - 3660, "exp": now - 60, "jti": uuid.uuid4().hex},
    )
    header, _ = op.verify_jwt(expired, at=now - 120)  # genuine, and valid two minutes ago
    assert header["kid"] == jws.extract_compact(member_token.encode()).protected["kid"]

    response = _get(flaat_service, "/authenticated", expired)
    assert response.status_code == 401, response.text
    assert "expired" in response.text


def test_token_of_an_untrusted_provider_is_refused(
    foreign_op: FedcoreServer, flaat_service: str
) -> None:
    """A genuine token of another fedcore server, which the service does not trust."""
    stranger = _service_account(foreign_op, "stranger", MEMBER_ENTITLEMENT)
    token = foreign_op.client_credentials(stranger, SCOPE)

    response = _get(flaat_service, "/authenticated", token)
    assert response.status_code == 401, response.text
    assert foreign_op.issuer in response.text
    assert "not trusted" in response.text
