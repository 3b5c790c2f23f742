"""argo-ams-library (PyPI, ARGO's messaging client, which APEL's ``ssmsend`` and ARGO's
ams-publisher use) publishes to a real fedcore server over HTTPS, unchanged: the library builds
``https://<host:port>/v1/projects/<project>/topics/<topic>:publish`` itself, base64-encodes each
message's data, sends the token in ``x-api-key`` and reads ``messageIds`` from the answer.

Monitoring: Avro ``metric_data`` records, as ams-publisher sends them to project ``EGI``, topic
``metric_data``. Accounting: the messages cASO writes into its queue, S/MIME-signed as ``ssmsend``
signs them with the host certificate of the site's registered accounting service, published to
project ``accounting`` as ``ssmsend`` does with ``protocol: AMS`` (one message per request, SSM's
``empaid`` attribute). Refusals (an unsigned body, a key the server did not issue) reach the
library in AMS's error shape. APEL's ``ssm`` (package ``apel-ssm``) is not on PyPI, so this
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
from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.accounting.models import RECORD_TABLES
from fedcore.core.db import make_engine
from fedcore.monitoring.models import MetricResult
from fedcore.monitoring.service.results import METRIC_DATA_SCHEMA
from tests.support.ams_client import RunClient, publish_with_ams_library
from tests.support.dirq import caso_messages, produce_caso_queue
from tests.support.server import ADMIN_SUBJECT, FedcoreServer, running_server
from tests.support.smime import ca_directory, sign
from tests.support.tls import Pki, make_host_certificate, subject_of

pytestmark = pytest.mark.interop

ATTRIBUTES = {"type": "metric_data", "partition_date": "2022-01-14"}
"""The attributes ams-publisher sets on each metric result."""


CASO_SITE = "CASO-CLOUD-01"
CASO_HOST_DN = "/DC=org/DC=example/O=fedcore tests/CN=accounting.caso-cloud.example.org"
"""The host DN of the cASO site's accounting service, as the registry stores it."""
CASO_PUBLISHER = "caso-publisher@clients.fedcore.test"
"""The subject of the AMS key the site's sender uses (publishing for no site of its own)."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[FedcoreServer]:
    """A fedcore server that trusts the test CA for signed accounting messages."""
    root = tmp_path_factory.mktemp("ams")
    settings = {
        "FEDCORE_JOBS_ENABLED": "false",
        "FEDCORE_ACCOUNTING_CA_DIR": str(ca_directory(pki.ca_cert, root / "certificates")),
    }
    with running_server(root, pki, settings=settings) as running:
        yield running


def token_of(server: FedcoreServer, subject: str) -> str:
    return server.cli("token", "create", "--subject", subject).strip().splitlines()[-1]


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
    token = token_of(server, ADMIN_SUBJECT)

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
    token = token_of(server, ADMIN_SUBJECT)
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


def register_caso_site(server: FedcoreServer) -> None:
    """The cASO site in the registry, with an ``eu.egi.cloud.accounting`` service whose host
    DN is CASO_HOST_DN, through the registry's REST API as an operator."""
    headers = {"Authorization": f"Bearer {token_of(server, ADMIN_SUBJECT)}"}
    with server.http(headers=headers) as http:
        for path, body in [
            ("scopes", {"name": "EGI"}),
            ("projects", {"name": "EGI"}),
            ("ngis", {"name": "NGI_CLOUD", "projects": ["EGI"], "scopes": ["EGI"]}),
            ("service-types", {"name": "eu.egi.cloud.accounting", "description": "cASO"}),
            (
                "sites",
                {
                    "short_name": CASO_SITE,
                    "ngi": "NGI_CLOUD",
                    "country_code": "ES",
                    "scopes": ["EGI"],
                },
            ),
            (
                "services",
                {
                    "hostname": "accounting.caso-cloud.example.org",
                    "service_type": "eu.egi.cloud.accounting",
                    "site": CASO_SITE,
                    "scopes": ["EGI"],
                    "host_dn": CASO_HOST_DN,
                },
            ),
        ]:
            created = http.post(f"/api/registry/{path}", json=body)
            assert created.status_code == 201, created.text


def test_the_library_publishes_signed_caso_messages_to_project_accounting(
    server: FedcoreServer,
    run_client: RunClient,
    pki: Pki,
    tmp_path: Path,
) -> None:
    """cASO's queue, each message signed by the site's host certificate, published message by
    message; each id names a stored message whose records carry the host DN as publisher."""
    register_caso_site(server)
    queue = produce_caso_queue(run_client, tmp_path / "outgoing")
    host = make_host_certificate(pki, subject_of(CASO_HOST_DN), tmp_path / "host")
    signed = []
    for path in caso_messages(queue):
        target = tmp_path / "signed" / path.name
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(sign(path.read_bytes(), *host))
        signed.append((target, {"empaid": f"caso/{path.name}"}))

    answer = publish_with_ams_library(
        run_client,
        server,
        token=token_of(server, CASO_PUBLISHER),
        project="accounting",
        topic="accounting",
        messages=signed,
    )

    assert "refused" not in answer
    assert [len(ids) for ids in answer["published"]] == [1, 1, 1, 1]
    headers = {"Authorization": f"Bearer {token_of(server, ADMIN_SUBJECT)}"}
    with server.http(headers=headers) as http:
        read = [
            http.get(f"/api/accounting/messages/{ids[0]}").json() for ids in answer["published"]
        ]
    assert [
        (m["status"], m["kind"], m["records"], m["transport"], m["publisher"], m["signer_dn"])
        for m in read
    ] == [
        ("accepted", kind, count, "ams", CASO_HOST_DN, CASO_HOST_DN)
        for kind, count in [("cloud", 5), ("public_ip", 4), ("accelerator", 1), ("storage", 2)]
    ]
    assert [m["empaid"] for m in read] == [attributes["empaid"] for _, attributes in signed]
    # VM 1's two October snapshots share a key: 4 cloud rows of 5 records.
    assert stored_rows(server) == {
        "accounting_cloud": (4, {CASO_HOST_DN}),
        "accounting_public_ip": (4, {CASO_HOST_DN}),
        "accounting_accelerator": (1, {CASO_HOST_DN}),
        "accounting_storage": (2, {CASO_HOST_DN}),
    }


def stored_rows(server: FedcoreServer) -> dict[str, tuple[int, set[str]]]:
    """Each record table holding rows, in the server's database: its row count and publishers."""
    engine = make_engine(server.database_url)
    try:
        with Session(engine) as session:
            found = {}
            for model in RECORD_TABLES.values():
                publishers = session.scalars(select(model.__table__.c.publisher)).all()
                if publishers:
                    found[model.__tablename__] = (len(publishers), set(publishers))
            return found
    finally:
        engine.dispose()


def test_a_key_the_server_did_not_issue_reaches_the_library_in_ams_error_shape(
    server: FedcoreServer, run_client: RunClient, shared_dir: Path
) -> None:
    answer = publish_with_ams_library(
        run_client,
        server,
        token="fct_forged",
        project="accounting",
        topic="accounting",
        messages=[(shared_dir / "samples" / "accounting" / "sync_v01.txt", {"empaid": "x"})],
    )
    assert answer["published"] == []
    refused = answer["refused"]
    assert (refused["index"], refused["status_code"]) == (0, 401)
    assert refused["message"] == (
        "While trying the [topic_publish]: the token is unknown, expired or revoked"
    )
