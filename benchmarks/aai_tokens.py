"""Token-endpoint throughput: fedcore's OpenID provider against node-oidc-provider.

Measures client-credentials grants and refresh-token grants per second on fedcore and on
node-oidc-provider (npm ``oidc-provider``, a certified OpenID provider; version pinned in
``benchmarks/oidc_provider/package.json``), configured alike and started here side by side on the
loopback. The same ``wrk`` (one thread, keep-alive) loads one server at a time, at 1, 8 and 32
connections for ``--duration`` seconds each after a warm-up, the two servers taking turns per
row. It prints one table with requests/s, p50/p99 latency and server CPU for both and the ratio
fedcore/node per row, then the geometric-mean ratio per grant and Keycloak's published sizing as
a reference.

Configured alike (``benchmarks/oidc_provider/server.mjs`` is the node side):

* one confidential client, ``client_secret_basic``, grants client_credentials, refresh_token and
  authorization_code; plain HTTP on 127.0.0.1, no proxy;
* access tokens are RFC 9068 JWTs signed RS256 with a 2048-bit key (``typ: at+jwt``, ``kid``),
  one hour; both servers' first answers are checked for that before the load;
* client_credentials asks for one scope on both (fedcore: ``eduperson_entitlement``, node: its
  resource server's ``api:read``) and gets an access token only;
* refresh: every wrk connection owns one token family (a grant for one account with ``openid
  offline_access``, as an authorization-code login leaves it, minted before the load: fedcore's
  through its service functions on the benchmark database, node's inside ``server.mjs``).
  Refresh tokens rotate on both servers: each answer carries a new refresh token, an access token
  and an ID token; the spent token stays known so that a reuse revokes the family. The wrk script
  (``oidc_provider/token.lua``) keeps the pool and sends each connection's newest token;
* fedcore runs ``fedcore serve --workers 2`` (uvicorn) on SQLite in a fresh data directory (or
  ``--db postgresql``: a throwaway cluster, as the tests use; or ``--database-url``); node runs
  one process in production mode (it signs on libuv's thread pool, so it uses both cores) with
  an in-memory store (``server.mjs`` says why not the built-in LRU one).

Server CPU is utime+stime from ``/proc/<pid>/stat`` summed over the server's processes (for
fedcore on PostgreSQL on this machine, the database server's too), per second of the run (100% =
one core). "other" is what the rest of the machine used meanwhile
(all busy time minus server and wrk): above 20% the figures are flagged as disturbed. Any
non-200 answer, socket error or refresh answer without a refresh token fails the run: the
table says so and the command exits 1.

Run from the repository root (it installs ``wrk`` with apt and the peer with ``npm ci`` into
``benchmarks/oidc_provider/node_modules`` when they are missing; about 3 minutes):

    .venv/bin/python -m benchmarks.aai_tokens [--duration 10] [--runs 1] [--db sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import math
import os
import re
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url
from tests.support.postgres import postgres_cluster

from fedcore.core.config import Settings
from fedcore.core.db import make_engine, make_sessionmaker, session_scope
from fedcore.core.logging import configure_logging

REPO = Path(__file__).resolve().parent.parent
PEER_DIR = Path(__file__).resolve().parent / "oidc_provider"
LUA = PEER_DIR / "token.lua"
CONCURRENCY = (1, 8, 32)
WARMUP_CONNECTIONS = 8
CLIENT_CREDENTIALS = "client_credentials"
REFRESH = "refresh_token"
GRANTS = (CLIENT_CREDENTIALS, REFRESH)
REFRESH_SCOPE = "openid offline_access"
FEDCORE_CC_SCOPE = "eduperson_entitlement"
NODE_CC_SCOPE = "api:read"
KEYCLOAK_CC_PER_VCPU = 120  # Keycloak's published sizing: client-credentials grants/s per vCPU
AIM_RATIO = 1.5  # issue 4: fedcore at least 1.5x node-oidc-provider
OTHER_LOAD_WARNING = 0.20  # cores used by other processes during a run
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- tools ----------------------------------------------------------------------------------


def ensure_tools() -> None:
    """wrk from Debian (scripts/lib.sh ``apt_need``) and the pinned peer from npm."""
    if shutil.which("wrk") is None:
        subprocess.run(["bash", "-c", '. scripts/lib.sh && apt_need "$@"', "-", "wrk"], check=True)
    if shutil.which("node") is None or shutil.which("npm") is None:
        sys.exit("node and npm are needed for the peer: apt-get install nodejs npm")
    wanted = json.loads((PEER_DIR / "package.json").read_text())["dependencies"]["oidc-provider"]
    installed = PEER_DIR / "node_modules" / "oidc-provider" / "package.json"
    if not installed.exists() or json.loads(installed.read_text())["version"] != wanted:
        print(f"installing oidc-provider {wanted} with npm ci ...", file=sys.stderr)
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=PEER_DIR,
            check=True,
            stdout=sys.stderr,
        )


def versions() -> str:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    peer = json.loads((PEER_DIR / "node_modules" / "oidc-provider" / "package.json").read_text())
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split()[1]
    return (
        f"node {node}, oidc-provider {peer['version']}, wrk {wrk}, Python "
        f"{sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the servers ----------------------------------------------------------------------------


@dataclass
class Target:
    """A running server: where its token endpoint is, how to ask it, and its refresh tokens."""

    name: str
    pids: list[int]  # roots of the process trees whose CPU is the server's
    token_url: str
    client_id: str
    client_secret: str
    cc_scope: str
    refresh_tokens: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def authorization(self) -> str:
        raw = f"{self.client_id}:{self.client_secret}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    @property
    def cc_body(self) -> str:
        return f"grant_type=client_credentials&scope={self.cc_scope.replace(':', '%3A')}"

    def take_tokens(self, count: int) -> list[str]:
        taken, self.refresh_tokens = self.refresh_tokens[:count], self.refresh_tokens[count:]
        if len(taken) < count:
            raise RuntimeError(f"{self.name}: not enough refresh tokens minted")
        return taken


def wait_until_up(proc: subprocess.Popen[bytes], port: int, path: str, log: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)


@contextmanager
def process(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> Iterator[Any]:
    with log.open("w") as out:
        proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        except BaseException:
            print(f"{log.name} (tail):\n{log.read_text()[-3000:]}", file=sys.stderr)
            raise
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def database_pids(database_url: str) -> list[int]:
    """The database server's main process when it listens on this machine (its backends are
    its children): its CPU is part of fedcore's, as node's store is part of node's process."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" or url.host not in {"127.0.0.1", "localhost", "::1"}:
        return []
    listing = subprocess.run(
        ["ss", "-Hltnp", f"sport = :{url.port or 5432}"], capture_output=True, text=True
    ).stdout
    return sorted({int(pid) for pid in re.findall(r"pid=(\d+)", listing)})


def fedcore_settings(database_url: str, workdir: Path, port: int) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        data_dir=workdir,
        base_url=f"http://127.0.0.1:{port}",
        issuer=f"http://127.0.0.1:{port}",
        secret_key=secrets.token_urlsafe(32),
        admin_subject="benchmark-operator",
        log_level="WARNING",
    )


def fedcore_env(settings: Settings) -> dict[str, str]:
    values = settings.model_dump(
        include={
            "database_url",
            "data_dir",
            "base_url",
            "issuer",
            "secret_key",
            "admin_subject",
            "log_level",
        }
    )
    return {**os.environ, **{f"FEDCORE_{k.upper()}": str(v) for k, v in values.items()}}


def fedcore_cli(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "fedcore", *args], env=env, cwd=cwd, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"fedcore {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def prepare_fedcore(
    settings: Settings, workdir: Path, tokens_needed: int
) -> tuple[str, str, list[str]]:
    """Schema (``fedcore db upgrade``), the client (``fedcore aai client create``), the first
    signing key, and the refresh tokens: an account (``accounts.sign_up``) and one grant each
    (``tokens.create_grant`` + ``tokens.issue_refresh_token``)."""
    from fedcore.aai.models import Client
    from fedcore.aai.service import accounts, keys, tokens

    env = fedcore_env(settings)
    fedcore_cli(["db", "upgrade"], env, workdir)
    out = fedcore_cli(
        [
            "aai",
            "client",
            "create",
            "--name",
            "bench",
            "--grant",
            "client_credentials",
            "--grant",
            "refresh",
            "--grant",
            "code",
            "--redirect-uri",
            "http://127.0.0.1/cb",
            "--scope",
            f"{REFRESH_SCOPE} {FEDCORE_CC_SCOPE}",
        ],
        env,
        workdir,
    )
    created = json.loads(out.strip().splitlines()[-1])
    engine = make_engine(settings.effective_database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            keys.rotate_keys(session=session, settings=settings)
            account = accounts.sign_up(
                session=session,
                settings=settings,
                email="bench@example.test",
                password=secrets.token_urlsafe(24),
                given_name="Bench",
                family_name="Mark",
                accept_aup=True,
            )
            client = session.scalars(
                select(Client).where(Client.client_id == created["client_id"])
            ).one()
            minted = []
            for _ in range(tokens_needed):
                grant = tokens.create_grant(
                    session=session,
                    client=client,
                    account=account,
                    scope=REFRESH_SCOPE,
                    source="authorization_code",
                )
                minted.append(
                    tokens.issue_refresh_token(
                        session=session, settings=settings, grant=grant, scope=REFRESH_SCOPE
                    )
                )
    finally:
        engine.dispose()
    return created["client_id"], created["client_secret"], minted


@contextmanager
def fedcore_server(
    database_url: str, workdir: Path, workers: int, tokens_needed: int
) -> Iterator[Target]:
    port = free_port()
    settings = fedcore_settings(database_url, workdir, port)
    client_id, secret, minted = prepare_fedcore(settings, workdir, tokens_needed)
    command = [
        sys.executable,
        "-m",
        "fedcore",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    log = workdir / "fedcore.log"
    database = database_pids(database_url)
    with process(command, fedcore_env(settings), workdir, log) as proc:
        wait_until_up(proc, port, "/health", log)
        yield Target(
            name="fedcore",
            pids=[proc.pid, *database],
            notes=[
                "CPU: uvicorn's processes"
                + (f" and the database server's (pid {database})" if database else "")
            ],
            token_url=f"http://127.0.0.1:{port}/oidc/token",
            client_id=client_id,
            client_secret=secret,
            cc_scope=FEDCORE_CC_SCOPE,
            refresh_tokens=minted,
        )


@contextmanager
def node_server(workdir: Path, tokens_needed: int) -> Iterator[Target]:
    port = free_port()
    secret = secrets.token_urlsafe(36)  # 48 characters, as in peers.md
    token_file = workdir / "node-refresh-tokens.txt"
    defaults = Settings(_env_file=None)
    env = {
        **os.environ,
        "NODE_ENV": "production",
        "PORT": str(port),
        "CLIENT_ID": "bench",
        "CLIENT_SECRET": secret,
        "REFRESH_TOKENS": str(tokens_needed),
        "REFRESH_TOKEN_FILE": str(token_file),
        "ACCESS_TOKEN_TTL": str(defaults.access_token_lifetime),
        "REFRESH_TOKEN_TTL": str(defaults.refresh_token_lifetime),
    }
    log = workdir / "node.log"
    with process(["node", str(PEER_DIR / "server.mjs")], env, PEER_DIR, log) as proc:
        wait_until_up(proc, port, "/.well-known/openid-configuration", log)
        yield Target(
            name="node",
            pids=[proc.pid],
            token_url=f"http://127.0.0.1:{port}/token",
            client_id="bench",
            client_secret=secret,
            cc_scope=NODE_CC_SCOPE,
            refresh_tokens=token_file.read_text().split(),
        )


# --- checking the answers -------------------------------------------------------------------


def post_token(target: Target, body: str) -> dict[str, Any]:
    host, port = target.token_url.split("//")[1].split("/")[0].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {
        "Authorization": target.authorization,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    conn.request("POST", "/" + target.token_url.split("/", 3)[3], body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{target.name}: HTTP {response.status}: {data[:300]!r}")
    return dict(json.loads(data))


def jwt_header(token: str) -> dict[str, Any]:
    part = token.split(".")[0]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def check_answers(target: Target) -> None:
    """One grant of each kind before the load: the access tokens are what the table claims."""
    cc = post_token(target, target.cc_body)
    refreshed = post_token(
        target, f"grant_type=refresh_token&refresh_token={target.take_tokens(1)[0]}"
    )
    for grant, answer in ((CLIENT_CREDENTIALS, cc), (REFRESH, refreshed)):
        header = jwt_header(answer["access_token"])
        if header.get("typ") != "at+jwt" or header.get("alg") != "RS256" or not header.get("kid"):
            raise RuntimeError(f"{target.name} {grant}: access token header {header}")
        fields = sorted(k for k in answer if k != "token_type")
        target.notes.append(f"{grant}: {', '.join(fields)}; access token {header}")
    if "refresh_token" not in refreshed or "id_token" not in refreshed:
        raise RuntimeError(f"{target.name}: a refresh answered {sorted(refreshed)}")


# --- measuring ------------------------------------------------------------------------------


def process_trees(roots: list[int]) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int(_stat_fields(int(entry.name))[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _stat_fields(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name: [0] is state, [1] ppid, [11]
    utime and [12] stime in clock ticks."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()


def cpu_ticks(roots: list[int]) -> dict[int, int]:
    ticks = {}
    for pid in process_trees(roots):
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


def machine_busy_ticks() -> int:
    """All CPUs' busy time (everything but idle and iowait) from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return sum(values) - values[3] - values[4]


@dataclass
class Run:
    target: str
    grant: str
    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    server_cores: float
    wrk_cores: float
    other_cores: float
    errors: dict[str, int]
    first_error: str
    warmup: bool = False

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms(self) -> float:
        """Milliseconds of server CPU per grant."""
        return 1000 * self.server_cores / self.rps if self.rps else math.inf

    @property
    def failed(self) -> bool:
        return any(self.errors.values())


def run_wrk(target: Target, grant: str, connections: int, seconds: float, workdir: Path) -> Run:
    if grant == CLIENT_CREDENTIALS:
        argument = target.cc_body
    else:
        argument = str(workdir / f"{target.name}-tokens.txt")
        Path(argument).write_text("\n".join(target.take_tokens(connections)) + "\n")
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        target.token_url,
        "--",
        grant,
        target.authorization,
        argument,
    ]
    server_before = cpu_ticks(target.pids)
    busy_before = machine_busy_ticks()
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.monotonic() - started
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = (machine_busy_ticks() - busy_before) / CLOCK_TICKS
    server_after = cpu_ticks(target.pids)
    lines = [line for line in done.stdout.splitlines() if line.startswith("AAI_RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
    result = json.loads(lines[0].removeprefix("AAI_RESULT "))
    server = sum(t - server_before.get(pid, 0) for pid, t in server_after.items()) / CLOCK_TICKS
    wrk = (wrk_after.ru_utime + wrk_after.ru_stime) - (wrk_before.ru_utime + wrk_before.ru_stime)
    errors = {
        name: int(result[name])
        for name in ("non200", "no_refresh_token", "connect", "read", "write", "timeout")
    }
    return Run(
        target=target.name,
        grant=grant,
        connections=connections,
        requests=int(result["requests"]),
        seconds=result["duration_us"] / 1e6,
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        server_cores=server / wall,
        wrk_cores=wrk / wall,
        other_cores=max(0.0, busy - server - wrk) / wall,
        errors=errors,
        first_error=str(result["first_error"]),
    )


def tokens_needed(runs: int) -> int:
    """Refresh tokens a server spends: the answer check, the warm-up, every measured run."""
    return 1 + WARMUP_CONNECTIONS + runs * sum(CONCURRENCY)


def measure(
    targets: list[Target], duration: float, warmup: float, runs: int, workdir: Path
) -> list[Run]:
    measured: list[Run] = []
    for grant in GRANTS:
        for target in targets:
            print(f"warm-up: {target.name} {grant}, {warmup:g} s", file=sys.stderr)
            warm = run_wrk(target, grant, WARMUP_CONNECTIONS, warmup, workdir)
            warm.warmup = True
            measured.append(warm)
        for repeat in range(runs):
            for connections in CONCURRENCY:
                # the servers take turns; the order alternates between repeats
                for target in targets if repeat % 2 == 0 else targets[::-1]:
                    run = run_wrk(target, grant, connections, duration, workdir)
                    print(
                        f"{target.name:8} {grant:18} c={connections:<3} {run.rps:8.0f} req/s"
                        + ("  ERRORS" if run.failed else ""),
                        file=sys.stderr,
                    )
                    measured.append(run)
    return measured


# --- the report -----------------------------------------------------------------------------


def median_run(runs: list[Run]) -> Run:
    """The run with the median req/s (the lower middle one for an even count)."""
    ordered = sorted(runs, key=lambda r: r.rps)
    return ordered[(len(ordered) - 1) // 2]


def geometric_mean(values: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else math.nan


def report(measured: list[Run], targets: list[Target], database: str, args: Any) -> int:
    print(
        f"\n## AAI token endpoint: fedcore ({database}, {args.fedcore_workers} uvicorn workers) "
        f"vs node-oidc-provider (1 process)"
    )
    print(
        f"   {versions()}; wrk -t1, keep-alive, {args.duration:g} s per row after a "
        f"{args.warmup:g} s warm-up at c={WARMUP_CONNECTIONS}; median of {args.runs} run(s)"
    )
    for target in targets:
        for note in target.notes:
            print(f"   {target.name} {note}")
    header = (
        f"{'grant':18} {'conc':>4} | {'fedcore req/s':>13} {'p50/p99 ms':>13} {'CPU':>5} | "
        f"{'node req/s':>10} {'p50/p99 ms':>13} {'CPU':>5} | {'ratio':>5} | other"
    )
    print(header)
    print("-" * len(header))
    ratios: dict[str, list[float]] = {grant: [] for grant in GRANTS}
    cpu_ratios: dict[str, list[float]] = {grant: [] for grant in GRANTS}
    best_cc_per_core = 0.0
    disturbed = False
    for grant in GRANTS:
        for connections in CONCURRENCY:
            pair = {}
            for name in ("fedcore", "node"):
                runs = [
                    r
                    for r in measured
                    if not r.warmup
                    and (r.target, r.grant, r.connections) == (name, grant, connections)
                ]
                pair[name] = median_run(runs)
            fed, node = pair["fedcore"], pair["node"]
            ratio = fed.rps / node.rps if node.rps else math.nan
            if fed.rps and node.rps:
                ratios[grant].append(ratio)
                cpu_ratios[grant].append(node.cpu_ms / fed.cpu_ms)
            other = max(fed.other_cores, node.other_cores)
            disturbed |= other > OTHER_LOAD_WARNING
            if grant == CLIENT_CREDENTIALS and fed.server_cores > 0:
                best_cc_per_core = max(best_cc_per_core, fed.rps / fed.server_cores)
            print(
                f"{grant:18} {connections:>4} | {fed.rps:>13,.0f} "
                f"{f'{fed.p50_ms:.1f}/{fed.p99_ms:.1f}':>13} {fed.server_cores:>5.0%} | "
                f"{node.rps:>10,.0f} {f'{node.p50_ms:.1f}/{node.p99_ms:.1f}':>13} "
                f"{node.server_cores:>5.0%} | {ratio:>5.2f} | {other:.0%}"
                + ("  DISTURBED" if other > OTHER_LOAD_WARNING else "")
                + ("  ERRORS" if fed.failed or node.failed else "")
            )
    print()
    for grant in GRANTS:
        mean = geometric_mean(ratios[grant])
        verdict = "meets" if mean >= AIM_RATIO else "MISSES"
        print(
            f"geometric-mean ratio fedcore/node, {grant}: {mean:.2f}x "
            f"({verdict} the aim of {AIM_RATIO}x); per second of server CPU: "
            f"{geometric_mean(cpu_ratios[grant]):.2f}x"
        )
    print(
        f"reference: Keycloak's published sizing is {KEYCLOAK_CC_PER_VCPU} client-credentials "
        f"grants/s per vCPU; fedcore here: {best_cc_per_core:,.0f} per core of server CPU "
        f"(best row, req/s / server CPU) = {best_cc_per_core / KEYCLOAK_CC_PER_VCPU:.1f}x"
    )
    if disturbed:
        print(
            f"WARNING: other processes used more than {OTHER_LOAD_WARNING:.0%} of a core during "
            "rows marked DISTURBED; repeat on a quiet machine"
        )
    failed = [r for r in measured if r.failed]
    for run in failed:
        print(
            f"ERRORS: {run.target} {run.grant} c={run.connections}"
            + (" (warm-up)" if run.warmup else "")
            + ": "
            + ", ".join(f"{k} {v}" for k, v in run.errors.items() if v)
            + f"; first: {run.first_error}"
        )
    if failed:
        print("THE BENCHMARK HAD ERRORS: its figures are not valid")
        return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per row")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of warm-up per grant")
    parser.add_argument("--runs", type=int, default=1, help="runs per row (the median is shown)")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--database-url", default="", help="an existing, empty database instead of --db"
    )
    parser.add_argument("--fedcore-workers", type=int, default=2)
    args = parser.parse_args()
    configure_logging("WARNING", "console")
    ensure_tools()
    needed = tokens_needed(args.runs)
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fedcore-aai-")))
        if args.database_url:
            url, database = args.database_url, make_url(args.database_url).get_backend_name()
        elif args.db == "postgresql":
            url, database = stack.enter_context(postgres_cluster()), "PostgreSQL"
        else:
            url, database = f"sqlite:///{workdir / 'fedcore.sqlite'}", "SQLite"
        targets = [
            stack.enter_context(fedcore_server(url, workdir, args.fedcore_workers, needed)),
            stack.enter_context(node_server(workdir, needed)),
        ]
        for target in targets:
            check_answers(target)
        measured = measure(targets, args.duration, args.warmup, args.runs, workdir)
    sys.exit(report(measured, targets, database, args))


if __name__ == "__main__":
    main()
