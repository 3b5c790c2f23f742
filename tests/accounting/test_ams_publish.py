"""The AMS project of accounting (``compat/ams.py``, docs/accounting.md "The signed path"): what
``ssmsend`` sends with ``protocol: AMS``, S/MIME-signed by a site's host certificate, is stored
with the host DN as publisher; every refusal is answered in AMS's error shape naming the
message, with nothing stored but the rejection; a request is all or nothing."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fedcore.accounting.enums import MessageStatus, Transport
from fedcore.accounting.formats.records import RecordKind
from fedcore.accounting.models import RECORD_TABLES, Message, StorageGroupAttribute
from fedcore.accounting.service.loader import MAX_MESSAGE_BYTES
from fedcore.core.config import Settings
from fedcore.core.db import Base
from fedcore.registry import service as registry
from fedcore.registry.schemas import ServiceCreate, ServiceTypeCreate, SiteCreate
from tests.registry.factories import Federation
from tests.support.smime import ca_directory, sign
from tests.support.tls import Pki, make_host_certificate, make_pki, subject_of

URL = "/v1/projects/accounting/topics/accounting:publish"
SAMPLES = "samples/accounting"
ALPHA_DN = "/DC=org/DC=example/O=fedcore tests/CN=apel.site-alpha.example.org"
CLOUD_DN = "/DC=org/DC=example/O=fedcore tests/CN=accounting.example-cloud.org"
STRANGER_DN = "/DC=org/DC=example/O=fedcore tests/CN=apel.nowhere.example.org"
UNSIGNED_ERROR = "Failed to verify message: Error reading S/MIME message; no content type"
Host = tuple[Path, Path]
"""A host certificate file and its key file."""


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def ca_dir(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ca_directory(pki.ca_cert, tmp_path_factory.mktemp("certificates"))


@pytest.fixture(scope="module")
def hosts(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Host]:
    """Host certificates by DN, of the test CA; ``foreign`` has ALPHA_DN from another CA."""
    root = tmp_path_factory.mktemp("hosts")
    made = {
        dn: make_host_certificate(pki, subject_of(dn), root / str(n))
        for n, dn in enumerate((ALPHA_DN, CLOUD_DN, STRANGER_DN))
    }
    other_ca = make_pki(root / "other-ca")
    made["foreign"] = make_host_certificate(other_ca, subject_of(ALPHA_DN), root / "foreign")
    return made


@pytest.fixture
def settings(settings: Settings, ca_dir: Path) -> Settings:
    settings.accounting_ca_dir = ca_dir
    return settings


@pytest.fixture
def sites(session: Session, federation: Federation) -> None:
    """SITE-ALPHA with a gLite-APEL service of host ALPHA_DN, EXAMPLE-CLOUD-01 with a cloud
    accounting service of host CLOUD_DN; STRANGER_DN registers nothing."""
    operator = federation.operator.principal
    registry.create_service_type(
        session=session,
        actor=operator,
        data=ServiceTypeCreate(name="eu.egi.cloud.accounting", description="cloud accounting"),
    )
    for site, service_type, hostname, dn in [
        ("SITE-ALPHA", "gLite-APEL", "apel.site-alpha.example.org", ALPHA_DN),
        ("EXAMPLE-CLOUD-01", "eu.egi.cloud.accounting", "accounting.example-cloud.org", CLOUD_DN),
    ]:
        registry.create_site(
            session=session,
            actor=operator,
            data=SiteCreate(short_name=site, ngi="NGI_TEST", country_code="CH", scopes=["EGI"]),
        )
        registry.create_service(
            session=session,
            actor=operator,
            data=ServiceCreate(
                hostname=hostname,
                service_type=service_type,
                site=site,
                scopes=["EGI"],
                host_dn=dn,
            ),
        )
    # A refused request rolls the session back to its last savepoint: keep the sites.
    session.commit()


@pytest.fixture
def token(federation: Federation, sites: None) -> str:
    """An AMS key of a subject that publishes for no site: the signer decides the sites."""
    return federation.member.token


def sample(shared_dir: Path, name: str) -> bytes:
    return (shared_dir / SAMPLES / name).read_bytes()


def publish(client: TestClient, token: str | None, *bodies: bytes, empaid: str = "") -> Response:
    """One AMS publish request of BODIES, as argo-ams-library sends it for ssm."""
    messages = [
        {
            "attributes": {"empaid": empaid or f"6b0860e0/6b086112e39b4{n}"},
            "data": base64.b64encode(body).decode(),
        }
        for n, body in enumerate(bodies)
    ]
    headers = {"x-api-key": token} if token else {}
    return client.post(URL, headers=headers, json={"messages": messages})


def rows(session: Session) -> dict[str, int]:
    """How many rows each record table (and the StAR group attributes) holds, if any."""
    tables: list[type[Base]] = [*RECORD_TABLES.values(), StorageGroupAttribute]
    counts = {
        t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0 for t in tables
    }
    return {name: count for name, count in counts.items() if count}


def messages(session: Session) -> list[tuple[Any, ...]]:
    """The message rows: status, transport, publisher, signer DN, error."""
    statement = select(
        Message.status, Message.transport, Message.publisher, Message.signer_dn, Message.error
    ).order_by(Message.id)
    return [tuple(row) for row in session.execute(statement)]


def ams_error(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


@pytest.mark.parametrize(
    ("name", "dn", "kind", "stored"),
    [
        ("job_v03_individual.txt", ALPHA_DN, RecordKind.JOB, 21),
        ("storage_star_caso.xml", CLOUD_DN, RecordKind.STORAGE, 3),
        ("accelerator_v01_caso.json", CLOUD_DN, RecordKind.ACCELERATOR, 3),
    ],
    ids=["job text", "StAR XML", "accelerator JSON"],
)
def test_a_signed_message_is_stored_with_the_host_dn_as_publisher(
    client: TestClient,
    session: Session,
    shared_dir: Path,
    hosts: dict[str, Host],
    token: str,
    name: str,
    dn: str,
    kind: RecordKind,
    stored: int,
) -> None:
    answer = publish(client, token, sign(sample(shared_dir, name), *hosts[dn]), empaid="m-1")
    assert answer.status_code == 200, answer.text
    (message_id,) = answer.json()["messageIds"]
    message = session.get(Message, int(message_id))
    assert message is not None
    assert (message.status, message.kind, message.transport, message.empaid) == (
        MessageStatus.ACCEPTED,
        kind,
        Transport.AMS,
        "m-1",
    )
    assert (message.publisher, message.signer_dn, message.record_count) == (dn, dn, stored)
    columns = RECORD_TABLES[kind].__table__.c
    publishers = session.execute(
        select(columns.publisher, columns.message_id, func.count()).group_by(
            columns.publisher, columns.message_id
        )
    ).all()
    assert [tuple(row) for row in publishers] == [(dn, message.id, stored)]


def test_refusals_name_the_message_and_store_only_the_rejection(
    client: TestClient,
    session: Session,
    shared_dir: Path,
    hosts: dict[str, Host],
    token: str,
) -> None:
    """Each refusal in AMS's shape with APEL's wording; no record stored, the refused body
    kept as rejected with the same reason."""
    job = sample(shared_dir, "job_v03_individual.txt")
    signed = sign(job, *hosts[ALPHA_DN])
    tampered = signed.replace(b"WallDuration: 11686", b"WallDuration: 11687", 1)
    assert tampered != signed
    bad_record = job.replace(b"WallDuration: 11686", b"WallDuration: 12h", 1)
    foreign_error = (
        "Failed to verify message: Verification failure; certificate verify error: "
        "Verify error: unable to get local issuer certificate"
    )
    cases = [
        (job, 400, "INVALID_ARGUMENT", UNSIGNED_ERROR, None),
        (sign(job, *hosts["foreign"]), 400, "INVALID_ARGUMENT", foreign_error, None),
        (
            tampered,
            400,
            "INVALID_ARGUMENT",
            "Failed to verify message: Verification failure; digest failure; signature failure",
            None,
        ),
        (
            sign(job, *hosts[STRANGER_DN]),
            403,
            "FORBIDDEN",
            f"Signer not in valid DNs list: {STRANGER_DN}",
            STRANGER_DN,
        ),
        (
            sign(sample(shared_dir, "summary_v02.txt"), *hosts[ALPHA_DN]),
            403,
            "FORBIDDEN",
            f"publisher {ALPHA_DN} may not publish for site SITE-BETA",
            ALPHA_DN,
        ),
        (
            sign(bad_record, *hosts[ALPHA_DN]),
            400,
            "INVALID_ARGUMENT",
            "Parsing unsuccessful: record 1: Invalid int value 12h in field WallDuration",
            ALPHA_DN,
        ),
    ]
    member = "member@fedcore.test"
    for body, code, status, reason, signer in cases:
        answer = publish(client, token, body)
        assert (answer.status_code, answer.json()) == (
            code,
            ams_error(code, status, f"message 0: {reason}"),
        )
        assert rows(session) == {}
        assert messages(session)[-1] == (
            MessageStatus.REJECTED,
            Transport.AMS,
            signer or member,
            signer,
            reason,
        )
    assert len(messages(session)) == len(cases)


def test_without_a_ca_directory_nothing_signed_is_accepted(
    client: TestClient,
    session: Session,
    settings: Settings,
    shared_dir: Path,
    hosts: dict[str, Host],
    token: str,
) -> None:
    settings.accounting_ca_dir = None
    signed = sign(sample(shared_dir, "job_v03_individual.txt"), *hosts[ALPHA_DN])
    answer = publish(client, token, signed)
    reason = (
        "Failed to verify message: no CA directory is configured (FEDCORE_ACCOUNTING_CA_DIR), "
        "so signed messages cannot be accepted"
    )
    assert (answer.status_code, answer.json()) == (
        400,
        ams_error(400, "INVALID_ARGUMENT", f"message 0: {reason}"),
    )
    assert rows(session) == {}
    assert [(m[0], m[4]) for m in messages(session)] == [(MessageStatus.REJECTED, reason)]


def test_a_request_is_all_or_nothing(
    client: TestClient,
    session: Session,
    shared_dir: Path,
    hosts: dict[str, Host],
    token: str,
) -> None:
    """The second message's defect undoes the first, which was valid; sent alone after the
    refusal, the first is stored."""
    job = sample(shared_dir, "job_v03_individual.txt")
    bad = sign(job.replace(b"WallDuration: 11686", b"WallDuration: 12h", 1), *hosts[ALPHA_DN])
    good = sign(sample(shared_dir, "sync_v01.txt"), *hosts[ALPHA_DN])
    answer = publish(client, token, good, bad)
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == (
        "message 1: Parsing unsuccessful: record 1: Invalid int value 12h in field WallDuration"
    )
    assert rows(session) == {}
    assert [m[0] for m in messages(session)] == [MessageStatus.REJECTED]

    resent = publish(client, token, good)
    assert resent.status_code == 200, resent.text
    assert rows(session) == {"accounting_sync": 3}


def test_two_good_messages_get_one_id_each(
    client: TestClient,
    session: Session,
    shared_dir: Path,
    hosts: dict[str, Host],
    token: str,
) -> None:
    job = sign(sample(shared_dir, "job_v03_individual.txt"), *hosts[ALPHA_DN])
    sync = sign(sample(shared_dir, "sync_v01.txt"), *hosts[ALPHA_DN])
    answer = publish(client, token, job, sync)
    assert answer.status_code == 200, answer.text
    ids = answer.json()["messageIds"]
    stored = session.scalars(select(Message.id).order_by(Message.id)).all()
    assert len(ids) == 2
    assert ids == [str(i) for i in stored]
    assert rows(session) == {"accounting_job": 21, "accounting_sync": 3}


def test_a_ping_is_acknowledged_and_not_stored(
    client: TestClient, session: Session, hosts: dict[str, Host], token: str
) -> None:
    """SSM's connectivity test: empa-id ``ping``, body ``ping``, signed as every message."""
    answer = publish(client, token, sign(b"ping", *hosts[ALPHA_DN]), empaid="ping")
    assert (answer.status_code, answer.json()) == (200, {"messageIds": ["0"]})
    assert rows(session) == {}
    assert messages(session) == []


def test_without_a_key_nothing_is_read(
    client: TestClient, session: Session, shared_dir: Path, hosts: dict[str, Host], sites: None
) -> None:
    signed = sign(sample(shared_dir, "job_v03_individual.txt"), *hosts[ALPHA_DN])
    answer = publish(client, None, signed)
    assert (answer.status_code, answer.json()) == (
        401,
        ams_error(401, "UNAUTHORIZED", "Unauthorized"),
    )
    assert rows(session) == {}
    assert messages(session) == []


def test_a_message_over_the_size_limit_is_refused_in_ams_shape_and_leaves_no_trace(
    client: TestClient,
    session: Session,
    shared_dir: Path,
    hosts: dict[str, Host],
    token: str,
) -> None:
    sync = sign(sample(shared_dir, "sync_v01.txt"), *hosts[ALPHA_DN])
    huge = sign(b"x" * (MAX_MESSAGE_BYTES + 1), *hosts[ALPHA_DN])
    answer = publish(client, token, sync, huge)
    assert (answer.status_code, answer.json()) == (
        413,
        ams_error(
            413,
            "INVALID_ARGUMENT",
            f"message 1: a message may have at most {MAX_MESSAGE_BYTES} bytes, this one has "
            f"{MAX_MESSAGE_BYTES + 1}: send fewer records per message",
        ),
    )
    assert rows(session) == {}
    assert messages(session) == []
