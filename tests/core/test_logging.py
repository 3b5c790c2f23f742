"""No token reaches the log: AMS clients send theirs in the ``key`` query parameter, which
uvicorn's access log writes with the path."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from tests.monitoring.test_ingestion import AMS, avro, record
from tests.registry.factories import Federation


def server_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the server logged (not the test's HTTP client, which logs its own requests)."""
    return [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]


def test_a_publish_with_its_key_in_the_query_logs_no_token(
    client: TestClient, federation: Federation, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    token = federation.operator.token
    response = client.post(
        AMS, params={"key": token}, json={"messages": [{"data": avro(record())}]}
    )
    assert response.status_code == 200, response.text
    # uvicorn's access lines (uvicorn.protocols.http.h11_impl) for that request and for a
    # token in access_token
    for query in (f"key={token}", f"state=s&access_token={token}"):
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:50000", "POST", f"{AMS}?{query}", "1.1", 200
        )

    lines = server_lines(caplog)
    assert [r.msg["path"] for r in caplog.records if r.name == "fedcore.web"] == [AMS]
    assert f'127.0.0.1:50000 - "POST {AMS}?key=*** HTTP/1.1" 200' in lines
    assert f'127.0.0.1:50000 - "POST {AMS}?state=s&access_token=*** HTTP/1.1" 200' in lines
    assert not [line for line in lines if token in line]
