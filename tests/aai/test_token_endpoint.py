"""Token endpoint, JWKS, userinfo, introspection and revocation through HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from fedcore.aai.service import clients
from fedcore.core.config import Settings
from fedcore.core.security import principal_for
from tests.aai.oauth import make_client

CC = "client_credentials"


def _service_token(client: TestClient, auth: tuple[str, str], scope: str) -> dict[str, object]:
    response = client.post("/oidc/token", data={"grant_type": CC, "scope": scope}, auth=auth)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, object] = response.json()
    return body


def test_discovery_names_every_endpoint(client: TestClient, settings: Settings) -> None:
    doc = client.get("/.well-known/openid-configuration").json()
    issuer = settings.effective_issuer
    assert doc["issuer"] == issuer
    for name in ("token", "userinfo", "introspect", "revoke", "jwks", "device", "authorize"):
        assert any(str(v).startswith(f"{issuer}/oidc/{name}") for v in doc.values())
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["authorization_response_iss_parameter_supported"] is True


def test_client_credentials_token_is_an_rfc9068_jwt(
    client: TestClient, session: Session, settings: Settings
) -> None:
    svc = make_client(session, settings, grants=[CC], scopes="openid eduperson_entitlement")
    body = _service_token(client, svc.auth, "openid eduperson_entitlement")
    assert body["token_type"] == "Bearer"
    assert "refresh_token" not in body
    keyset = KeySet.import_key_set(client.get("/oidc/jwks").json())
    token = jwt.decode(str(body["access_token"]), keyset, algorithms=["RS256"])
    assert token.header["typ"] == "at+jwt"
    assert token.header["kid"]
    claims = token.claims
    assert claims["iss"] == settings.effective_issuer
    assert claims["sub"] == svc.row.service_subject
    assert claims["client_id"] == svc.client_id
    assert claims["aud"] == svc.client_id
    assert claims["scope"] == "openid eduperson_entitlement"
    assert claims["exp"] - claims["iat"] == settings.access_token_lifetime
    assert {"jti", "iat", "exp"} <= set(claims)


def test_service_account_userinfo_reads_current_entitlements(
    client: TestClient, session: Session, settings: Settings
) -> None:
    svc = make_client(session, settings, grants=[CC], scopes="openid eduperson_entitlement")
    access = str(_service_token(client, svc.auth, "openid eduperson_entitlement")["access_token"])
    headers = {"Authorization": f"Bearer {access}"}
    assert client.get("/oidc/userinfo", headers=headers).json()["eduperson_entitlement"] == []
    operator = principal_for(settings.admin_subject, settings.admin_subject)
    entitlement = "urn:mace:egi.eu:group:vo.test:role=member#aai.egi.eu"
    clients.set_service_entitlements(
        session=session, actor=operator, client_id=svc.client_id, entitlements=[entitlement]
    )
    session.commit()
    info = client.get("/oidc/userinfo", headers=headers).json()
    assert info["sub"] == svc.row.service_subject
    assert info["eduperson_entitlement"] == [entitlement]


def test_client_credentials_refusals(
    client: TestClient, session: Session, settings: Settings
) -> None:
    svc = make_client(session, settings, grants=[CC], scopes="openid")
    wrong = client.post("/oidc/token", data={"grant_type": CC}, auth=(svc.client_id, "nope"))
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert "client_secret as HTTP Basic" in wrong.json()["error_description"]
    missing = client.post("/oidc/token", data={}, auth=svc.auth)
    assert missing.status_code == 400
    assert missing.json() == {
        "error": "invalid_request",
        "error_description": "grant_type is required",
    }
    scope = client.post("/oidc/token", data={"grant_type": CC, "scope": "orcid"}, auth=svc.auth)
    assert scope.status_code == 400
    assert scope.json()["error"] == "invalid_scope"
    grant = client.post("/oidc/token", data={"grant_type": "password"}, auth=svc.auth)
    assert grant.json()["error"] == "unsupported_grant_type"


def test_introspection_and_revocation(
    client: TestClient, session: Session, settings: Settings
) -> None:
    svc = make_client(session, settings, grants=[CC], scopes="openid eduperson_entitlement")
    rs = make_client(session, settings, grants=[CC], scopes="openid", name="resource server")
    access = str(_service_token(client, svc.auth, "openid eduperson_entitlement")["access_token"])
    active = client.post("/oidc/introspect", data={"token": access}, auth=rs.auth).json()
    assert active["active"] is True
    assert active["client_id"] == svc.client_id
    assert active["eduperson_entitlement"] == []
    assert client.post("/oidc/introspect", data={"token": access}).status_code == 401
    assert client.post("/oidc/revoke", data={"token": access}, auth=svc.auth).status_code == 200
    gone = client.post("/oidc/introspect", data={"token": access}, auth=rs.auth).json()
    assert gone == {"active": False}
    refused = client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {access}"})
    assert refused.status_code == 401
    assert "invalid_token" in refused.headers["www-authenticate"]
    api = client.get("/api/registry/sites", headers={"Authorization": f"Bearer {access}"})
    assert api.status_code == 401


def test_fedcore_apis_accept_access_tokens(
    client: TestClient, session: Session, settings: Settings
) -> None:
    svc = make_client(session, settings, grants=[CC], scopes="openid")
    access = str(_service_token(client, svc.auth, "openid")["access_token"])
    response = client.get("/api/registry/sites", headers={"Authorization": f"Bearer {access}"})
    assert response.status_code == 200
