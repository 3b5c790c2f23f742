"""The daily A/R computation of a federation day, from results in memory to A/R rows.

Issue 6 aims at over 1,000,000 metric results per second end to end on this machine (2 cores),
growing linearly with the federation. **No peer runs side by side**: ARGO's engine is a Flink
batch job (``argo-streaming``, ``flink_jobs_v2/batch_multi``) and neither its source nor Flink
is on this machine (the issue's conformance cases hold its inputs and outputs, not the job), so
the figures are set against the aim instead.

What it does: a seeded generator builds a federation day at 100 % scale: 1,000 sites under 40
NGIs, 20,000 endpoints of five service types (two compute, two storage, one cloud; 20 per
site, the mix varying by site), 10 metrics per endpoint (200,000 metric timelines), a result per
metric every 15 minutes at a per-metric offset (96 per metric, about 19.2 million), and the last
result of each metric on the previous day. States are mostly OK; some metrics have an outage, a
spell of UNKNOWN, WARNING blips, stop reporting at noon or report nothing; 3 % flap. About 1 %
of endpoints have a scheduled outage, one threshold rule (ARGO's range convention) covers the
transfer time of one storage metric, and one recomputation excludes two sites for two hours,
drops one monitoring host's results for an hour, forces a service's state and excludes a metric.
The operations profile is ``egi_ops`` of ARGO's end-to-end conformance case; the metric and
aggregation profiles have ARGO's shapes (function groups compute, storage, cloud).

The engine is given what the storage path (``monitoring.service.computation.day_input``) hands
it: a :class:`~fedcore.monitoring.pipeline.DayInput` whose results are
:class:`~fedcore.monitoring.pipeline.MetricResult` objects oldest first (hostnames and metric
names are one string object per name, as an interning reader would hand them; the storage
path's rows carry a string per row, which costs hashing on top). Only
:func:`~fedcore.monitoring.pipeline.compute_day` is timed (generating the data is not), at 1 %,
10 % and 100 % of the size, each scale in a fresh process (so peak memory is per scale). It
prints, per scale, results, seconds, results per second, metric timelines and A/R rows, the peak
memory of the process, and a digest of every timeline and A/R value (equal digests: equal
results); then the growth ratios time(10 %)/time(1 %) and time(100 %)/time(10 %) (10.0 is
linear) and the 100 % rate against the aim.

    .venv/bin/python -m benchmarks.monitoring_ar [--scale 1 10 100] [--quick] [--repeat 1]
        [--previous-day last|full]

``--quick`` runs 1 % and 10 % only. ``--previous-day full`` hands the engine every result of
the previous day as well (twice the results), as the storage path reads them; by default only
the last result of each metric on the previous day, which is all the carry-over keeps.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from fedcore.monitoring.pipeline import DayInput, DayResult, MetricResult, compute_day
from fedcore.monitoring.profiles import load_aggregation_profile, load_metric_profile
from fedcore.monitoring.recomputations import load_recomputations
from fedcore.monitoring.states import load_operations_profile
from fedcore.monitoring.thresholds import load_threshold_profile
from fedcore.monitoring.timelines import DAY_SECONDS, day_start, format_timestamp
from fedcore.monitoring.topology import Downtime, Endpoint, Topology

AIM = 1_000_000  # results per second, issue 6
SITES = 1000
NGIS = 40
ENDPOINTS_PER_SITE = 20
SLOT = 900  # a result every 15 minutes
SLOTS = DAY_SECONDS // SLOT
DAY = date(2026, 11, 25)
SEED = 20261125
CASE = Path(__file__).resolve().parents[2] / "shared/conformance/argo/e2e-2022-01-14.json"
MONITORING_HOSTS = ("mon1.argo.example.org", "mon2.argo.example.org")

# service type -> (function group, prefix of its metrics); 10 metrics each
SERVICES = {
    "ARC-CE": ("compute", "org.nordugrid.ARC-CE"),
    "HTCondorCE": ("compute", "ch.cern.HTCondorCE"),
    "SRM": ("storage", "eu.egi.SRM"),
    "webdav": ("storage", "eu.egi.WebDAV"),
    "org.openstack.nova": ("cloud", "eu.egi.cloud.OpenStack"),
}
CHECKS = ("Ping", "TLS", "CertValidity", "Version", "Auth", "Submit", "Get", "Put", "List", "Del")
SITE_MIX = (
    ("ARC-CE",) * 6
    + ("HTCondorCE",) * 4
    + ("SRM",) * 4
    + ("webdav",) * 4
    + ("org.openstack.nova",) * 2
)
THRESHOLD_METRIC = "eu.egi.WebDAV-Get"


METRICS = {
    service: [f"{prefix}-{check}" for check in CHECKS] for service, (_, prefix) in SERVICES.items()
}


def metrics_of(service: str) -> list[str]:
    """The service type's metric names (one string object per name, as an interning reader
    of storage would hand them)."""
    return METRICS[service]


def metric_profile_json() -> dict[str, Any]:
    return {
        "name": "ARGO_MON_BENCH",
        "services": [{"service": s, "metrics": metrics_of(s)} for s in SERVICES],
    }


def aggregation_profile_json() -> dict[str, Any]:
    functions: dict[str, list[str]] = {}
    for service, (function, _) in SERVICES.items():
        functions.setdefault(function, []).append(service)
    return {
        "name": "bench_critical",
        "endpoint_group": "sites",
        "metric_operation": "AND",
        "profile_operation": "AND",
        "metric_profile": {"name": "ARGO_MON_BENCH"},
        "groups": [
            {
                "name": function,
                "operation": "OR",
                "services": [{"name": s, "operation": "OR"} for s in services],
            }
            for function, services in functions.items()
        ],
    }


@dataclass
class Generated:
    data: DayInput
    results: int


def _patterns(rng: random.Random, count: int) -> list[list[str | None]]:
    """Status sequences of a day (None: no result in that slot), most of them all OK."""
    patterns: list[list[str | None]] = []
    for _ in range(count):
        roll = rng.random()
        day: list[str | None] = ["OK"] * SLOTS
        if roll < 0.80:
            pass
        elif roll < 0.86:  # a WARNING blip or two
            for _ in range(rng.randint(1, 2)):
                day[rng.randrange(SLOTS)] = "WARNING"
        elif roll < 0.91:  # an outage
            begin = rng.randrange(SLOTS)
            for slot in range(begin, min(SLOTS, begin + rng.randint(1, 24))):
                day[slot] = "CRITICAL"
        elif roll < 0.94:  # flapping
            day = [rng.choices(("OK", "CRITICAL", "WARNING"), (6, 3, 1))[0] for _ in day]
        elif roll < 0.96:  # a spell of UNKNOWN
            begin = rng.randrange(SLOTS)
            for slot in range(begin, min(SLOTS, begin + rng.randint(2, 12))):
                day[slot] = "UNKNOWN"
        elif roll < 0.98:  # stops reporting at noon
            day = [state if slot < SLOTS // 2 else None for slot, state in enumerate(day)]
        elif roll < 0.99:  # a few slots lost
            for _ in range(rng.randint(1, 6)):
                day[rng.randrange(SLOTS)] = None
        else:  # reports nothing today
            day = [None] * SLOTS
        patterns.append(day)
    return patterns


Planned = tuple[str, str, str, str, tuple[list[str | None], list[str | None]], bool]
"""A metric's service, hostname, name, monitoring host, statuses (the day's, the previous
day's) and whether the threshold rule names it."""
PLAIN = "time=0.051426s;;;0.000000;60.000000"


def _results(
    by_offset: list[list[Planned]], times: list[int], day: int, perfdata: list[str]
) -> list[MetricResult]:
    """The results of the previous day (``day`` 0) or the day (1), oldest first."""
    results: list[MetricResult] = []
    append = results.append
    for slot in range(SLOTS):
        for offset, metrics in enumerate(by_offset):
            t = times[day * DAY_SECONDS + slot * SLOT + offset]
            for service, hostname, metric, source, patterns, ruled in metrics:
                status = patterns[1 - day][slot]
                if status is not None:
                    perf = perfdata[(slot + offset) % len(perfdata)] if ruled else PLAIN
                    append(MetricResult(t, service, hostname, metric, status, source, perf))
    return results


def generate(scale: float, seed: int = SEED, *, full_previous_day: bool = False) -> Generated:
    """A federation day at ``scale`` (1.0 = 1,000 sites, 20,000 endpoints), with the last
    result of each metric on the previous day, or all of them."""
    rng = random.Random(seed)
    start = day_start(DAY)
    sites = max(1, round(SITES * scale))
    ngis = [f"NGI_{i:02d}" for i in range(min(NGIS, sites))]
    supergroups = {f"SITE-{s:04d}": ngis[s % len(ngis)] for s in range(sites)}
    endpoints: list[Endpoint] = []
    for s, site in enumerate(supergroups):
        mix = list(SITE_MIX)
        for _ in range(rng.randint(0, 3)):  # sites differ: swap a few service types
            mix[rng.randrange(len(mix))] = rng.choice(SITE_MIX)
        for n, service in enumerate(mix):
            tags = {"production": "1", "monitored": "1", "info_ID": f"{s}.{n}"}
            endpoints.append(
                Endpoint(site, service, f"{service.lower()}{n:02d}.site{s:04d}.eu", tags)
            )
    topology = Topology(
        tuple(endpoints), supergroups, {site: float(rng.randint(0, 5000)) for site in supergroups}
    )
    names = list(supergroups)

    ops = load_operations_profile(json.loads(CASE.read_text())["profiles"]["operations"])
    recomputation = {
        "id": "bench-1",
        "status": "approved",
        "start_time": format_timestamp(start + 10 * 3600),
        "end_time": format_timestamp(start + 12 * 3600 - 60),
        "exclude": names[:2],
        "exclude_monitoring_source": [
            {
                "host": MONITORING_HOSTS[1],
                "start_time": format_timestamp(start + 3 * 3600),
                "end_time": format_timestamp(start + 4 * 3600 - 1),
            }
        ],
        "applied_status_changes": [{"group": names[-1], "service": "SRM", "state": "OK"}],
        "exclude_metrics": [{"metric": metrics_of("ARC-CE")[5], "hostname": endpoints[0].hostname}],
    }
    thresholds = {
        "name": "bench-thresholds",
        "rules": [{"metric": THRESHOLD_METRIC, "thresholds": "time=1s;10:30;30:;0;60"}],
    }
    downtimes = []
    for endpoint in rng.sample(endpoints, max(1, len(endpoints) // 100)):
        begin = start + rng.choice((-DAY_SECONDS, rng.randrange(0, DAY_SECONDS, 3600)))
        downtimes.append(
            Downtime(
                endpoint.hostname,
                endpoint.service,
                begin,
                begin + rng.choice((4, 8, 48)) * 3600 - 60,
            )
        )

    patterns = _patterns(rng, 4000)
    times = list(range(start - DAY_SECONDS, start + DAY_SECONDS))  # one int object per second
    perfdata = [
        f"time={rng.lognormvariate(0.5, 1.2):.6f}s;;;0.000000;60.000000" for _ in range(2000)
    ]
    by_offset: list[list[Planned]] = [[] for _ in range(SLOT)]
    previous: list[MetricResult] = []
    earlier = random.Random(seed + 1)  # the previous day's patterns (not drawn from rng)
    for e, endpoint in enumerate(endpoints):
        source = MONITORING_HOSTS[e % 2]
        for metric in metrics_of(endpoint.service):
            offset = rng.randrange(SLOT)
            pattern = patterns[rng.randrange(len(patterns))]
            by_offset[offset].append(
                (
                    endpoint.service,
                    endpoint.hostname,
                    metric,
                    source,
                    (pattern, patterns[earlier.randrange(len(patterns))]),
                    metric == THRESHOLD_METRIC,
                )
            )
            if rng.random() < 0.995:
                previous.append(
                    MetricResult(
                        times[DAY_SECONDS - SLOT + offset],
                        endpoint.service,
                        endpoint.hostname,
                        metric,
                        "OK" if rng.random() < 0.97 else "CRITICAL",
                        source,
                        PLAIN,
                    )
                )
    previous.sort(key=lambda r: r.timestamp)
    if full_previous_day:
        previous = _results(by_offset, times, 0, perfdata)
    results = _results(by_offset, times, 1, perfdata)
    day_input = DayInput(
        day=DAY,
        operations=ops,
        aggregation=load_aggregation_profile(aggregation_profile_json(), ops),
        metric_profile=load_metric_profile(metric_profile_json()),
        topology=topology,
        results=results,
        previous_day=previous,
        downtimes=downtimes,
        recomputations=load_recomputations([recomputation], ops),
        thresholds=load_threshold_profile(thresholds),
    )
    return Generated(day_input, len(results) + len(previous))


def digest(result: DayResult) -> str:
    """A hash of every timeline and A/R value: equal digests, equal results."""
    sha = hashlib.sha256()
    for lines in (
        result.metrics,
        result.endpoints,
        result.services,
        result.functions,
        result.groups,
    ):
        for line in lines:
            sha.update(
                repr(
                    (
                        line.group,
                        line.function,
                        line.service,
                        line.hostname,
                        line.metric,
                        line.timeline,
                        line.has_threshold,
                    )
                ).encode()
            )
    for rows in (result.endpoint_ar, result.service_ar, result.group_ar):
        for row in rows:
            sha.update(
                repr(
                    (row.group, row.service, row.hostname, row.ar, sorted(row.seconds.items()))
                ).encode()
            )
    return sha.hexdigest()[:16]


def run_one(scale: float, repeat: int, full_previous_day: bool) -> dict[str, Any]:
    generated = generate(scale, full_previous_day=full_previous_day)
    best = None
    for _ in range(repeat):
        began = time.perf_counter()
        result = compute_day(generated.data)
        seconds = time.perf_counter() - began
        best = seconds if best is None else min(best, seconds)
    assert best is not None
    return {
        "scale": scale,
        "results": generated.results,
        "seconds": best,
        "metric_timelines": len(result.metrics),
        "ar_rows": len(result.endpoint_ar) + len(result.service_ar) + len(result.group_ar),
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "digest": digest(result),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        type=float,
        nargs="+",
        default=[1, 10, 100],
        help="sizes in percent of the federation day (default 1 10 100)",
    )
    parser.add_argument("--quick", action="store_true", help="1 %% and 10 %% only")
    parser.add_argument("--repeat", type=int, default=1, help="runs per scale; the best is shown")
    parser.add_argument(
        "--previous-day",
        choices=("last", "full"),
        default="last",
        help="the previous day's last result per metric (default) or all of them, as the "
        "storage path reads them",
    )
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one / 100, args.repeat, args.previous_day == "full")))
        return
    scales = [1.0, 10.0] if args.quick else args.scale
    rows = []
    print(
        f"{'scale':>6} {'results':>12} {'seconds':>8} {'results/s':>11} {'timelines':>10} "
        f"{'A/R rows':>9} {'peak MiB':>9}  digest"
    )
    for scale in scales:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.monitoring_ar",
                "--one",
                str(scale),
                "--repeat",
                str(args.repeat),
                "--previous-day",
                args.previous_day,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        row = json.loads(out.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"{scale:>5g}% {row['results']:>12,} {row['seconds']:>8.2f} "
            f"{row['results'] / row['seconds']:>11,.0f} {row['metric_timelines']:>10,} "
            f"{row['ar_rows']:>9,} {row['peak_mib']:>9,.0f}  {row['digest']}",
            flush=True,
        )
    for before, after in itertools.pairwise(rows):
        size = after["results"] / before["results"]
        print(
            f"growth {before['scale'] * 100:g}% -> {after['scale'] * 100:g}%: size x{size:.2f}, "
            f"time x{after['seconds'] / before['seconds']:.2f}"
        )
    last = rows[-1]
    rate = last["results"] / last["seconds"]
    print(
        f"{last['scale'] * 100:g}%: {rate:,.0f} results/s = {rate / AIM:.2f}x the aim "
        f"({AIM:,}/s, no runnable peer)"
    )


if __name__ == "__main__":
    main()
