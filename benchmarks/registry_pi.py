"""GOCDB read PI at federation scale, over HTTP, on PostgreSQL and SQLite.

Builds a federation of 500 sites in 12 NGIs, 12,000 services of 20 types (about 1.5 endpoints
each, scopes, a few extension properties) and 20,000 downtimes over two years with SQLAlchemy
Core bulk inserts; starts a real ``fedcore serve`` (uvicorn, one worker) on it; and measures,
from a pool of keep-alive ``http.client`` connections on the loopback:

* ``get_site&scope=``                         (every site)
* ``get_service_endpoint&scope=``             (the full dump)
* ``get_service_endpoint&hostname=...``       (filtered; default scope)
* ``get_service_endpoint&sitename=...``
* ``get_service_endpoint&service_type=...``   (cycles through every type)
* ``get_downtime&windowstart=..&windowend=..&scope=``  (a one-month window)

and prints, per database, requests/s, p50/p99 latency, the first (cold) request, the mean
response size and item count, and each figure against the issue's aims (full
``get_service_endpoint`` dump under 1 s; filtered queries p50 under 20 ms).

Run from the repository root (a few minutes; every case stops at its request count or time cap):

    .venv/bin/python -m benchmarks.registry_pi [--db sqlite|postgresql|both] [--concurrency 1]

Latency is measured with ``--concurrency`` clients (1 by default: no queueing, so requests/s is
the single-client rate). The server logs at WARNING so that its per-request access log does not
dominate the terminal; PostgreSQL is ANALYZEd after the load, as autovacuum would.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import Engine, Table, insert, text
from tests.support.postgres import postgres_cluster

from fedcore.core.db import Base, make_engine, make_sessionmaker
from fedcore.core.security import create_api_token
from fedcore.migrations import alembic_config

SITES = 500
SERVICES = 12_000
DOWNTIMES = 20_000
NGIS = [
    f"NGI_{c}" for c in ("DE", "FR", "IT", "UK", "NL", "ES", "PL", "CZ", "GR", "CH", "SI", "SE")
]
COUNTRIES = [
    ("DE", "Germany"),
    ("FR", "France"),
    ("IT", "Italy"),
    ("GB", "United Kingdom"),
    ("NL", "Netherlands"),
    ("ES", "Spain"),
    ("PL", "Poland"),
    ("CZ", "Czechia"),
    ("GR", "Greece"),
    ("CH", "Switzerland"),
    ("SI", "Slovenia"),
    ("SE", "Sweden"),
]
# (service type, relative frequency): compute and storage dominate, as in EGI.
SERVICE_TYPES = [
    ("CREAM-CE", 14),
    ("ARC-CE", 14),
    ("HTCondorCE", 10),
    ("SRM", 12),
    ("webdav", 8),
    ("XRootD", 8),
    ("Site-BDII", 5),
    ("Top-BDII", 1),
    ("gLite-APEL", 5),
    ("APEL", 3),
    ("org.openstack.nova", 3),
    ("org.openstack.swift", 2),
    ("eu.egi.cloud.accounting", 2),
    ("egi.aai.oidc", 1),
    ("eu.egi.storage.accounting", 2),
    ("globus-GRIDFTP", 4),
    ("ngi.ARGUS", 2),
    ("squid", 3),
    ("perfSONAR", 1),
    ("org.squid-cache.Squid", 1),
]
SCOPES = ["EGI", "Local", "wlcg", "FedCloud", "atlas", "cms"]
PROPERTY_KEYS = ["VO", "ARGO_TENANT", "GLUE2ComputingShareMaxCPUTime", "Tier", "HEPSPEC", "Owner"]
Row = dict[str, Any]
CLIENT = "benchmark@fedcore.test"
WINDOW_DAYS = 30
FULL_DUMP_BUDGET_S = 1.0  # issue aim: the full get_service_endpoint dump in under 1 s
FILTERED_BUDGET_S = 0.020  # issue aim: filtered queries p50 under 20 ms


# --- building the federation ----------------------------------------------------------------


def _rows(table: Table, rows: list[dict[str, Any]], conn: Any, chunk: int = 5000) -> None:
    for start in range(0, len(rows), chunk):
        conn.execute(insert(table), rows[start : start + chunk])


def build(engine: Engine, now: datetime, seed: int = 42) -> dict[str, Any]:
    """Create the schema (stamped at the migration head, as ``fedcore serve`` expects) and
    bulk-load the federation; returns what the queries need (names, a bearer token)."""
    import fedcore.core.models
    import fedcore.registry.models  # noqa: F401  (register the tables)

    rng = random.Random(seed)
    Base.metadata.create_all(engine)
    command.stamp(alembic_config(engine.url.render_as_string(hide_password=False)), "head")
    t = {name: Base.metadata.tables[f"registry_{name}"] for name in _TABLES}
    out: dict[str, Any] = {}
    with engine.begin() as conn:
        _rows(t["scope"], [{"id": i + 1, "name": n} for i, n in enumerate(SCOPES)], conn)
        _rows(t["project"], [{"id": 1, "name": "EGI"}], conn)
        _rows(
            t["country"],
            [{"id": i + 1, "code": c, "name": n} for i, (c, n) in enumerate(COUNTRIES)],
            conn,
        )
        ngis = [
            {"id": i + 1, "name": n, "email": f"ops@{n.lower()}.example"}
            for i, n in enumerate(NGIS)
        ]
        _rows(t["ngi"], ngis, conn)
        _rows(t["project_ngi"], [{"project_id": 1, "ngi_id": n["id"]} for n in ngis], conn)
        _rows(t["ngi_scope"], [{"ngi_id": n["id"], "scope_id": 1} for n in ngis], conn)

        statuses = ["Certified"] * 14 + ["Closed", "Uncertified", "Suspended", "Candidate"]
        sites, site_scopes, site_props = [], [], []
        for i in range(1, SITES + 1):
            ngi = (i - 1) % len(NGIS)
            sites.append(
                {
                    "id": i,
                    "primary_key": f"{i}G0",
                    "short_name": f"SITE-{i:03d}",
                    "official_name": f"Research Site {i}",
                    "email": f"admin@site{i}.example",
                    "domain": f"site{i}.example",
                    "infrastructure": "Production" if rng.random() < 0.9 else "Test",
                    "certification_status": rng.choice(statuses),
                    "ngi_id": ngi + 1,
                    "country_id": ngi + 1,
                    "latitude": rng.uniform(35, 65),
                    "longitude": rng.uniform(-10, 30),
                }
            )
            site_scopes += [{"site_id": i, "scope_id": s} for s in _scopes(rng, 0.95)]
            site_props += _props(rng, i, 0.3)
        _rows(t["site"], sites, conn)
        _rows(t["site_scope"], site_scopes, conn)
        _rows(t["site_property"], site_props, conn)

        names = [n for n, _ in SERVICE_TYPES]
        weights = [w for _, w in SERVICE_TYPES]
        _rows(
            t["service_type"],
            [{"id": i + 1, "name": n, "description": f"{n} service"} for i, n in enumerate(names)],
            conn,
        )
        services: list[Row] = []
        endpoints: list[Row] = []
        service_scopes, service_props, endpoint_props = [], [], []
        by_site: dict[int, list[int]] = {}
        endpoints_of: dict[int, list[int]] = {}
        for i in range(1, SERVICES + 1):
            site = rng.randint(1, SITES)
            type_id = rng.choices(range(1, len(names) + 1), weights)[0]
            host = f"{names[type_id - 1].lower().replace('.', '-')}{i}.site{site}.example"
            production = rng.random() < 0.85
            services.append(
                {
                    "id": i,
                    "hostname": host,
                    "description": f"{names[type_id - 1]} at SITE-{site:03d}",
                    "url": f"https://{host}/",
                    "host_dn": f"/DC=org/DC=example/CN={host}",
                    "production": production,
                    "monitored": production or rng.random() < 0.5,
                    "site_id": site,
                    "service_type_id": type_id,
                }
            )
            by_site.setdefault(site, []).append(i)
            service_scopes += [{"service_id": i, "scope_id": s} for s in _scopes(rng, 0.9)]
            service_props += _props(rng, i, 0.25)
            for n in range(1 if rng.random() < 0.5 else 2):
                endpoint_id = len(endpoints) + 1
                endpoints.append(
                    {
                        "id": endpoint_id,
                        "name": f"{host}-{n}",
                        "url": f"https://{host}:{8443 + n}/",
                        "interface_name": names[type_id - 1],
                        "monitored": True,
                        "service_id": i,
                    }
                )
                endpoints_of.setdefault(i, []).append(endpoint_id)
                endpoint_props += _props(rng, endpoint_id, 0.2)
        _rows(t["service"], services, conn)
        _rows(t["service_scope"], service_scopes, conn)
        _rows(t["service_property"], service_props, conn)
        _rows(t["endpoint"], endpoints, conn)
        _rows(t["endpoint_property"], endpoint_props, conn)

        downtimes: list[Row] = []
        dt_services, dt_endpoints = [], []
        for i in range(1, DOWNTIMES + 1):
            first = rng.randint(1, SERVICES)
            site = int(services[first - 1]["site_id"])
            affected = {
                first,
                *rng.sample(by_site[site], min(len(by_site[site]), rng.randint(0, 2))),
            }
            start = now + timedelta(minutes=rng.randint(-700 * 1440, 60 * 1440))
            length = rng.choice(
                [timedelta(hours=rng.randint(1, 12))] * 14
                + [timedelta(days=rng.randint(1, 5))] * 5
                + [timedelta(days=rng.randint(7, 30))]
            )
            notice = timedelta(hours=rng.randint(0, 168))
            downtimes.append(
                {
                    "id": i,
                    "primary_key": f"{SITES + i}G0",
                    "description": f"Intervention {i}",
                    "severity": "OUTAGE" if rng.random() < 0.6 else "WARNING",
                    "classification": "SCHEDULED"
                    if notice >= timedelta(hours=24)
                    else "UNSCHEDULED",
                    "inserted_at": start - notice,
                    "start_at": start,
                    "end_at": start + length,
                    "declared_by": "benchmark",
                    "site_id": site,
                }
            )
            dt_services += [{"downtime_id": i, "service_id": s} for s in sorted(affected)]
            dt_endpoints += [
                {"downtime_id": i, "endpoint_id": e}
                for s in sorted(affected)
                for e in endpoints_of[s]
            ]
        _rows(t["downtime"], downtimes, conn)
        _rows(t["downtime_service"], dt_services, conn)
        _rows(t["downtime_endpoint"], dt_endpoints, conn)
        _rows(t["counter"], [{"name": "primary_key", "value": SITES + DOWNTIMES}], conn)
        # get_site is a level-3 method: the client is a registered user.
        _rows(t["user"], [{"id": 1, "subject": CLIENT, "email": CLIENT}], conn)
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))

    with make_sessionmaker(engine)() as session:
        _, out["token"] = create_api_token(session=session, subject=CLIENT)
        session.commit()
    out["hostnames"] = [s["hostname"] for s in rng.sample(services, 200)]
    out["sitenames"] = [s["short_name"] for s in rng.sample(sites, 100)]
    out["service_types"] = names
    out["counts"] = {
        "sites": len(sites),
        "services": len(services),
        "endpoints": len(endpoints),
        "downtimes": len(downtimes),
        "extension properties": len(site_props) + len(service_props) + len(endpoint_props),
    }
    return out


_TABLES = [
    "scope",
    "project",
    "country",
    "ngi",
    "project_ngi",
    "ngi_scope",
    "site",
    "site_scope",
    "site_property",
    "service_type",
    "service",
    "service_scope",
    "service_property",
    "endpoint",
    "endpoint_property",
    "downtime",
    "downtime_service",
    "downtime_endpoint",
    "counter",
    "user",
]


def _scopes(rng: random.Random, egi: float) -> list[int]:
    """Scope ids: EGI (id 1) with probability ``egi``, plus up to two others."""
    chosen = [1] if rng.random() < egi else []
    return chosen + sorted(rng.sample(range(2, len(SCOPES) + 1), rng.choice([0, 0, 1, 2])))


def _props(rng: random.Random, parent: int, share: float) -> list[dict[str, Any]]:
    if rng.random() >= share:
        return []
    keys = rng.sample(PROPERTY_KEYS, rng.randint(1, 3))
    return [
        {"parent_id": parent, "key": k, "value": f"{k.lower()}-{rng.randint(1, 9)}"} for k in keys
    ]


# --- the server and the client --------------------------------------------------------------


@contextmanager
def server(database_url: str, workdir: Path) -> Iterator[int]:
    """A real ``fedcore serve`` on a free loopback port; yields the port."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {
        **os.environ,
        "FEDCORE_DATABASE_URL": database_url,
        "FEDCORE_DATA_DIR": str(workdir),
        "FEDCORE_SECRET_KEY": "benchmark-only-secret",
        "FEDCORE_LOG_LEVEL": "WARNING",
        "FEDCORE_BASE_URL": f"http://127.0.0.1:{port}",
    }
    log = (workdir / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "fedcore", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"fedcore serve did not start:\n{(workdir / 'server.log').read_text()[-3000:]}"
                )
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield port
    except BaseException:
        print(
            f"server log (tail):\n{(workdir / 'server.log').read_text()[-3000:]}", file=sys.stderr
        )
        raise
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@dataclass
class Case:
    name: str
    paths: list[str]
    requests: int
    time_cap_s: float
    budget_s: float | None = None
    item: bytes = b""
    auth: bool = False


@dataclass
class Result:
    case: Case
    latencies: list[float] = field(default_factory=list)
    first_s: float = 0.0
    wall_s: float = 0.0
    sizes: list[int] = field(default_factory=list)
    items: list[int] = field(default_factory=list)
    failures: int = 0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


class Client:
    """One keep-alive connection per thread; the bearer token only where a case needs one."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.local = threading.local()

    def get(self, path: str, *, auth: bool) -> tuple[float, bytes | None]:
        """Latency and body; ``None`` for the body if the server failed (HTTP 5xx, or it broke
        the connection), which the report counts. Any other answer than 200 stops the run.

        A kept-alive connection the server closed while it was idle (uvicorn's keep-alive
        timeout is 5 s) is reopened once and the request sent again, uncounted."""
        headers = {"Authorization": f"Bearer {self.token}"} if auth else {}
        for attempt in (1, 2):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=300
                )
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                break
            except (ConnectionError, http.client.HTTPException):
                conn.close()
                self.local.conn = None
                if attempt == 2:
                    return time.perf_counter() - started, None
        elapsed = time.perf_counter() - started
        if response.status >= 500:
            return elapsed, None
        if response.status != 200 or b"<error>" in body[:500]:
            raise RuntimeError(f"{path}: HTTP {response.status}: {body[:300]!r}")
        return elapsed, body


def run_case(client: Client, case: Case, concurrency: int) -> Result:
    result = Result(case)
    for path in (case.paths[0], case.paths[1 % len(case.paths)]):  # cold request, warm-up
        for _attempt in range(3):
            elapsed, body = client.get(path, auth=case.auth)
            if body is not None:
                break
            result.failures += 1
        result.first_s = result.first_s or elapsed
    deadline = time.monotonic() + case.time_cap_s
    lock = threading.Lock()
    counter = iter(range(case.requests))

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            elapsed, body = client.get(case.paths[i % len(case.paths)], auth=case.auth)
            with lock:
                if body is None:
                    result.failures += 1
                    continue
                result.latencies.append(elapsed)
                result.sizes.append(len(body))
                result.items.append(body.count(case.item) if case.item else 0)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(worker) for _ in range(concurrency)]:
            future.result()
    result.wall_s = time.perf_counter() - started
    return result


def cases(data: dict[str, Any], now: datetime, scale: float) -> list[Case]:
    pi = "/gocdbpi/public/?method="
    window_end = (now - timedelta(days=15)).date()
    window_start = window_end - timedelta(days=WINDOW_DAYS - 1)

    def n(count: int) -> int:
        return max(3, int(count * scale))

    return [
        Case("get_site scope=", [f"{pi}get_site&scope="], n(30), 60, item=b"<SITE ", auth=True),
        Case(
            "get_service_endpoint scope= (full)",
            [f"{pi}get_service_endpoint&scope="],
            n(10),
            90,
            FULL_DUMP_BUDGET_S,
            b"<SERVICE_ENDPOINT ",
        ),
        Case(
            "get_service_endpoint hostname=",
            [f"{pi}get_service_endpoint&hostname={h}" for h in data["hostnames"]],
            n(300),
            30,
            FILTERED_BUDGET_S,
            b"<SERVICE_ENDPOINT ",
        ),
        Case(
            "get_service_endpoint sitename=",
            [f"{pi}get_service_endpoint&sitename={s}" for s in data["sitenames"]],
            n(300),
            30,
            FILTERED_BUDGET_S,
            b"<SERVICE_ENDPOINT ",
        ),
        Case(
            "get_service_endpoint service_type=",
            [f"{pi}get_service_endpoint&service_type={t}" for t in data["service_types"]],
            n(100),
            45,
            FILTERED_BUDGET_S,
            b"<SERVICE_ENDPOINT ",
        ),
        Case(
            f"get_downtime {WINDOW_DAYS}-day window scope=",
            [f"{pi}get_downtime&windowstart={window_start}&windowend={window_end}&scope="],
            n(30),
            60,
            item=b"<DOWNTIME ",
        ),
    ]


def report(
    database: str, build_s: float, counts: dict[str, int], results: list[Result], concurrency: int
) -> None:
    print(
        f"\n## {database}: built in {build_s:.1f} s; "
        + ", ".join(f"{v:,} {k}" for k, v in counts.items())
    )
    clients = f"{concurrency} client{'s' if concurrency > 1 else ''}"
    print(f"   latency with {clients}, one uvicorn worker; 'fail' counts HTTP 5xx answers")
    header = (
        f"{'query':40} {'n':>4} {'fail':>4} {'req/s':>7} {'p50':>9} {'p99':>9} {'first':>9} "
        f"{'KiB':>6} {'items':>6}  aim"
    )
    print(header)
    print("-" * (len(header) + 40))
    for r in results:
        if not r.latencies:
            print(f"{r.case.name:40} {0:>4} {r.failures:>4}  every request failed")
            continue
        aim = "no stated aim"
        if r.case.budget_s is not None:
            what = "full dump" if r.case.budget_s == FULL_DUMP_BUDGET_S else "filtered"
            ratio = r.p50 / r.case.budget_s
            verdict = "meets" if ratio < 1 else "MISSES"
            aim = f"{what} p50 {_t(r.p50)} = {ratio:.2f}x of the {_t(r.case.budget_s)} budget ({verdict})"
        print(
            f"{r.case.name:40} {len(r.latencies):>4} {r.failures:>4} "
            f"{len(r.latencies) / r.wall_s:>7.1f} {_t(r.p50):>9} {_t(r.p99):>9} {_t(r.first_s):>9} "
            f"{statistics.mean(r.sizes) / 1024:>6.0f} {statistics.mean(r.items):>6.0f}  {aim}"
        )


def _t(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def bench(database: str, url: str, workdir: Path, concurrency: int, scale: float) -> None:
    engine = make_engine(url)
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    data = build(engine, now)
    build_s = time.perf_counter() - started
    engine.dispose()
    with server(url, workdir) as port:
        client = Client(port, data["token"])
        results = [run_case(client, case, concurrency) for case in cases(data, now, scale)]
    report(database, build_s, data["counts"], results, concurrency)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies request counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fedcore-bench-") as tmp:
        root = Path(tmp)
        if args.db in ("postgresql", "both"):
            (root / "pg").mkdir()
            with postgres_cluster() as url:
                bench("PostgreSQL", url, root / "pg", args.concurrency, args.scale)
        if args.db in ("sqlite", "both"):
            (root / "sqlite").mkdir()
            bench(
                "SQLite",
                f"sqlite:///{root / 'sqlite' / 'fedcore.sqlite'}",
                root / "sqlite",
                args.concurrency,
                args.scale,
            )


if __name__ == "__main__":
    main()
