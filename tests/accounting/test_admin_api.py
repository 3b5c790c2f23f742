"""``GET /api/accounting/sync``, ``GET /api/accounting/data-quality`` and
``POST /api/accounting/summaries:rebuild``: answers, problem documents and who may call them."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fedcore.core.config import Settings
from tests.accounting.factories import load, sample
from tests.registry.factories import Federation

CE01 = "ce01.site-alpha.example.org:9619/ce01.site-alpha.example.org-condor"


def load_samples(session: Session, settings: Settings, shared_dir: Path) -> None:
    load(session, settings, sample(shared_dir, "job_v03_individual.txt"))
    load(session, settings, sample(shared_dir, "sync_v01.txt"))
    session.commit()


def test_sync_status(
    client: TestClient,
    session: Session,
    settings: Settings,
    shared_dir: Path,
    federation: Federation,
) -> None:
    load_samples(session, settings, shared_dir)
    operator = federation.operator.headers
    answer = client.get("/api/accounting/sync", params={"from": "2026-10"}, headers=operator)
    assert answer.status_code == 200, answer.text
    assert answer.json()["items"][0] == {
        "site": "SITE-ALPHA",
        "submit_host": CE01,
        "year": 2026,
        "month": 10,
        "sync_count": 11,
        "received": 11,
        "gap": 0,
        "status": "ok",
    }
    assert [item["month"] for item in answer.json()["items"]] == [10, 10]

    bad = client.get("/api/accounting/sync", params={"to": "2026-1"}, headers=operator)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "to"

    admin = federation.site_admin.headers
    assert client.get("/api/accounting/sync", headers=admin).json()["items"] == []
    refused = client.get("/api/accounting/sync", params={"site": "SITE-ALPHA"}, headers=admin)
    assert refused.status_code == 403
    assert client.get("/api/accounting/sync").status_code == 401


def test_data_quality(
    client: TestClient,
    session: Session,
    settings: Settings,
    shared_dir: Path,
    federation: Federation,
) -> None:
    load_samples(session, settings, shared_dir)
    answer = client.get("/api/accounting/data-quality", headers=federation.operator.headers)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["unknown_sites"] == [
        {"kind": "job", "name": "SITE-ALPHA", "records": 21},
        {"kind": "sync", "name": "SITE-ALPHA", "records": 3},
    ]
    assert [vo["name"] for vo in found["unknown_vos"]] == ["atlas", "biomed", "cms"]
    assert (found["mixed_routes"], found["dirty_groups"], found["rejected_messages"]) == ([], 0, {})
    headers = federation.site_admin.headers
    assert client.get("/api/accounting/data-quality", headers=headers).status_code == 403


def test_rebuild_summaries(
    client: TestClient,
    session: Session,
    settings: Settings,
    shared_dir: Path,
    federation: Federation,
) -> None:
    load_samples(session, settings, shared_dir)
    operator = federation.operator.headers
    url = "/api/accounting/summaries:rebuild"
    answer = client.post(url, headers=operator)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"slices": 2, "groups": 10}
    one_site = client.post(url, json={"site": "SITE-BETA", "kind": "job"}, headers=operator)
    assert one_site.json() == {"slices": 0, "groups": 0}

    no_summary = client.post(url, json={"kind": "sync"}, headers=operator)
    assert no_summary.status_code == 422
    assert no_summary.json()["errors"][0]["field"] == "kind"
    assert client.post(url, headers=federation.site_admin.headers).status_code == 403
