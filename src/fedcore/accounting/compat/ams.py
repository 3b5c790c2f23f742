"""The AMS project of accounting (``FEDCORE_ACCOUNTING_AMS_PROJECT``, APEL's ``ams_project``):
what APEL's ``ssmsend`` and cASO's SSM setups publish with ``protocol: AMS`` (reference §1.1,
§2.1).

Each AMS message's ``data`` is the base64 of one S/MIME-signed APEL message and its
``attributes`` carry SSM's ``empaid``. As APEL's receiver does, the signature is verified
against ``FEDCORE_ACCOUNTING_CA_DIR`` and the signer's host DN must be registered on an
accounting service of every site the records name; the DN is then the records' publisher. The
caller authenticates with its AMS key (a fedcore token), as AMS requires.

A request is all or nothing: its messages are stored in one transaction and the message ids are
answered after the commit (acknowledged means durably stored). A refused message is answered
in AMS's error shape naming its index, and is recorded as rejected, with APEL's reason, for its
publisher to read back.
"""

from __future__ import annotations

import base64
import binascii
from typing import NoReturn

from sqlalchemy.orm import Session

from fedcore.accounting.compat.smime import SignatureError, verify_signed
from fedcore.accounting.enums import Transport
from fedcore.accounting.service import loader
from fedcore.core.ams import AmsAnswer, AmsError, AmsMessage, AmsPublish
from fedcore.core.config import Settings
from fedcore.core.errors import FedcoreError, TooLarge
from fedcore.core.security import Principal

MAX_MESSAGES = 100
"""The most messages one request may carry (SSM sends one per request)."""

_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 413: "INVALID_ARGUMENT"}


def publish(
    *,
    session: Session,
    settings: Settings,
    actor: Principal,
    project: str,
    topic: str,
    body: AmsPublish,
) -> AmsAnswer:
    """Store every message of the request, or none (see the module docstring)."""
    if not actor.is_authenticated:
        raise AmsError("Unauthorized", code=401, status="UNAUTHORIZED")
    if len(body.messages) > MAX_MESSAGES:
        raise AmsError(f"at most {MAX_MESSAGES} messages in one request, got {len(body.messages)}")
    ids: list[str] = []
    for index, message in enumerate(body.messages):
        try:
            outcome = _store(session, settings, actor, message)
        except TooLarge as exc:  # no trace kept of it: the request is rolled back whole
            raise AmsError(f"message {index}: {exc.detail}", code=exc.status) from None
        if isinstance(outcome, tuple):
            _refuse(session, index, *outcome)
        ids.append(outcome)
    return AmsAnswer(messageIds=ids)


def _store(
    session: Session, settings: Settings, actor: Principal, message: AmsMessage
) -> str | tuple[loader.Origin, bytes, FedcoreError]:
    """The stored message's id (``0`` for SSM's ping, which is not stored), or why it is
    refused (with what to record of it)."""
    empaid = message.attributes.get("empaid")
    origin = loader.Origin(Transport.AMS, actor, empaid=empaid)
    try:
        signed = base64.b64decode(message.data, validate=True)
    except (binascii.Error, ValueError) as exc:
        return (
            origin,
            message.data.encode(),
            loader.MessageRejected(f"data is not base64: {exc}", field="data"),
        )
    if settings.accounting_ca_dir is None:
        return (
            origin,
            signed,
            loader.MessageRejected(
                "Failed to verify message: no CA directory is configured "
                "(FEDCORE_ACCOUNTING_CA_DIR), so signed messages cannot be accepted",
                field="data",
            ),
        )
    try:
        signer, content = verify_signed(signed, settings.accounting_ca_dir)
    except SignatureError as exc:
        return origin, signed, loader.MessageRejected(str(exc), field="data")
    origin = loader.Origin(Transport.AMS, actor, signer_dn=signer, empaid=empaid)
    if empaid == loader.PING:
        return "0"
    outcome = loader.submit_message(session=session, settings=settings, origin=origin, body=content)
    if isinstance(outcome, loader.Rejection):
        return origin, content, outcome.error
    return str(outcome.message_id)


def _refuse(
    session: Session, index: int, origin: loader.Origin, body: bytes, error: FedcoreError
) -> NoReturn:
    """Undo the request, keep the refused message's rejection, and answer AMS's error."""
    session.rollback()
    loader.reject_message(session=session, origin=origin, body=body, error=error)
    session.commit()
    raise AmsError(
        f"message {index}: {error.detail}",
        code=error.status,
        status=_STATUS.get(error.status, "INVALID_ARGUMENT"),
    )
