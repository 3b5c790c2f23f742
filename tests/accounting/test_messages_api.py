"""``/api/accounting/messages``: publishing one message (202, 400 with APEL's reason naming the
record and field, 401, 403, 413), and reading messages back with their visibility (operators
see all, a publisher the messages it published)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fedcore.accounting.models import JobRecord, Message, SyncRecord
from fedcore.accounting.service.loader import MAX_MESSAGE_BYTES
from fedcore.accounting.service.publishers import add_publisher
from tests.registry.factories import ADMIN, Actor, Federation, make_actor

SAMPLES = "samples/accounting"
URL = "/api/accounting/messages"
PUBLISHER = "apel-publisher@clients.fedcore.test"
TEXT = {"Content-Type": "text/plain"}


def sample(shared_dir: Path, name: str) -> bytes:
    return (shared_dir / SAMPLES / name).read_bytes()


def sync_for(shared_dir: Path, site: str) -> bytes:
    return sample(shared_dir, "sync_v01.txt").replace(b"SITE-ALPHA", site.encode())


@pytest.fixture
def publisher(session: Session, federation: Federation) -> Actor:
    """A service account bound to publish for TEST-SITE."""
    add_publisher(
        session=session, actor=federation.site_admin.principal, site="TEST-SITE", subject=PUBLISHER
    )
    actor = make_actor(session, PUBLISHER)
    session.commit()
    return actor


def post(client: TestClient, actor: Actor, body: bytes) -> Any:
    return client.post(URL, content=body, headers={**actor.headers, **TEXT})


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


# --- POST ----------------------------------------------------------------------------------------


def test_a_message_is_stored_and_answered_202_with_its_counts(
    client: TestClient, session: Session, shared_dir: Path, federation: Federation
) -> None:
    response = post(client, federation.operator, sample(shared_dir, "job_v03_individual.txt"))
    assert response.status_code == 202, response.text
    body = response.json()
    assert body == {"message_id": body["message_id"], "kind": "job", "records": 21, "stored": 21}
    assert count(session, JobRecord) == 21
    again = post(client, federation.operator, sample(shared_dir, "job_v03_individual.txt"))
    assert again.json() == {**body, "stored": 0}


def test_a_defect_is_a_400_problem_naming_the_record_and_field(
    client: TestClient, session: Session, shared_dir: Path, federation: Federation
) -> None:
    records = sample(shared_dir, "job_v03_individual.txt").decode().split("%%")
    records[2] = re.sub(r"WallDuration: \d+", "WallDuration: 12h", records[2], count=1)
    bad = "%%".join(records)
    response = post(client, federation.operator, bad.encode())
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["detail"] == (
        "Parsing unsuccessful: record 3: Invalid int value 12h in field WallDuration"
    )
    assert problem["errors"] == [
        {
            "field": "records[3].WallDuration",
            "message": "Invalid int value 12h in field WallDuration",
        }
    ]
    assert count(session, JobRecord) == 0
    rejected = session.scalars(select(Message)).one()
    assert (rejected.status, rejected.transport, rejected.body) == ("rejected", "api", bad)


def test_without_a_token_401(client: TestClient, shared_dir: Path) -> None:
    response = client.post(URL, content=sample(shared_dir, "sync_v01.txt"), headers=TEXT)
    assert response.status_code == 401
    assert response.json()["errors"][0]["field"] == "token"


def test_a_bound_publisher_publishes_its_site_and_gets_403_for_another(
    client: TestClient, session: Session, shared_dir: Path, publisher: Actor
) -> None:
    accepted = post(client, publisher, sync_for(shared_dir, "TEST-SITE"))
    assert accepted.status_code == 202, accepted.text
    refused = post(client, publisher, sync_for(shared_dir, "OTHER-SITE"))
    assert refused.status_code == 403
    assert refused.json()["detail"] == f"publisher {PUBLISHER} may not publish for site OTHER-SITE"
    assert set(session.scalars(select(SyncRecord.site))) == {"TEST-SITE"}


def test_a_body_over_10_mb_is_refused_413_by_its_content_length(
    client: TestClient, session: Session, federation: Federation
) -> None:
    body = b"APEL-sync-message: v0.1\n" + b" " * MAX_MESSAGE_BYTES
    response = post(client, federation.operator, body)
    assert response.status_code == 413
    assert response.json()["errors"][0]["field"] == "body"
    assert str(len(body)) in response.json()["detail"]
    assert count(session, Message) == 0


# --- GET -----------------------------------------------------------------------------------------


@pytest.fixture
def received(
    client: TestClient,
    session: Session,
    shared_dir: Path,
    federation: Federation,
    publisher: Actor,
) -> dict[str, int]:
    """Three messages: the operator's cloud sample, the publisher's sync records of TEST-SITE
    (accepted) and of OTHER-SITE (rejected)."""
    cloud = post(client, federation.operator, sample(shared_dir, "cloud_v04_caso.txt"))
    sync = post(client, publisher, sync_for(shared_dir, "TEST-SITE"))
    assert post(client, publisher, sync_for(shared_dir, "OTHER-SITE")).status_code == 403
    refused = session.scalars(select(Message.id).where(Message.status == "rejected")).one()
    return {
        "cloud": cloud.json()["message_id"],
        "sync": sync.json()["message_id"],
        "refused": refused,
    }


def listed(client: TestClient, actor: Actor, **params: Any) -> Any:
    response = client.get(URL, params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_operators_list_every_message_with_filters_and_pages(
    client: TestClient, federation: Federation, received: dict[str, int]
) -> None:
    operator = federation.operator
    everything = listed(client, operator)
    assert [m["id"] for m in everything["items"]] == [
        received["cloud"],
        received["sync"],
        received["refused"],
    ]
    assert everything["next_cursor"] is None
    assert [m["id"] for m in listed(client, operator, status="rejected")["items"]] == [
        received["refused"]
    ]
    assert [m["id"] for m in listed(client, operator, kind="cloud")["items"]] == [received["cloud"]]
    assert [m["id"] for m in listed(client, operator, publisher=PUBLISHER)["items"]] == [
        received["sync"],
        received["refused"],
    ]
    first = listed(client, operator, limit=2)
    assert [m["id"] for m in first["items"]] == [received["cloud"], received["sync"]]
    rest = listed(client, operator, limit=2, cursor=first["next_cursor"])
    assert ([m["id"] for m in rest["items"]], rest["next_cursor"]) == ([received["refused"]], None)


def test_a_publisher_sees_only_the_messages_it_published(
    client: TestClient, federation: Federation, publisher: Actor, received: dict[str, int]
) -> None:
    assert [m["id"] for m in listed(client, publisher)["items"]] == [
        received["sync"],
        received["refused"],
    ]
    assert listed(client, publisher, publisher=ADMIN)["items"] == []
    assert listed(client, federation.member)["items"] == []
    hidden = client.get(f"{URL}/{received['cloud']}", headers=publisher.headers)
    assert hidden.status_code == 404
    assert hidden.json()["errors"][0]["field"] == "message_id"
    assert client.get(URL).status_code == 401


def test_a_message_reads_back_with_its_header_counts_and_a_rejected_ones_body(
    client: TestClient, shared_dir: Path, publisher: Actor, received: dict[str, int]
) -> None:
    accepted = client.get(f"{URL}/{received['sync']}", headers=publisher.headers).json()
    assert accepted == {
        "id": received["sync"],
        "status": "accepted",
        "kind": "sync",
        "header": "APEL-sync-message: v0.1",
        "transport": "api",
        "publisher": PUBLISHER,
        "signer_dn": None,
        "empaid": None,
        "first_received_at": accepted["first_received_at"],
        "last_received_at": accepted["first_received_at"],
        "records": 3,
        "error": None,
        "body": None,
    }
    assert accepted["first_received_at"].endswith("Z")
    rejected = client.get(f"{URL}/{received['refused']}", headers=publisher.headers).json()
    assert (rejected["status"], rejected["kind"], rejected["records"]) == ("rejected", None, 0)
    assert rejected["error"] == f"publisher {PUBLISHER} may not publish for site OTHER-SITE"
    assert rejected["body"] == sync_for(shared_dir, "OTHER-SITE").decode()
