"""argo-mon-library (PyPI, ARGO's Python client) reads reports, A/R and status from a real
fedcore server over HTTPS, unchanged, with a fedcore API token as its API key. The server's
database holds two reports: Report_A with argo-web-api's own test documents and SLA with the
e2e case's day, both imported with ``fedcore monitoring import-ar``, and the case's timelines."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from fedcore.core.db import make_engine
from fedcore.core.security import principal_for
from tests.monitoring.argo_data import (
    ARGO_DOCUMENT,
    case_document,
    load_case,
    make_report,
    store_timelines,
)
from tests.support.server import ADMIN_SUBJECT, FedcoreServer, running_server
from tests.support.tls import Pki

pytestmark = pytest.mark.interop

RunClient = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def argo_server(
    tmp_path_factory: pytest.TempPathFactory, pki: Pki, shared_dir: Path
) -> Iterator[tuple[FedcoreServer, dict[str, Any]]]:
    root = tmp_path_factory.mktemp("argo")
    with running_server(root, pki, settings={"FEDCORE_JOBS_ENABLED": "false"}) as server:
        case = load_case(shared_dir)
        engine = make_engine(server.database_url)
        with Session(engine) as session:
            operator = principal_for(ADMIN_SUBJECT, ADMIN_SUBJECT)
            make_report(session, operator, case, "Report_A", "GROUP")
            make_report(session, operator, case, "SLA", "PROJECT")
            store_timelines(session, case, "SLA")
        engine.dispose()
        for name, document in (("argo", ARGO_DOCUMENT), ("sla", case_document(case, "SLA"))):
            path = root / f"{name}-ar.json"
            path.write_text(json.dumps(document))
            server.cli("monitoring", "import-ar", str(path))
        yield server, case


def read(server: FedcoreServer, run_client: RunClient, queries: list[dict[str, str]]) -> Any:
    key = server.cli("token", "create", "--subject", "dashboard@fedcore.test").strip()
    done = run_client(
        "argo-mon-library",
        "argo_mon.py",
        HOST=f"127.0.0.1:{server.port}",
        API_KEY=key.splitlines()[-1],
        QUERIES=json.dumps(queries),
    )
    return json.loads(done.stdout)


def test_reports_results_and_status_through_the_library(
    argo_server: tuple[FedcoreServer, dict[str, Any]], run_client: RunClient
) -> None:
    server, case = argo_server
    june = {"report": "Report_A", "start": "2015-06-20", "end": "2015-06-23", "what": "results"}
    sla_day = {"report": "SLA", "start": "2022-01-14", "end": "2022-01-14"}
    answer = read(
        server,
        run_client,
        [
            {**june, "granularity": "daily"},
            {**june, "granularity": "monthly"},
            {**sla_day, "granularity": "daily", "what": "status"},
            {**sla_day, "granularity": "daily", "what": "results"},
        ],
    )

    reports = {r["name"]: r for r in answer["reports"]}
    assert sorted(reports) == ["Report_A", "SLA"]
    assert reports["SLA"]["tenant"] == "EGI"
    assert reports["SLA"]["disabled"] is False
    assert (reports["SLA"]["supergroup_type"], reports["SLA"]["group_type"]) == (
        "PROJECT",
        "SITES",
    )
    assert [kind for kind, _ in reports["SLA"]["profiles"]] == [
        "aggregation",
        "metric",
        "operations",
    ]
    assert reports["SLA"]["availability_target"] == 80

    daily, monthly, status, sla = answer["answers"]
    assert daily == [
        {
            "name": "GROUP_A",
            "type": "GROUP",
            "results": [
                ["2015-06-22", "68.13896116893515", "50.413931144915935"],
                ["2015-06-23", "75.36324059247399", "80.8138510808647"],
            ],
            "groups": [
                {
                    "name": "ST01",
                    "type": "SITES",
                    "results": [
                        ["2015-06-22", "66.7", "54.6", "1", "0", "0"],
                        ["2015-06-23", "100", "100", "1", "0", "0"],
                    ],
                },
                {
                    "name": "ST02",
                    "type": "SITES",
                    "results": [
                        ["2015-06-22", "70", "45", "1", "0", "0"],
                        ["2015-06-23", "43.5", "56", "1", "0", "0"],
                    ],
                },
            ],
        }
    ]
    assert monthly[0]["results"] == [["2015-06-01", "71.75110088070457", "65.61389111289031"]]
    assert monthly[0]["groups"][0]["results"] == [
        ["2015-06-01", "99.99999900000002", "99.99999900000002", "1", "0", "0"]
    ]

    groups = {g["name"]: g for g in status}
    assert sorted(groups) == sorted(g["group"] for g in case["expected"]["group_timelines"])
    group_2 = groups["Group_2"]
    expected = next(g for g in case["expected"]["group_timelines"] if g["group"] == "Group_2")
    assert group_2["type"] == "SITES"
    assert group_2["statuses"] == [
        *expected["timeline"],
        ["2022-01-14T23:59:59Z", expected["timeline"][-1][1]],
    ]
    endpoints = {e["id"]: e for e in group_2["endpoints"]}
    assert sorted(endpoints) == [f"Hostname_{n}-id" for n in ("2", "4", "5", "6", "7", "8", "9")]
    hostname_6 = endpoints["Hostname_6-id"]
    assert (hostname_6["name"], hostname_6["service"], hostname_6["url"]) == (
        "Hostname_6",
        "Service_2B",
        "https://Hostname_6/",
    )
    timeline = next(
        e["timeline"]
        for e in case["expected"]["endpoint_timelines"]
        if (e["group"], e["hostname"]) == ("Group_2", "Hostname_6")
    )
    assert hostname_6["statuses"][:-1] == timeline

    supergroups = {s["name"]: s for s in sla}
    assert supergroups["GROUP_C"]["groups"] == [
        {
            "name": "Group_3",
            "type": "SITES",
            "results": [["2022-01-14", "54.16667", "72.22222", "0.54167", "0.25", "0"]],
        }
    ]
