"""The mail outbox and SMTP delivery, against a real SMTP server (aiosmtpd) in this process."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import logging
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy.orm import Session

from fedcore.core.config import Settings
from fedcore.core.errors import ValidationFailed
from fedcore.core.logging import configure_logging
from fedcore.core.mail import send_mail
from fedcore.core.models import MailMessage


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[email.message.Message]:
        return [email.message_from_bytes(e.original_content or b"") for e in self.envelopes]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def only_alice(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"alice", b"s3cret/pw")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=only_alice,
        auth_require_tls=False,
    )
    controller.start()
    yield inbox, port
    controller.stop()


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that is its own CA, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def mail_records(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [r.msg for r in caplog.records if r.name == "fedcore.mail" and isinstance(r.msg, dict)]


@pytest.fixture
def structured_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """The app's structlog configuration, with pytest's capture handler kept on the root."""
    configure_logging("INFO", "json")
    logging.getLogger().addHandler(caplog.handler)
    return caplog


def test_without_smtp_the_message_stays_in_the_outbox(
    session: Session, settings: Settings, structured_log: pytest.LogCaptureFixture
) -> None:
    message = send_mail(
        session=session, settings=settings, to="ann@example.org", subject="Hello", body="Hi Ann"
    )
    stored = session.get(MailMessage, message.id)
    assert stored is not None
    assert (stored.recipient, stored.subject, stored.body) == ("ann@example.org", "Hello", "Hi Ann")
    assert stored.sent_at is None
    assert stored.error == ""
    [line] = mail_records(structured_log)
    assert line["event"] == "mail"
    assert line["outcome"] == "outbox"
    assert line["message_id"] == message.id


def test_smtp_delivery_with_login_records_sent_at(
    session: Session,
    settings: Settings,
    smtp_server: tuple[Inbox, int],
    structured_log: pytest.LogCaptureFixture,
) -> None:
    inbox, port = smtp_server
    settings = settings.model_copy(
        update={"smtp_url": f"smtp://alice:s3cret%2Fpw@127.0.0.1:{port}", "mail_from": "op@x.test"}
    )
    message = send_mail(
        session=session,
        settings=settings,
        to="bob@example.org",
        subject="Verify your e-mail",
        body="Open https://example.org/verify?token=abc\n",
    )
    assert message.sent_at is not None
    assert message.error == ""
    [received] = inbox.messages()
    assert received["To"] == "bob@example.org"
    assert received["From"] == "op@x.test"
    assert received["Subject"] == "Verify your e-mail"
    assert received["Message-ID"].endswith("@x.test>")
    assert "https://example.org/verify?token=abc" in received.get_payload()
    assert inbox.envelopes[0].rcpt_tos == ["bob@example.org"]
    assert [line["outcome"] for line in mail_records(structured_log)] == ["sent"]


def test_rejected_login_is_recorded_as_error_not_raised(
    session: Session, settings: Settings, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    settings = settings.model_copy(update={"smtp_url": f"smtp://alice:wrong@127.0.0.1:{port}"})
    message = send_mail(
        session=session, settings=settings, to="c@example.org", subject="S", body=""
    )
    assert message.sent_at is None
    assert message.error.startswith("SMTPAuthenticationError")
    assert inbox.envelopes == []
    assert session.get(MailMessage, message.id) is message


def test_unreachable_server_is_recorded_as_error(
    session: Session, settings: Settings, structured_log: pytest.LogCaptureFixture
) -> None:
    settings = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{free_port()}"})
    message = send_mail(
        session=session, settings=settings, to="d@example.org", subject="S", body=""
    )
    assert message.sent_at is None
    assert "ConnectionRefusedError" in message.error
    [line] = mail_records(structured_log)
    assert line["outcome"] == "failed"
    assert line["error"] == message.error


def test_smtps_verifies_the_server_certificate(
    session: Session, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=context)
    controller.start()
    try:
        settings = settings.model_copy(update={"smtp_url": f"smtps://127.0.0.1:{port}"})
        untrusted = send_mail(
            session=session, settings=settings, to="e@x.org", subject="1", body=""
        )
        assert "CERTIFICATE_VERIFY_FAILED" in untrusted.error
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        trusted = send_mail(session=session, settings=settings, to="e@x.org", subject="2", body="")
        assert trusted.error == ""
        assert trusted.sent_at is not None
        assert [m["Subject"] for m in inbox.messages()] == ["2"]
    finally:
        controller.stop()


@pytest.mark.parametrize(
    ("to", "subject", "field"),
    [("", "S", "to"), ("a@x.org\r\nBcc: b@x.org", "S", "to"), ("a@x.org", "S\nBcc: b", "subject")],
)
def test_header_injection_and_blanks_are_refused(
    session: Session, settings: Settings, to: str, subject: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        send_mail(session=session, settings=settings, to=to, subject=subject, body="x")
    assert caught.value.field == field
    assert session.query(MailMessage).count() == 0


def test_malformed_smtp_url_is_recorded_as_error(session: Session, settings: Settings) -> None:
    settings = settings.model_copy(update={"smtp_url": "http://mail.example.org"})
    message = send_mail(session=session, settings=settings, to="f@x.org", subject="S", body="")
    assert message.sent_at is None
    assert "FEDCORE_SMTP_URL" in message.error
