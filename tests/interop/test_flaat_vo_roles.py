"""flaat grants and refuses by VO role, from memberships managed in fedcore itself.

The VO vo.test, its role vm_operator and its members are made with the operator's CLI
(``fedcore aai vo|group|member``); the flaat service reads the group entitlements fedcore computes
at request time through userinfo. /vo requires membership of vo.test (any role, any subgroup),
/vm the role vm_operator in vo.test (reference §A.7: roles are not hierarchical).
"""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from tests.support.server import FedcoreServer

pytestmark = pytest.mark.interop

SCOPE = "openid eduperson_entitlement"


def _service_account(server: FedcoreServer, name: str) -> dict[str, Any]:
    return server.create_client(name, "--grant", "client_credentials", "--scope", SCOPE)


def _status(service: str, path: str, token: str) -> int:
    response = httpx2.get(
        f"{service}{path}",
        headers={"Authorization": f"Bearer {token}"},
        trust_env=False,
        timeout=30,
    )
    return response.status_code


def test_flaat_grants_and_refuses_by_vo_role(op: FedcoreServer, flaat_service: str) -> None:
    manager = _service_account(op, "vo.test manager")
    operator = _service_account(op, "vo.test vm operator")
    member = _service_account(op, "vo.test member")
    sub_member = _service_account(op, "vo.test/cloud member")
    outsider = _service_account(op, "vo.other member")
    subject = {
        name: account["service_subject"]
        for name, account in [
            ("manager", manager),
            ("operator", operator),
            ("member", member),
            ("sub_member", sub_member),
            ("outsider", outsider),
        ]
    }
    op.cli("aai", "vo", "create", "vo.test", "--manager", subject["manager"])
    op.cli("aai", "vo", "create", "vo.other", "--manager", subject["manager"])
    op.cli("aai", "group", "role-add", "vo.test", "vm_operator")
    op.cli("aai", "group", "create", "vo.test/cloud")
    op.cli("aai", "member", "add", "vo.test", subject["operator"], "--role", "vm_operator")
    op.cli("aai", "member", "add", "vo.test", subject["member"])
    op.cli("aai", "member", "add", "vo.test", subject["sub_member"])
    op.cli("aai", "member", "add", "vo.test/cloud", subject["sub_member"])
    op.cli("aai", "member", "add", "vo.other", subject["outsider"], "--role", "member")
    tokens = {
        name: op.client_credentials(account, SCOPE)
        for name, account in [
            ("operator", operator),
            ("member", member),
            ("sub_member", sub_member),
            ("outsider", outsider),
        ]
    }

    assert _status(flaat_service, "/vo", tokens["operator"]) == 200
    assert _status(flaat_service, "/vm", tokens["operator"]) == 200
    assert _status(flaat_service, "/vo", tokens["member"]) == 200
    assert _status(flaat_service, "/vm", tokens["member"]) == 403
    assert _status(flaat_service, "/vo", tokens["sub_member"]) == 200
    assert _status(flaat_service, "/vm", tokens["sub_member"]) == 403
    assert _status(flaat_service, "/vo", tokens["outsider"]) == 403
    assert _status(flaat_service, "/vm", tokens["outsider"]) == 403

    # fedcore computes entitlements at request time: the same token's userinfo loses the role
    # when the membership goes. flaat keeps a token's userinfo for the token's lifetime, so it
    # refuses the next token.
    op.cli("aai", "member", "remove", "vo.test", subject["operator"])
    with op.http() as http:
        info = http.get(
            op.discovery()["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {tokens['operator']}"},
        ).json()
    assert info["eduperson_entitlement"] == []
    renewed = op.client_credentials(operator, SCOPE)
    assert _status(flaat_service, "/vm", renewed) == 403
    assert _status(flaat_service, "/vo", renewed) == 403
