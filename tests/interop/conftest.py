"""Fixtures of the interoperability tests: real clients against real fedcore servers over HTTPS.

* ``pki``: a test CA and a certificate for 127.0.0.1/::1/localhost;
* ``op``: the fedcore server under test (SQLite), issuer ``https://127.0.0.1:<port>``;
* ``foreign_op``: a second, independent fedcore server (PostgreSQL) that nobody trusts;
* ``run_client``: runs a script of ``clients/`` with a client environment's interpreter;
* ``flaat_service``: a FastAPI service protected by flaat that trusts ``op`` only.

A missing prerequisite (uv, oidc-agent-cli, PostgreSQL) fails the tests; nothing is skipped.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.clientenvs import client_python
from tests.support.server import (
    FedcoreServer,
    free_port,
    postgres_database,
    running_server,
    stop,
    wait_until_ready,
)
from tests.support.tls import Pki, make_pki

CLIENTS = Path(__file__).parent / "clients"
RunClient = Callable[..., subprocess.CompletedProcess[str]]
FLAAT_SERVICE_VO = "urn:mace:egi.eu:group:vo.test#aai.egi.eu"
"""The entitlement the flaat service's /vo route requires (AARC syntax, as flaat compares)."""
FLAAT_SERVICE_ROLE = "urn:mace:egi.eu:group:vo.test:role=vm_operator#aai.egi.eu"
"""The entitlement its /vm route requires: the VO role cloud sites gate on (reference §A.7)."""


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def op(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[FedcoreServer]:
    with running_server(tmp_path_factory.mktemp("op"), pki) as server:
        yield server


@pytest.fixture(scope="session")
def foreign_op(
    tmp_path_factory: pytest.TempPathFactory, pki: Pki, postgres_url: str
) -> Iterator[FedcoreServer]:
    database = postgres_database(postgres_url, "interop_foreign_op")
    with running_server(tmp_path_factory.mktemp("foreign"), pki, database_url=database) as server:
        yield server


@pytest.fixture(scope="session")
def run_client(pki: Pki) -> RunClient:
    """``run_client(env_name, script, **environment)``: the finished process, which must exit 0
    (with ``expect_failure=True``: must not)."""

    def run(
        name: str, script: str, *, expect_failure: bool = False, **environment: str
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **pki.client_env(), **environment}
        done = subprocess.run(
            [str(client_python(name)), str(CLIENTS / script)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        failed = done.returncode != 0
        assert failed == expect_failure, f"{script} exited with {done.returncode}:\n{done.stderr}"
        return done

    return run


@pytest.fixture(scope="session")
def flaat_service(
    op: FedcoreServer, pki: Pki, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The flaat-protected service's base URL; it trusts ``op`` and requires VO membership."""
    port = free_port()
    log = tmp_path_factory.mktemp("flaat") / "service.log"
    env = {
        **os.environ,
        **pki.client_env(),
        "TRUSTED_ISSUER": op.issuer,
        "VO_ENTITLEMENT": FLAAT_SERVICE_VO,
        "ROLE_ENTITLEMENT": FLAAT_SERVICE_ROLE,
        "PORT": str(port),
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(client_python("flaat")), str(CLIENTS / "flaat_service.py")],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(f"{url}/ready", process, log)
        yield url
    finally:
        stop(process)
