"""Fixtures of the community page tests: people, a browser signed in as one of them, and an
active VO with an AUP and a default enrolment."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fedcore.aai.models import Account, Vo
from fedcore.aai.schemas_vo import VoCreate
from fedcore.aai.service import enrolment, vos
from fedcore.aai.service.enrolment import EnrolmentData
from fedcore.core.security import Principal
from tests.registry.factories import make_actor
from tests.support.pages import sign_in

VO = "bio.example.org"
Browser = Callable[[Account], tuple[TestClient, str]]


def person(session: Session, name: str) -> Account:
    account = Account(
        voperson_id=f"{name}0000@fedcore.test",
        email=f"{name}@example.org",
        email_verified=True,
        name=f"{name.capitalize()} Example",
        given_name=name.capitalize(),
        assurance=["https://refeds.org/assurance/IAP/medium"],
    )
    session.add(account)
    session.flush()
    return account


@pytest.fixture
def browser(app: FastAPI, session: Session) -> Iterator[Browser]:
    """A browser signed in (through the login form) as a person; returns it and its CSRF token."""
    opened: list[TestClient] = []

    def open_for(account: Account) -> tuple[TestClient, str]:
        actor = make_actor(session, account.voperson_id)
        session.commit()
        client = TestClient(app)
        opened.append(client)
        return client, sign_in(client, actor)

    yield open_for
    for client in opened:
        client.close()


@pytest.fixture
def manager(session: Session) -> Account:
    return person(session, "mara")


@pytest.fixture
def active_vo(session: Session, manager: Account) -> Vo:
    """An active VO with an AUP, managed by ``manager``, whose default enrolment needs approval
    and a justification."""
    vo = vos.register_vo(
        session=session,
        actor=Principal(subject="operator", is_admin=True),
        data=VoCreate(
            name=VO, description="Biology", discipline="Life sciences", aup_text="Be nice."
        ),
        manager=manager.voperson_id,
    )
    enrolment.create_enrolment(
        session=session,
        actor=Principal(subject=manager.voperson_id),
        group=vos.root_group(session, vo),
        data=EnrolmentData(name="Researchers", justification_label="Your project", is_default=True),
    )
    session.commit()
    return vo
