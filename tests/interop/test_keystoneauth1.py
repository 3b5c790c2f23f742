"""keystoneauth1 (PyPI, the OpenStack auth library under every OpenStack client, and under the
fedcloud client) obtains an access token from fedcore with its OIDC client-credentials plugin,
finding the token endpoint through fedcore's discovery document."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import pytest

from tests.support.server import FedcoreServer

pytestmark = pytest.mark.interop

RunClient = Callable[..., subprocess.CompletedProcess[str]]


def test_client_credentials_plugin_gets_a_token_through_discovery(
    op: FedcoreServer, run_client: RunClient
) -> None:
    client = op.create_client("openstack", "--grant", "client_credentials", "--scope", "openid")

    done = run_client(
        "keystoneauth1",
        "keystone_token.py",
        ISSUER=op.issuer,
        CLIENT_ID=client["client_id"],
        CLIENT_SECRET=client["client_secret"],
        SCOPE="openid",
        CA_FILE=str(op.pki.ca_cert),
    )
    result = json.loads(done.stdout)

    # The plugin refuses an OP whose discovery does not list its grant type.
    assert result["grant_type"] in result["grant_types_supported"]
    header, claims = op.verify_jwt(result["access_token"])
    assert header["typ"] == "at+jwt"
    assert claims["client_id"] == client["client_id"]
    assert claims["scope"] == "openid"
    assert claims["sub"].endswith("@127.0.0.1")


def test_wrong_client_secret_gets_no_token(op: FedcoreServer, run_client: RunClient) -> None:
    client = op.create_client("openstack-2", "--grant", "client_credentials", "--scope", "openid")

    done = run_client(
        "keystoneauth1",
        "keystone_token.py",
        expect_failure=True,
        ISSUER=op.issuer,
        CLIENT_ID=client["client_id"],
        CLIENT_SECRET=client["client_secret"] + "x",
        SCOPE="openid",
        CA_FILE=str(op.pki.ca_cert),
    )
    assert "keystoneauth1.exceptions.http.Unauthorized" in done.stderr
