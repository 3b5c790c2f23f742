"""Registry roles belong to accounts: a person signed in with a fedcore token acts with the roles
the registry gave their voperson_id, and userinfo releases them as GOCDB entitlements."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fedcore.aai.service import first_party, tokens
from fedcore.core.config import Settings
from fedcore.registry.enums import EntityType, RoleType
from tests.aai.oauth import make_person
from tests.registry.factories import Federation, grant


def test_registry_roles_follow_the_account(
    client: TestClient, session: Session, settings: Settings, federation: Federation
) -> None:
    account, _ = make_person(session, settings)
    web = first_party.web_client(session=session, settings=settings)
    scope = "openid eduperson_entitlement"
    grant_row = tokens.create_grant(
        session=session, client=web, account=account, scope=scope, source="authorization_code"
    )
    access, _ = tokens.issue_access_token(
        session=session,
        settings=settings,
        client=web,
        grant=grant_row,
        subject=account.voperson_id,
        scope=scope,
    )
    session.commit()
    headers = {"Authorization": f"Bearer {access}"}
    site = federation.site
    edit = {"description": "edited with an OIDC token"}
    assert (
        client.patch(f"/api/registry/sites/{site.id}", json=edit, headers=headers).status_code
        == 403
    )
    assert client.get("/oidc/userinfo", headers=headers).json()["eduperson_entitlement"] == []
    grant(session, account.voperson_id, RoleType.SITE_ADMINISTRATOR, EntityType.SITE, site.id)
    session.commit()
    assert (
        client.patch(f"/api/registry/sites/{site.id}", json=edit, headers=headers).status_code
        == 200
    )
    [entitlement] = client.get("/oidc/userinfo", headers=headers).json()["eduperson_entitlement"]
    assert entitlement.startswith("urn:mace:egi.eu:goc.egi.eu:")
    assert entitlement.endswith(f":{site.short_name}:Site+Administrator@egi.eu")
