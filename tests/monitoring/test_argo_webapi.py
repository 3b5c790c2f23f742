"""The argo-web-api compatible REST over stored results: argo-web-api's own test documents
and expected bodies (``app/v3/ar``, ``app/results``: weighted GROUP_A daily and monthly, the
``99.99999900000002`` of a perfect month, the endpoint by resource id), the e2e case's daily
A/R and timelines (hand-checked values), custom periods, ARGO's errors and the x-api-key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fedcore.monitoring.compat.argo_format import go_g
from fedcore.monitoring.service import history
from tests.monitoring.argo_data import (
    ARGO_DOCUMENT,
    case_document,
    load_case,
    make_report,
    store_timelines,
)
from tests.monitoring.test_computation import build_registry, load_through_api, publish
from tests.registry.factories import Federation

SPAN = "start_time=2015-06-20T12:00:00Z&end_time=2015-06-23T23:00:00Z"
DAY = "start_time=2022-01-14T00:00:00Z&end_time=2022-01-14T23:59:59Z"
UNAUTHORIZED = {
    "status": {
        "message": "Unauthorized",
        "code": "401",
        "details": "You need to provide a correct authentication token using the header "
        "'x-api-key'",
    }
}


@pytest.fixture
def key(session: Session, federation: Federation, shared_dir: Path) -> dict[str, str]:
    """Report_A (GROUP > SITES) with argo-web-api's test documents, SLA (PROJECT > SITES)
    with the e2e case's day; the operator's API token as x-api-key."""
    case = load_case(shared_dir)
    operator = federation.operator.principal
    make_report(session, operator, case, "Report_A", "GROUP")
    make_report(session, operator, case, "SLA", "PROJECT")
    history.import_ar(session=session, actor=operator, document=ARGO_DOCUMENT)
    history.import_ar(session=session, actor=operator, document=case_document(case, "SLA"))
    store_timelines(session, case, "SLA")
    return {"x-api-key": federation.operator.token, "Accept": "application/json"}


def get(client: TestClient, key: dict[str, str], url: str, status: int = 200) -> Any:
    response = client.get(url, headers=key)
    assert response.status_code == status, response.text
    return response.json()


def site(name: str, *days: tuple[str, str, str]) -> dict[str, Any]:
    return {
        "name": name,
        "type": "SITES",
        "results": [
            {
                "date": day,
                "availability": a,
                "reliability": r,
                "unknown": "0",
                "uptime": "1",
                "downtime": "0",
            }
            for day, a, r in days
        ],
    }


def test_go_g_prints_as_argo_does() -> None:
    assert [go_g(v) for v in (100.0, 0.0, 66.7, -1.0, 0.98264, 1e-05, 0.0001, 1234567.0)] == [
        "100",
        "0",
        "66.7",
        "-1",
        "0.98264",
        "1e-05",
        "0.0001",
        "1.234567e+06",
    ]
    assert go_g(99.99999900000002) == "99.99999900000002"


def test_v3_results_daily_and_monthly_are_argo_web_apis(
    client: TestClient, key: dict[str, str]
) -> None:
    daily = get(client, key, f"/api/v3/results/Report_A?{SPAN}")
    assert daily == {
        "results": [
            {
                "name": "GROUP_A",
                "type": "GROUP",
                "results": [
                    {
                        "date": "2015-06-22",
                        "availability": "68.13896116893515",
                        "reliability": "50.413931144915935",
                    },
                    {
                        "date": "2015-06-23",
                        "availability": "75.36324059247399",
                        "reliability": "80.8138510808647",
                    },
                ],
                "groups": [
                    site("ST01", ("2015-06-22", "66.7", "54.6"), ("2015-06-23", "100", "100")),
                    site("ST02", ("2015-06-22", "70", "45"), ("2015-06-23", "43.5", "56")),
                ],
            }
        ]
    }
    monthly = get(client, key, f"/api/v3/results/Report_A?{SPAN}&granularity=monthly")
    perfect = ("2015-06", "99.99999900000002", "99.99999900000002")
    assert monthly["results"][0]["results"] == [
        {"date": "2015-06", "availability": "71.75110088070457", "reliability": "65.61389111289031"}
    ]
    assert monthly["results"][0]["groups"] == [site("ST01", perfect), site("ST02", perfect)]


def test_v3_results_by_resource_id(client: TestClient, key: dict[str, str]) -> None:
    custom = get(
        client, key, f"/api/v3/results/Report_A/id/special-queue?{SPAN}&granularity=custom"
    )
    assert custom == {
        "id": "special-queue",
        "endpoints": [
            {
                "name": "host01",
                "service": "service01",
                "supergroup": "ST01",
                "info": {"ID": "special-queue"},
                "results": [
                    {
                        "availability": "99.99999900000002",
                        "reliability": "99.99999900000002",
                        "unknown": "0",
                        "uptime": "1",
                        "downtime": "0",
                    }
                ],
            }
        ],
    }
    missing = get(client, key, f"/api/v3/results/Report_A/id/another-queue?{SPAN}", 404)
    assert missing == {"message": "No endpoints found with resource-id: another-queue", "code": 404}


def test_v2_results_supergroups_and_endpoint_groups(
    client: TestClient, key: dict[str, str]
) -> None:
    supergroup = get(client, key, f"/api/v2/results/Report_A/GROUP/GROUP_A?{SPAN}")
    assert supergroup == {
        "results": [
            {
                "name": "GROUP_A",
                "type": "GROUP",
                "results": [
                    {
                        "timestamp": "2015-06-22",
                        "availability": "68.13896116893515",
                        "reliability": "50.413931144915935",
                    },
                    {
                        "timestamp": "2015-06-23",
                        "availability": "75.36324059247399",
                        "reliability": "80.8138510808647",
                    },
                ],
            }
        ]
    }
    assert get(client, key, f"/api/v2/results/Report_A/GROUP?{SPAN}") == supergroup
    one_site = get(client, key, f"/api/v2/results/Report_A/SITES/ST01?{SPAN}&granularity=daily")
    st01 = site("ST01", ("2015-06-22", "66.7", "54.6"), ("2015-06-23", "100", "100"))
    for entry in st01["results"]:
        entry["timestamp"] = entry.pop("date")
        entry.update(
            {
                k: entry.pop(k)
                for k in ("availability", "reliability", "unknown", "uptime", "downtime")
            }
        )
    assert one_site == {"results": [{"name": "GROUP_A", "type": "GROUP", "endpoints": [st01]}]}
    assert get(client, key, f"/api/v2/results/Report_A/GROUP/GROUP_A/SITES/ST01?{SPAN}") == one_site
    both = get(client, key, f"/api/v2/results/Report_A/GROUP/GROUP_A/SITES?{SPAN}")
    assert [e["name"] for e in both["results"][0]["endpoints"]] == ["ST01", "ST02"]


def test_v2_results_services_and_endpoints_of_the_e2e_day(
    client: TestClient, key: dict[str, str]
) -> None:
    services = get(client, key, f"/api/v2/results/SLA/SITES/Group_2/services?{DAY}")
    assert services["results"][0]["name"] == "Group_2"
    assert services["results"][0]["type"] == "SITES"
    assert services["results"][0]["serviceflavors"][2] == {
        "name": "Service_2C",
        "type": "service",
        "results": [
            {
                "timestamp": "2022-01-14",
                "availability": "51.06383",
                "reliability": "51.06383",
                "unknown": "0.02083",
                "uptime": "0.5",
                "downtime": "0",
            }
        ],
    }
    assert [s["name"] for s in services["results"][0]["serviceflavors"]] == [
        "Service_2A",
        "Service_2B",
        "Service_2C",
    ]
    path = "SLA/PROJECT/GROUP_A/SITES/Group_1/services/Service_1A/endpoints/Hostname_1"
    endpoints = get(client, key, f"/api/v2/results/{path}?{DAY}")
    endpoint = endpoints["results"][0]["serviceflavors"][0]["endpoints"][0]
    assert endpoint["name"] == "Hostname_1"
    assert endpoint["type"] == "endpoint"
    assert endpoint["info"] == {"ID": "Hostname_1-id", "URL": "https://Hostname_1/"}
    site = get(client, key, f"/api/v2/results/SLA/SITES/Group_1/endpoints?{DAY}")["results"][0]
    assert [
        (flavor["name"], [e["name"] for e in flavor["endpoints"]])
        for flavor in site["serviceflavors"]
    ] == [
        ("Service_1A", ["Hostname_1", "Hostname_2", "Hostname_3"]),
        ("Service_1B", ["Hostname_1", "Hostname_4", "Hostname_5"]),
    ]


def test_e2e_day_values_through_v3(client: TestClient, key: dict[str, str]) -> None:
    body = get(client, key, f"/api/v3/results/SLA?{DAY}")
    by_name = {node["name"]: node for node in body["results"]}
    # GROUP_A's five sites weigh 0 each: the mean of 100, 0, 0, 0 and 66.66667.
    assert by_name["GROUP_A"]["results"] == [
        {"date": "2022-01-14", "availability": "33.333334", "reliability": "33.333334"}
    ]
    group_3 = by_name["GROUP_C"]["groups"][0]
    assert group_3 == {
        "name": "Group_3",
        "type": "SITES",
        "results": [
            {
                "date": "2022-01-14",
                "availability": "54.16667",
                "reliability": "72.22222",
                "unknown": "0",
                "uptime": "0.54167",
                "downtime": "0.25",
            }
        ],
    }


def test_monthly_and_custom_over_two_days(
    client: TestClient,
    key: dict[str, str],
    session: Session,
    federation: Federation,
    shared_dir: Path,
) -> None:
    """Group_3 on 2022-01-14 (up 0.54167, down 0.25) and 2022-01-31 (all unknown): the
    unknown day counts as unknown, so A = avg(up) / (1.00000001 - avg(unknown))."""
    case = load_case(shared_dir)
    second = case_document(case, "SLA", "20220131")
    second["endpoint_group_ar"] = [
        {**g, "up": 0, "down": 0, "unknown": 1, "availability": -1, "reliability": -1}
        for g in second["endpoint_group_ar"]
        if g["name"] == "Group_3"
    ]
    second["service_ar"] = second["endpoint_ar"] = []
    history.import_ar(session=session, actor=federation.operator.principal, document=second)
    span = "start_time=2022-01-01T00:00:00Z&end_time=2022-01-31T23:59:59Z"
    monthly = get(client, key, f"/api/v2/results/SLA/SITES/Group_3?{span}&granularity=monthly")
    up, unknown, down = 0.54167 / 2, 0.5, 0.25 / 2
    assert monthly["results"][0]["endpoints"][0]["results"] == [
        {
            "timestamp": "2022-01",
            "availability": go_g(up / (1.00000001 - unknown) * 100),
            "reliability": go_g(up / (1.00000001 - unknown - down) * 100),
            "unknown": "0.5",
            "uptime": "0.270835",
            "downtime": "0.125",
        }
    ]
    assert (
        monthly["results"][0]["endpoints"][0]["results"][0]["availability"] == "54.16699891666003"
    )
    custom = get(client, key, f"/api/v2/results/SLA/SITES/Group_3?{span}&granularity=custom")
    assert "timestamp" not in custom["results"][0]["endpoints"][0]["results"][0]
    # GROUP_C's only site is undefined on the 31st: the supergroup keeps the 14th alone.
    supergroup = get(client, key, f"/api/v2/results/SLA/PROJECT/GROUP_C?{span}&granularity=monthly")
    assert supergroup["results"][0]["results"] == [
        {"timestamp": "2022-01", "availability": "54.16667", "reliability": "72.22222"}
    ]


def test_v2_status_down_to_metrics(
    client: TestClient, key: dict[str, str], shared_dir: Path
) -> None:
    case = load_case(shared_dir)
    group = get(client, key, f"/api/v2/status/SLA/SITES/Group_3?{DAY}")
    expected = next(g for g in case["expected"]["group_timelines"] if g["group"] == "Group_3")
    statuses = [{"timestamp": t, "value": v} for t, v in expected["timeline"]]
    last = {"timestamp": "2022-01-14T23:59:59Z", "value": statuses[-1]["value"]}
    assert group == {
        "groups": [{"name": "Group_3", "type": "SITES", "statuses": [*statuses, last]}]
    }
    metric = next(m for m in case["expected"]["metric_timelines"] if m["group"] == "Group_3")
    url = (
        f"/api/v2/status/SLA/SITES/Group_3/services/{metric['service']}/endpoints/"
        f"{metric['hostname']}/metrics/{metric['metric']}?{DAY}"
    )
    body = get(client, key, url)
    service = body["groups"][0]["services"][0]
    assert service["name"] == metric["service"]
    assert service["type"] == "service"
    endpoint = service["endpoints"][0]
    assert endpoint["name"] == metric["hostname"]
    assert endpoint["metrics"][0]["name"] == metric["metric"]
    assert [s["timestamp"] for s in endpoint["metrics"][0]["statuses"][:-1]] == [
        t for t, _ in metric["timeline"]
    ]
    services = get(client, key, f"/api/v2/status/SLA/SITES/Group_2/services?{DAY}")
    assert [s["name"] for s in services["groups"][0]["services"]] == [
        "Service_2A",
        "Service_2B",
        "Service_2C",
    ]


def test_v3_status_groups_with_their_endpoints(
    client: TestClient, key: dict[str, str], shared_dir: Path
) -> None:
    case = load_case(shared_dir)
    body = get(client, key, f"/api/v3/status/SLA?{DAY}")
    assert [g["name"] for g in body["groups"]] == sorted(
        g["group"] for g in case["expected"]["group_timelines"]
    )
    group_1 = next(g for g in body["groups"] if g["name"] == "Group_1")
    assert group_1["type"] == "SITES"
    assert group_1["statuses"][-1]["timestamp"] == "2022-01-14T23:59:59Z"
    endpoint = group_1["endpoints"][0]
    assert set(endpoint) == {"hostname", "service", "info", "statuses"}
    assert endpoint["info"] == {
        "ID": f"{endpoint['hostname']}-id",
        "URL": f"https://{endpoint['hostname']}/",
    }
    latest = get(client, key, "/api/v3/status/SLA/id/Hostname_1-id?" + DAY)
    assert [(e["hostname"], e["service"], e["group"]) for e in latest["endpoints"]] == [
        ("Hostname_1", "Service_1A", "Group_1"),
        ("Hostname_1", "Service_1B", "Group_1"),
        ("Hostname_1", "Service_3A", "Group_3"),
    ]
    today = get(client, key, "/api/v3/status/SLA", 404)
    assert today == {"message": "No results found for given query", "code": 404}


def test_reports_in_argos_shape(client: TestClient, key: dict[str, str], session: Session) -> None:
    body = get(client, key, "/api/v2/reports")
    assert body["status"] == {"message": "Success", "code": "200"}
    report = next(r for r in body["data"] if r["info"]["name"] == "SLA")
    assert report["tenant"] == "EGI"
    assert report["disabled"] is False
    assert report["topology_schema"] == {"group": {"type": "PROJECT", "group": {"type": "SITES"}}}
    assert report["info"]["description"] == "SLA for tests"
    assert len(report["info"]["created"]) == len("2025-03-06 12:53:27")
    assert {p["type"] for p in report["profiles"]} == {"operations", "metric", "aggregation"}
    assert all(len(p["id"]) == 36 for p in report["profiles"])
    assert report["thresholds"]["availability"] == 80
    assert get(client, key, f"/api/v2/reports/{report['id']}")["data"] == [report]
    missing = get(client, key, "/api/v2/reports/nope", 404)
    assert (
        missing["errors"][0]["details"] == "item with the specific ID was not found on the server"
    )


@pytest.mark.parametrize(
    "url",
    [
        "/api/v2/reports",
        f"/api/v2/results/Report_A/GROUP?{SPAN}",
        f"/api/v2/status/SLA/SITES?{DAY}",
        f"/api/v3/results/Report_A?{SPAN}",
        "/api/v3/status/SLA",
    ],
)
def test_a_missing_or_wrong_key_is_refused_in_argos_shape(
    client: TestClient, key: dict[str, str], url: str
) -> None:
    for headers in ({}, {"x-api-key": "AWRONGKEY"}, {"x-api-key": "fct_revoked-or-unknown"}):
        response = client.get(url, headers=headers)
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED


def test_bearer_token_is_accepted_too(
    client: TestClient, key: dict[str, str], federation: Federation
) -> None:
    response = client.get(f"/api/v3/results/Report_A?{SPAN}", headers=federation.operator.headers)
    assert response.status_code == 200


def test_a_forged_bearer_token_is_refused_in_argos_shape_even_with_a_good_key(
    client: TestClient, key: dict[str, str]
) -> None:
    forged = {"Authorization": "Bearer fct_forged"}
    for headers in (forged, {**key, **forged}):
        refused = client.get(f"/api/v3/results/Report_A?{SPAN}", headers=headers)
        assert refused.status_code == 401
        assert refused.json() == UNAUTHORIZED


def test_argos_errors(client: TestClient, key: dict[str, str]) -> None:
    assert get(client, key, f"/api/v2/results/Report_A/?{SPAN}", 404) == {
        "message": "The report Report_A does not define any group type: ",
        "code": 404,
    }
    assert get(client, key, f"/api/v2/results/Report_B/SITES?{SPAN}", 404) == {
        "message": "The report with the name Report_B does not exist",
        "code": 404,
    }
    assert get(client, key, f"/api/v2/results/Report_A/CLUSTERS?{SPAN}", 404) == {
        "message": "The report Report_A does not define any group type: CLUSTERS",
        "code": 404,
    }
    wrong_type = get(client, key, f"/api/v2/results/Report_A/GROUP/GROUP_A/CLUSTERS?{SPAN}", 400)
    assert wrong_type["errors"] == [
        {
            "message": "Endpoint Group type not in report",
            "code": "400",
            "details": "Endpoint Group type CLUSTERS not present in report Report_A. "
            "Try using SITES instead",
        }
    ]
    empty = "start_time=2025-06-22T00:00:00Z&end_time=2025-06-23T23:59:59Z"
    assert get(client, key, f"/api/v2/results/Report_A/GROUP/GROUP_A/SITES?{empty}", 404) == {
        "message": "No results found for given query",
        "code": 404,
    }
    for url in (
        "/api/v3/results/Report_A",
        "/api/v3/results/Report_A?start_time=2015-06-23T23:00:00Z",
    ):
        body = get(client, key, url, 400)
        assert body["status"] == {"message": "Bad Request", "code": "400"}
        assert body["errors"][0]["message"] == "No time span set"
    bad_time = get(
        client,
        key,
        "/api/v3/status/SLA?start_time=2015-06-20AT12:00:00Z&end_time=2015-06-23T23:00:00Z",
        400,
    )
    assert bad_time["errors"][0]["details"] == (
        "Error parsing start_time=2015-06-20AT12:00:00Z - please use zulu format like "
        "2006-01-02T15:04:05Z"
    )
    grain = get(client, key, f"/api/v3/results/Report_A?{SPAN}&granularity=weekly", 400)
    assert grain["errors"][0]["message"] == "Wrong Granularity"
    latest = get(client, key, f"/api/v3/status/SLA?{DAY}&view=latest", 400)
    assert "view=latest" in latest["errors"][0]["details"]


def test_the_e2e_day_computed_through_the_real_path_is_served_as_argo_expects(
    client: TestClient, federation: Federation, session: Session, shared_dir: Path
) -> None:
    """The case's day computed from results posted over HTTP, with the registry's topology
    and downtimes (as in ``test_computation.py``): every expected daily A/R and group timeline
    comes back through v2 and v3."""
    case = load_case(shared_dir)
    operator = federation.operator
    build_registry(session, operator.principal, case)
    load_through_api(client, operator.headers, case)
    publish(client, operator.token, case)
    computed = client.post("/api/monitoring/reports/SLA/days/2022-01-14", headers=operator.headers)
    assert computed.status_code == 200, computed.text
    key = {"x-api-key": operator.token}
    expected = case["expected"]["ar"]

    def numbers(row: dict[str, Any], key: str) -> dict[str, str]:
        return {
            key: "2022-01-14",
            "availability": go_g(row["availability"]),
            "reliability": go_g(row["reliability"]),
            "unknown": go_g(row["unknown"]),
            "uptime": go_g(row["up"]),
            "downtime": go_g(row["down"]),
        }

    v3 = get(client, key, f"/api/v3/results/SLA?{DAY}")
    served = {g["name"]: g["results"] for s in v3["results"] for g in s["groups"]}
    assert served == {g["group"]: [numbers(g, "date")] for g in expected["groups"]}
    for row in expected["services"]:
        body = get(
            client, key, f"/api/v2/results/SLA/SITES/{row['group']}/services/{row['service']}?{DAY}"
        )
        assert body["results"][0]["serviceflavors"][0]["results"] == [numbers(row, "timestamp")]
    for row in expected["endpoints"]:
        path = f"SITES/{row['group']}/services/{row['service']}/endpoints/{row['hostname']}"
        body = get(client, key, f"/api/v2/results/SLA/{path}?{DAY}")
        endpoint = body["results"][0]["serviceflavors"][0]["endpoints"][0]
        assert endpoint["results"] == [numbers(row, "timestamp")]
    status = get(client, key, f"/api/v3/status/SLA?{DAY}")
    assert {g["name"]: g["statuses"][:-1] for g in status["groups"]} == {
        line["group"]: [{"timestamp": t, "value": v} for t, v in line["timeline"]]
        for line in case["expected"]["group_timelines"]
    }
