"""The AMS publish route (core/ams.py): dispatched on the project to its registered handler,
else to the default (monitoring's); the caller authenticated by its AMS key; a handler's
``AmsError`` answered in ARGO's shape with the request's writes rolled back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.core.ams import AmsAnswer, AmsError, AmsProjects, AmsPublish
from fedcore.core.config import Settings
from fedcore.core.models import MailMessage
from fedcore.core.security import Principal, create_api_token
from tests.monitoring.test_ingestion import avro, record
from tests.registry.factories import Federation

PROJECT = "ACCOUNTING-TEST"


class EchoAnswer(AmsAnswer):
    subject: str
    project: str
    topic: str
    attributes: list[dict[str, str]]


def echo(
    *,
    session: Session,
    settings: Settings,
    actor: Principal,
    project: str,
    topic: str,
    body: AmsPublish,
) -> EchoAnswer:
    return EchoAnswer(
        messageIds=[m.data for m in body.messages],
        subject=actor.subject,
        project=project,
        topic=topic,
        attributes=[m.attributes for m in body.messages],
    )


def write_then_refuse(
    *,
    session: Session,
    settings: Settings,
    actor: Principal,
    project: str,
    topic: str,
    body: AmsPublish,
) -> AmsAnswer:
    session.add(MailMessage(recipient="x@example.org", subject="half done", body=""))
    session.flush()
    raise AmsError("message 0: Failed to verify message: no content type")


def projects(app: FastAPI) -> AmsProjects:
    registry: AmsProjects = app.state.ams_projects
    return registry


def test_a_registered_project_goes_to_its_handler_and_others_to_the_default(
    app: FastAPI, client: TestClient, federation: Federation
) -> None:
    projects(app).register(PROJECT, echo)
    body = {"messages": [{"attributes": {"empaid": "m1"}, "data": "c2lnbmVk"}]}
    answer = client.post(
        f"/v1/projects/{PROJECT}/topics/accounting:publish",
        headers={"x-api-key": federation.site_admin.token},
        json=body,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "messageIds": ["c2lnbmVk"],
        "subject": federation.site_admin.principal.subject,
        "project": PROJECT,
        "topic": "accounting",
        "attributes": [{"empaid": "m1"}],
    }
    metric = {"messages": [{"data": avro(record())}]}
    monitoring = client.post(
        "/v1/projects/EGI/topics/metric_data:publish",
        params={"key": federation.operator.token},
        json=metric,
    )
    assert monitoring.status_code == 200, monitoring.text
    assert set(monitoring.json()) == {"messageIds", "refused"}


def test_a_project_without_handler_or_default_is_ams_404() -> None:
    with pytest.raises(AmsError) as refused:
        AmsProjects().handler_for("nowhere")
    assert refused.value.body.model_dump() == {
        "code": 404,
        "message": "Project doesn't exist: nowhere",
        "status": "NOT_FOUND",
    }


def test_a_project_has_one_handler(app: FastAPI) -> None:
    projects(app).register(PROJECT, echo)
    with pytest.raises(ValueError, match=PROJECT):
        projects(app).register(PROJECT, echo)
    with pytest.raises(ValueError, match="default"):
        projects(app).register_default(echo)


def test_an_ams_error_is_answered_in_argo_shape_and_rolls_back(
    app: FastAPI, client: TestClient, federation: Federation, session: Session
) -> None:
    projects(app).register(PROJECT, write_then_refuse)
    refused = client.post(
        f"/v1/projects/{PROJECT}/topics/accounting:publish",
        params={"key": federation.operator.token},
        json={"messages": [{"data": "bm90IHNpZ25lZA=="}]},
    )
    assert refused.status_code == 400
    assert refused.json() == {
        "error": {
            "code": 400,
            "message": "message 0: Failed to verify message: no content type",
            "status": "INVALID_ARGUMENT",
        }
    }
    assert session.scalars(select(MailMessage)).all() == []


def test_a_key_that_does_not_authenticate_is_refused_in_argo_shape_before_any_handler(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    """argo-ams-library reads every refusal as ``{"error": ...}``; a problem document would
    crash it. The handler would write, then refuse: it must not run."""
    projects(app).register(PROJECT, write_then_refuse)
    _, expired = create_api_token(
        session=session, subject="gone@fedcore.test", lifetime=timedelta(seconds=-1)
    )
    session.commit()
    url = f"/v1/projects/{PROJECT}/topics/accounting:publish"
    body = {"messages": [{"data": "c2lnbmVk"}]}
    for answer, reason in [
        (
            client.post(url, params={"key": "fct_forged"}, json=body),
            "the token is unknown, expired or revoked",
        ),
        (
            client.post(url, headers={"x-api-key": expired}, json=body),
            "the token is unknown, expired or revoked",
        ),
        (
            client.post(url, headers={"x-api-key": "not-a-token"}, json=body),
            "the bearer token is not one this server issued",
        ),
    ]:
        assert answer.status_code == 401
        assert answer.json() == {
            "error": {"code": 401, "message": reason, "status": "UNAUTHORIZED"}
        }
    assert session.scalars(select(MailMessage)).all() == []
