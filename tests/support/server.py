"""A real fedcore server in a subprocess, over HTTPS with a test CA, for tests with real clients.

:func:`running_server` prepares a fresh database with ``fedcore db upgrade``, starts
``fedcore serve --ssl-certfile ... --ssl-keyfile ...`` on a free loopback port with its own data
directory and ``FEDCORE_ISSUER = FEDCORE_BASE_URL = https://127.0.0.1:<port>``, waits for
``/health`` and stops the process afterwards. :meth:`FedcoreServer.cli` runs other ``fedcore``
commands against the same configuration.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from tests.support.tls import Pki

ADMIN_SUBJECT = "operator@fedcore.test"
STARTUP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fedcore_executable() -> Path:
    """The ``fedcore`` command of the environment running the tests."""
    path = Path(sys.executable).with_name("fedcore")
    if not path.exists():
        raise RuntimeError(f"{path} not found: install the project (uv sync) before the tests")
    return path


def wait_until_ready(
    url: str, process: subprocess.Popen[bytes], log: Path, ca: Path | None = None
) -> None:
    """Poll URL (https: trusting CA) until it answers 200; fail with the process log if the
    process exits or takes too long."""
    verify = ssl.create_default_context(cafile=str(ca)) if ca else True
    deadline = time.monotonic() + STARTUP_TIMEOUT
    with httpx2.Client(verify=verify, timeout=2.0, trust_env=False) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{process.args!r} exited with {process.returncode}:\n{log.read_text()}"
                )
            try:
                if http.get(url).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {STARTUP_TIMEOUT:.0f} s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a uvicorn server as Ctrl+C does, twice if need be: after the first, uvicorn waits for
    open connections, and an idle keep-alive TLS connection a client keeps in its pool (flaat's
    requests session does) would hold it for good; the second makes it quit. Kill if all fails."""
    for grace in (2, 10):
        if process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            pass
    process.kill()
    process.wait()


@dataclass
class FedcoreServer:
    root: Path
    pki: Pki
    port: int
    database_url: str
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """The process environment: the caller's, without its FEDCORE_* settings, plus ours."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEDCORE_")}
        env.update(
            FEDCORE_DATA_DIR=str(self.root / "data"),
            FEDCORE_DATABASE_URL=self.database_url,
            FEDCORE_ISSUER=self.issuer,
            FEDCORE_BASE_URL=self.issuer,
            FEDCORE_ADMIN_SUBJECT=ADMIN_SUBJECT,
            FEDCORE_SECRET_KEY=f"interop-{self.port}-not-a-real-secret",
            FEDCORE_LOG_LEVEL="WARNING",
        )
        env.update(self.settings)
        return env

    def cli(self, *args: str) -> str:
        """Run ``fedcore ARGS`` on this server's configuration; its standard output."""
        done = subprocess.run(
            [str(fedcore_executable()), *args],
            cwd=self.root,  # no stray .env file
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"fedcore {' '.join(args)} exited with {done.returncode}:\n{done.stderr}"
            )
        return done.stdout

    def cli_json(self, *args: str) -> dict[str, Any]:
        """Run a command that prints one JSON object on its last line; that object."""
        lines = self.cli(*args).strip().splitlines()
        if not lines:
            raise AssertionError(f"fedcore {' '.join(args)} printed nothing")
        value: dict[str, Any] = json.loads(lines[-1])
        return value

    def http(self, **options: Any) -> httpx2.Client:
        """An HTTP client for this server that trusts the test CA (and nothing else)."""
        context = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        return httpx2.Client(base_url=self.issuer, verify=context, trust_env=False, **options)

    def discovery(self) -> dict[str, Any]:
        with self.http() as http:
            response = http.get("/.well-known/openid-configuration")
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        return document

    def create_client(self, name: str, *options: str) -> dict[str, Any]:
        """``fedcore aai client create --name NAME OPTIONS``: the printed client."""
        return self.cli_json("aai", "client", "create", "--name", name, *options)

    def client_credentials(self, client: dict[str, Any], scope: str) -> str:
        """An access token for a service account, from the token endpoint of discovery."""
        with self.http() as http:
            response = http.post(
                self.discovery()["token_endpoint"],
                data={"grant_type": "client_credentials", "scope": scope},
                auth=(client["client_id"], client["client_secret"]),
            )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def verify_jwt(
        self, token: str, *, at: int | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Header and claims of TOKEN: signature verified with the JWKS that discovery names,
        issuer checked, valid at time AT (default: now)."""
        from joserfc import jwt
        from joserfc.jwk import KeySet

        with self.http() as http:
            response = http.get(self.discovery()["jwks_uri"])
        response.raise_for_status()
        keys = KeySet.import_key_set(response.json())
        decoded = jwt.decode(token, keys, algorithms=["RS256", "ES256"])
        registry = jwt.JWTClaimsRegistry(
            now=at,
            iss={"essential": True, "value": self.issuer},
            exp={"essential": True},
        )
        registry.validate(decoded.claims)
        return dict(decoded.header), dict(decoded.claims)

    def mail_to(self, recipient: str) -> list[str]:
        """Bodies of the messages the server sent to RECIPIENT (its mail outbox), oldest first."""
        from sqlalchemy import select

        from fedcore.core.db import make_engine, make_sessionmaker, session_scope
        from fedcore.core.models import MailMessage

        engine = make_engine(self.database_url)
        try:
            with session_scope(make_sessionmaker(engine)) as session:
                query = select(MailMessage.body).where(MailMessage.recipient == recipient)
                return list(session.scalars(query.order_by(MailMessage.id)))
        finally:
            engine.dispose()

    def sign_with_server_key(self, header_type: str, claims: dict[str, Any]) -> str:
        """CLAIMS signed with the key the server signs with now, read from its database.

        For tokens the server would never issue itself (e.g. already expired) but that carry a
        genuine signature, through the provider's own signing function.
        """
        from fedcore.aai.service.tokens import sign
        from fedcore.core.config import Settings
        from fedcore.core.db import make_engine, make_sessionmaker, session_scope

        settings = Settings(database_url=self.database_url, issuer=self.issuer)
        engine = make_engine(self.database_url)
        try:
            with session_scope(make_sessionmaker(engine)) as session:
                return sign(session=session, settings=settings, claims=claims, typ=header_type)
        finally:
            engine.dispose()


def postgres_database(cluster_url: str, name: str) -> str:
    """Create database NAME (dropped first if there) in the cluster of CLUSTER_URL; its URL."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    url = make_url(cluster_url)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url.set(database=name).render_as_string(hide_password=False)


@contextmanager
def running_server(
    root: Path,
    pki: Pki,
    *,
    database_url: str = "",
    settings: dict[str, str] | None = None,
    port: int | None = None,
) -> Iterator[FedcoreServer]:
    """A fedcore server with its own data directory ROOT (SQLite there unless DATABASE_URL), on
    PORT (default: a free one; give one to know the server's URLs before it starts)."""
    root.mkdir(parents=True, exist_ok=True)
    server = FedcoreServer(
        root=root,
        pki=pki,
        port=port or free_port(),
        database_url=database_url or f"sqlite:///{root / 'fedcore.sqlite'}",
        settings=settings or {},
    )
    server.cli("db", "upgrade")
    log = root / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                str(fedcore_executable()),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(server.port),
                "--ssl-certfile",
                str(pki.server_cert),
                "--ssl-keyfile",
                str(pki.server_key),
            ],
            cwd=root,
            env=server.env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_ready(f"{server.issuer}/health", process, log, pki.ca_cert)
        yield server
    finally:
        stop(process)
