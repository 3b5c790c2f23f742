"""UserInfo throughput with live entitlements: a person in 50 groups with 5 roles each.

Issue 5 aims at 1,000 userinfo requests per second on this machine for a user in 50 groups
with 5 roles each, the entitlements computed at request time (an approval shows at once, so
nothing is cached). There is no peer to run side by side: node-oidc-provider (the peer of
``benchmarks/aai_tokens.py``) has no groups, roles or AARC-G069 entitlements, so its userinfo
would answer from a static account and measure something else; the figures are set against
the aim instead.

What it does, in a fresh data directory: ``fedcore db upgrade``; a client with ``fedcore aai
client create``; through the service functions, 10 active VOs each with 4 subgroups (50
groups), 4 roles besides ``member`` on each group, one person who is a member of all 50 with all
5 roles (250 group entitlements), and one access token for ``openid eduperson_entitlement``
(``tokens.create_grant`` + ``tokens.issue_access_token``, as a code login leaves it). Then
``fedcore serve --workers 2``; the first userinfo answer is checked (250 group entitlements)
before ``wrk`` (one thread, keep-alive) sends ``GET /oidc/userinfo`` with the bearer token at
1, 8 and 32 connections for ``--duration`` seconds each, after a warm-up at 8. Server CPU,
"other" and the error rules are those of ``aai_tokens`` (its helpers are reused).

    .venv/bin/python -m benchmarks.aai_userinfo [--duration 10] [--warmup 3] [--db postgresql]
"""

from __future__ import annotations

import argparse
import http.client
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select
from tests.support.postgres import postgres_cluster

from benchmarks.aai_tokens import (
    CLOCK_TICKS,
    OTHER_LOAD_WARNING,
    Run,
    cpu_ticks,
    database_pids,
    fedcore_cli,
    fedcore_env,
    fedcore_settings,
    free_port,
    machine_busy_ticks,
    process,
    wait_until_up,
)
from fedcore.core.config import Settings
from fedcore.core.db import make_engine, make_sessionmaker, session_scope
from fedcore.core.logging import configure_logging

CONCURRENCY = (1, 8, 32)
WARMUP_CONNECTIONS = 8
VOS = 10
SUBGROUPS = 4  # per VO, besides its root group: 10 x (1 + 4) = 50 groups
EXTRA_ROLES = ("vm_operator", "data_manager", "reviewer", "pilot")  # + member = 5 roles
EXPECTED_ENTITLEMENTS = VOS * (1 + SUBGROUPS) * (1 + len(EXTRA_ROLES))
SCOPE = "openid eduperson_entitlement"
AIM_RPS = 1000  # issue 5
OPERATOR = "benchmark-operator"

LUA = """\
-- GET with a fixed bearer token; done() prints one AAI_RESULT line for the harness.
non200 = 0
first_error = ""
local threads = {}

function init(args)
  wrk.headers["Authorization"] = "Bearer " .. args[1]
end

function response(status, _, body)
  if status ~= 200 then
    non200 = non200 + 1
    if first_error == "" then
      first_error = status .. " " .. body:sub(1, 300)
    end
  end
end

function setup(thread)
  threads[#threads + 1] = thread
end

function done(summary, latency, _)
  local bad, first = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non200")
    if first == "" then
      first = thread:get("first_error")
    end
  end
  first = first:gsub("[\\\\\\"]", "'"):gsub("%c", " ")
  local e = summary.errors
  io.write(string.format(
    'AAI_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"connect": %d, "read": %d, "write": %d, "timeout": %d, "non200": %d, '
      .. '"first_error": "%s"}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, bad, first
  ))
end
"""


@dataclass
class Target:
    pids: list[int]
    url: str
    token: str
    script: Path


def ensure_wrk() -> None:
    """wrk from Debian (scripts/lib.sh ``apt_need``)."""
    if subprocess.run(["bash", "-c", "command -v wrk"], capture_output=True).returncode != 0:
        subprocess.run(["bash", "-c", '. scripts/lib.sh && apt_need "$@"', "-", "wrk"], check=True)


def prepare(settings: Settings, workdir: Path) -> str:
    """Schema, client, signing key, the community and the person; returns the access token."""
    from fedcore.aai.models import Client
    from fedcore.aai.schemas_vo import VoCreate
    from fedcore.aai.service import accounts, groups, keys, memberships, tokens, vos
    from fedcore.core.security import Principal

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
            "code",
            "--redirect-uri",
            "http://127.0.0.1/cb",
            "--scope",
            SCOPE,
        ],
        env,
        workdir,
    )
    client_id = json.loads(out.strip().splitlines()[-1])["client_id"]
    operator = Principal(subject=OPERATOR, is_admin=True)
    engine = make_engine(settings.effective_database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            keys.rotate_keys(session=session, settings=settings)
            account = accounts.sign_up(
                session=session,
                settings=settings,
                email="bench@example.test",
                password="benchmark-password-not-secret",  # noqa: S106
                given_name="Bench",
                family_name="Mark",
                accept_aup=True,
            )
            roles = ["member", *EXTRA_ROLES]
            for v in range(VOS):
                name = f"vo{v}.bench.test"
                vos.register_vo(session=session, actor=operator, data=VoCreate(name=name))
                tree = [groups.get_group(session=session, path=name)]
                for s in range(SUBGROUPS):
                    path = f"{name}/sub{s}"
                    tree.append(groups.create_group(session=session, actor=operator, path=path))
                for group in tree:
                    for role in EXTRA_ROLES:
                        groups.add_role(session=session, actor=operator, group=group, name=role)
                    memberships.add_member(
                        session=session,
                        actor=operator,
                        group=group,
                        subject=account.voperson_id,
                        roles=roles,
                    )
            client = session.scalars(select(Client).where(Client.client_id == client_id)).one()
            grant = tokens.create_grant(
                session=session, client=client, account=account, scope=SCOPE, source="code"
            )
            token, _ = tokens.issue_access_token(
                session=session,
                settings=settings,
                client=client,
                grant=grant,
                subject=account.voperson_id,
                scope=SCOPE,
            )
    finally:
        engine.dispose()
    return token


@contextmanager
def server(database_url: str, workdir: Path, workers: int) -> Iterator[Target]:
    port = free_port()
    settings = fedcore_settings(database_url, workdir, port)
    token = prepare(settings, workdir)
    script = workdir / "userinfo.lua"
    script.write_text(LUA)
    command = [sys.executable, "-m", "fedcore", "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    log = workdir / "fedcore.log"
    with process(command, fedcore_env(settings), workdir, log) as proc:
        wait_until_up(proc, port, "/health", log)
        yield Target(
            pids=[proc.pid, *database_pids(database_url)],
            url=f"http://127.0.0.1:{port}/oidc/userinfo",
            token=token,
            script=script,
        )


def check_answer(target: Target) -> None:
    url = urlsplit(target.url)
    conn = http.client.HTTPConnection(url.netloc, timeout=10)
    conn.request("GET", url.path, headers={"Authorization": f"Bearer {target.token}"})
    answer = conn.getresponse()
    body = answer.read()
    if answer.status != 200:
        raise RuntimeError(f"userinfo answered {answer.status}: {body[:500]!r}")
    values = json.loads(body).get("eduperson_entitlement", [])
    found = sum(1 for value in values if ":group:" in value)
    if found != EXPECTED_ENTITLEMENTS:
        raise RuntimeError(
            f"userinfo released {found} group entitlements, not {EXPECTED_ENTITLEMENTS}"
        )


def run_wrk(target: Target, connections: int, seconds: float) -> Run:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s"]
    command += ["-s", str(target.script), target.url, "--", target.token]
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
    server_s = sum(t - server_before.get(pid, 0) for pid, t in server_after.items()) / CLOCK_TICKS
    wrk_s = (wrk_after.ru_utime + wrk_after.ru_stime) - (wrk_before.ru_utime + wrk_before.ru_stime)
    return Run(
        target="fedcore",
        grant="userinfo",
        connections=connections,
        requests=int(result["requests"]),
        seconds=result["duration_us"] / 1e6,
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        server_cores=server_s / wall,
        wrk_cores=wrk_s / wall,
        other_cores=max(0.0, busy - server_s - wrk_s) / wall,
        errors={k: int(result[k]) for k in ("non200", "connect", "read", "write", "timeout")},
        first_error=str(result["first_error"]),
    )


def report(runs: list[Run], warm: Run, database: str, args: argparse.Namespace) -> int:
    print(
        f"\n## AAI userinfo: fedcore ({database}, {args.workers} uvicorn workers), "
        f"{EXPECTED_ENTITLEMENTS} group entitlements computed per request"
    )
    print(
        f"   a person in {VOS * (1 + SUBGROUPS)} groups x {1 + len(EXTRA_ROLES)} roles; "
        f"wrk -t1, keep-alive, {args.duration:g} s per row after a {args.warmup:g} s warm-up "
        f"at c={WARMUP_CONNECTIONS}; no peer (node-oidc-provider has no groups or entitlements)"
    )
    header = f"{'conc':>4} | {'req/s':>7} {'p50/p99 ms':>13} {'CPU':>5} | other"
    print(header)
    print("-" * len(header))
    disturbed = False
    for run in runs:
        disturbed |= run.other_cores > OTHER_LOAD_WARNING
        print(
            f"{run.connections:>4} | {run.rps:>7,.0f} "
            f"{f'{run.p50_ms:.1f}/{run.p99_ms:.1f}':>13} {run.server_cores:>5.0%} | "
            f"{run.other_cores:.0%}"
            + ("  DISTURBED" if run.other_cores > OTHER_LOAD_WARNING else "")
            + ("  ERRORS" if run.failed else "")
        )
    best = max(run.rps for run in runs)
    verdict = "meets" if best >= AIM_RPS else "MISSES"
    print(f"\nbest: {best:,.0f} req/s ({verdict} the aim of {AIM_RPS:,}/s)")
    if disturbed:
        print(
            f"WARNING: other processes used more than {OTHER_LOAD_WARNING:.0%} of a core during "
            "rows marked DISTURBED; repeat on a quiet machine"
        )
    failed = [run for run in [warm, *runs] if run.failed]
    for run in failed:
        errors = ", ".join(f"{k} {v}" for k, v in run.errors.items() if v)
        where = "warm-up" if run is warm else f"c={run.connections}"
        print(f"ERRORS: {where}: {errors}; first: {run.first_error}")
    if failed:
        print("THE BENCHMARK HAD ERRORS: its figures are not valid")
        return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per row")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    args = parser.parse_args()
    configure_logging("WARNING", "console")
    ensure_wrk()
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fedcore-ui-")))
        if args.db == "postgresql":
            url, database = stack.enter_context(postgres_cluster()), "PostgreSQL"
        else:
            url, database = f"sqlite:///{workdir / 'fedcore.sqlite'}", "SQLite"
        target = stack.enter_context(server(url, workdir, args.workers))
        check_answer(target)
        print(f"warm-up: {args.warmup:g} s", file=sys.stderr)
        warm = run_wrk(target, WARMUP_CONNECTIONS, args.warmup)
        runs = [run_wrk(target, c, args.duration) for c in CONCURRENCY]
    sys.exit(report(runs, warm, database, args))


if __name__ == "__main__":
    main()
