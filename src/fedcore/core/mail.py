"""Outgoing mail: every message is kept in the outbox table (:class:`MailMessage`) and, when
``FEDCORE_SMTP_URL`` is set, sent at once through that SMTP server.

``smtp://[user:password@]host[:port]`` speaks plain SMTP (port 25 by default), ``smtps://`` SMTP
over TLS (port 465 by default, the server certificate verified against the system's CAs or
``SSL_CERT_FILE``). A failed delivery does not fail the caller: the row records the error, and
one log line per message says what happened. Without an SMTP URL the outbox row and the log line
are the delivery (development and tests read links from the outbox).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.errors import ValidationFailed
from fedcore.core.logging import get_logger
from fedcore.core.models import MailMessage

log = get_logger("fedcore.mail")

SMTP_TIMEOUT = 10.0
"""Seconds to wait for the SMTP server before recording the delivery as failed."""


def send_mail(
    *, session: Session, settings: Settings, to: str, subject: str, body: str
) -> MailMessage:
    """Store a message in the outbox and send it when an SMTP server is configured."""
    to, subject = to.strip(), subject.strip()
    for name, value in (("to", to), ("subject", subject)):
        if not value or "\r" in value or "\n" in value:
            raise ValidationFailed("must be one non-empty line", field=name)
    message = MailMessage(recipient=to, subject=subject, body=body)
    session.add(message)
    session.flush()
    if settings.smtp_url:
        try:
            _deliver(settings.smtp_url, _compose(settings, message))
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            message.error = f"{type(exc).__name__}: {exc}"[:1000]
        else:
            message.sent_at = utcnow()
        session.flush()
    outcome = "failed" if message.error else "sent" if message.sent_at else "outbox"
    log.info(
        "mail",
        outcome=outcome,
        message_id=message.id,
        recipient=to,
        subject=subject,
        error=message.error or None,
    )
    return message


def _compose(settings: Settings, message: MailMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(message.created_at.timestamp(), usegmt=True)
    domain = settings.mail_from.rpartition("@")[2] or "localhost"
    email["Message-ID"] = make_msgid(idstring=f"fedcore.{message.id}", domain=domain)
    email.set_content(message.body)
    return email


def _deliver(smtp_url: str, email: EmailMessage) -> None:
    parts = urlsplit(smtp_url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("FEDCORE_SMTP_URL must be smtp://host[:port] or smtps://host[:port]")
    host = parts.hostname
    client: smtplib.SMTP
    if parts.scheme == "smtps":
        context = ssl.create_default_context()
        client = smtplib.SMTP_SSL(host, parts.port or 465, timeout=SMTP_TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=SMTP_TIMEOUT)
    with client:
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(email)


def list_mail(*, session: Session, recipient: str = "", limit: int = 10) -> list[MailMessage]:
    """The newest messages of the outbox, optionally for one recipient, newest first."""
    stmt = select(MailMessage).order_by(MailMessage.id.desc()).limit(limit)
    if recipient:
        stmt = stmt.where(MailMessage.recipient == recipient.strip().lower())
    return list(session.scalars(stmt))
