"""argo-ams-library (PyPI, ARGO's messaging client, which APEL's ``ssmsend`` and ARGO's
ams-publisher use) publishes to a real fedcore server over HTTPS, unchanged: the library builds
``https://<host:port>/v1/projects/<project>/topics/<topic>:publish`` itself, base64-encodes each
message's data, sends the token in ``x-api-key`` and reads ``messageIds`` from the answer.

The stored messages are monitoring's: Avro ``metric_data`` records, as ams-publisher sends them
to project ``EGI``, topic ``metric_data``. A refusal of project ``accounting`` shows that errors
reach the library in AMS's shape. APEL's ``ssm`` (package ``apel-ssm``) is not on PyPI, so this
library is the AMS sender the accounting tests drive.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastavro
import pytest
from sqlalchemy.orm import Session

from fedcore.core.db import make_engine
from fedcore.monitoring.models import MetricResult
from fedcore.monitoring.service.results import METRIC_DATA_SCHEMA
from tests.support.ams_client import RunClient, publish_with_ams_library
from tests.support.server import ADMIN_SUBJECT, FedcoreServer, running_server
from tests.support.tls import Pki

pytestmark = pytest.mark.interop

ATTRIBUTES = {"type": "metric_data", "partition_date": "2022-01-14"}
"""The attributes ams-publisher sets on each metric result."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[FedcoreServer]:
    root = tmp_path_factory.mktemp("ams")
    with running_server(root, pki, settings={"FEDCORE_JOBS_ENABLED": "false"}) as running:
        yield running


def avro_file(directory: Path, **record: Any) -> Path:
    """One ``metric_data`` record, Avro-encoded without a container header, in a file."""
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, METRIC_DATA_SCHEMA, record)
    path = directory / f"{record['metric']}.avro"
    path.write_bytes(buffer.getvalue())
    return path


def metric_result(metric: str, status: str) -> dict[str, Any]:
    return {
        "timestamp": "2022-01-14T10:00:00Z",
        "service": "ARC-CE",
        "hostname": "ce.example.org",
        "metric": metric,
        "status": status,
        "monitoring_host": "mon.example.org",
        "summary": f"{status} - job submitted",
        "message": None,
        "actual_data": None,
        "tags": {"endpoint_group": "SITE-A"},
    }


def test_the_library_publishes_metric_results_and_reads_the_message_ids(
    server: FedcoreServer,
    run_client: RunClient,
    tmp_path: Path,
) -> None:
    submit = avro_file(tmp_path, **metric_result("org.nordugrid.ARC-CE-submit", "OK"))
    result = avro_file(tmp_path, **metric_result("org.nordugrid.ARC-CE-result", "CRITICAL"))
    token = server.cli("token", "create", "--subject", ADMIN_SUBJECT).strip().splitlines()[-1]

    answer = publish_with_ams_library(
        run_client,
        server,
        token=token,
        project="EGI",
        topic="metric_data",
        messages=[(submit, ATTRIBUTES), (result, ATTRIBUTES), (submit, ATTRIBUTES)],
    )

    assert "refused" not in answer
    first, second, resent = answer["published"]
    assert len(first) == len(second) == 1
    assert first != second
    assert resent == first  # a result sent twice is stored once
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as session:
            rows = [session.get(MetricResult, int(ids[0])) for ids in (first, second)]
            stored = [
                (r.metric, r.status, r.summary, r.timestamp, r.tags) for r in rows if r is not None
            ]
    finally:
        engine.dispose()
    when = datetime(2022, 1, 14, 10, tzinfo=UTC)
    assert stored == [
        (
            "org.nordugrid.ARC-CE-submit",
            "OK",
            "OK - job submitted",
            when,
            {"endpoint_group": "SITE-A"},
        ),
        (
            "org.nordugrid.ARC-CE-result",
            "CRITICAL",
            "CRITICAL - job submitted",
            when,
            {"endpoint_group": "SITE-A"},
        ),
    ]


def test_a_refusal_reaches_the_library_in_ams_error_shape(
    server: FedcoreServer, run_client: RunClient, shared_dir: Path
) -> None:
    """Project ``accounting`` takes S/MIME-signed bodies only; an unsigned one is refused with
    APEL's wording, in AMS's error shape, which the library reads into its exception."""
    token = server.cli("token", "create", "--subject", ADMIN_SUBJECT).strip().splitlines()[-1]
    unsigned = shared_dir / "samples" / "accounting" / "sync_v01.txt"

    answer = publish_with_ams_library(
        run_client,
        server,
        token=token,
        project="accounting",
        topic="accounting",
        messages=[(unsigned, {"empaid": "6b0860e0/6b086112e39b48"})],
    )

    assert answer["published"] == []
    refused = answer["refused"]
    assert (refused["index"], refused["status_code"]) == (0, 400)
    assert refused["message"].startswith(
        "While trying the [topic_publish]: message 0: Failed to verify message: "
    )
