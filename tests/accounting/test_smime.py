"""S/MIME-signed messages (docs/accounting.md, "The signed path"): a message signed as ssm signs
it gives its signer's DN in the registry's HOSTDN form and the records unchanged; unsigned,
tampered, foreign-CA and encrypted bodies are refused with APEL's wording."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

from fedcore.accounting.compat.smime import SignatureError, format_dn, verify_signed
from tests.support.smime import add_signer, ca_directory, encrypt, sign
from tests.support.tls import Pki, make_host_certificate, make_pki

HOST_DN = "/DC=org/DC=example/O=fedcore tests/CN=apel.site-beta.example.org"
HOST = x509.Name(
    [
        x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "org"),
        x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "example"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fedcore tests"),
        x509.NameAttribute(NameOID.COMMON_NAME, "apel.site-beta.example.org"),
    ]
)
Host = tuple[Path, Path]
"""A host certificate file and its key file."""


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki")


@pytest.fixture
def ca_dir(pki: Pki, tmp_path: Path) -> Path:
    """The receiving side's hashed CA directory, holding the test CA only."""
    return ca_directory(pki.ca_cert, tmp_path / "certificates")


@pytest.fixture
def host(pki: Pki, tmp_path: Path) -> Host:
    return make_host_certificate(pki, HOST, tmp_path / "host")


@pytest.fixture
def message(shared_dir: Path) -> bytes:
    return (shared_dir / "samples/accounting/summary_v02.txt").read_bytes()


def refusal(body: bytes, ca_dir: Path) -> str:
    with pytest.raises(SignatureError) as refused:
        verify_signed(body, ca_dir)
    return str(refused.value)


def test_a_message_signed_as_ssm_signs_it_gives_the_host_dn_and_the_records(
    host: Host, ca_dir: Path, message: bytes
) -> None:
    signed = sign(message, *host)
    assert b"Content-Type: multipart/signed" in signed
    dn, content = verify_signed(signed, ca_dir)
    assert dn == HOST_DN
    assert content == message.strip()


def test_the_dn_is_written_as_openssl_writes_it(pki: Pki, tmp_path: Path) -> None:
    """Every attribute type of grid subjects, a non-ASCII value, an OID without a name, a
    multi-valued relative name and the characters OpenSSL escapes, in the form ``openssl x509
    -subject -nameopt compat`` prints (the registry's HOSTDN form)."""
    attributes = [
        (NameOID.COUNTRY_NAME, "DE"),
        (NameOID.STATE_OR_PROVINCE_NAME, "Baden-Württemberg"),
        (NameOID.LOCALITY_NAME, "Karlsruhe"),
        (NameOID.STREET_ADDRESS, "Main St 1"),
        (NameOID.POSTAL_CODE, "76131"),
        (NameOID.DOMAIN_COMPONENT, "org"),
        (NameOID.ORGANIZATION_NAME, 'KIT / SCC+IAM, "x=y" <z>#;\\'),
        (NameOID.USER_ID, "u17"),
        (NameOID.SERIAL_NUMBER, "42"),
        (NameOID.SURNAME, "Analyst"),
        (NameOID.GIVEN_NAME, "Alice"),
        (NameOID.INITIALS, "A"),
        (NameOID.GENERATION_QUALIFIER, "III"),
        (NameOID.DN_QUALIFIER, "q"),
        (NameOID.PSEUDONYM, "aa"),
        (NameOID.TITLE, "Dr"),
        (NameOID.BUSINESS_CATEGORY, "research"),
        (NameOID.ORGANIZATION_IDENTIFIER, "NTRDE-1"),
        (NameOID.JURISDICTION_COUNTRY_NAME, "DE"),
        (NameOID.JURISDICTION_STATE_OR_PROVINCE_NAME, "BW"),
        (NameOID.JURISDICTION_LOCALITY_NAME, "KA"),
        (ObjectIdentifier("2.5.4.13"), "a host"),
        (ObjectIdentifier("2.5.4.41"), "host"),
        (ObjectIdentifier("1.3.6.1.4.1.99999.1"), "private"),
        (NameOID.EMAIL_ADDRESS, "grid@kit.example"),
    ]
    rdns = [x509.RelativeDistinguishedName([x509.NameAttribute(o, v)]) for o, v in attributes]
    both = [(NameOID.ORGANIZATIONAL_UNIT_NAME, "Grid"), (NameOID.COMMON_NAME, "Jürgen\thost")]
    rdns.append(x509.RelativeDistinguishedName([x509.NameAttribute(o, v) for o, v in both]))
    cert, _ = make_host_certificate(pki, x509.Name(rdns), tmp_path / "many")
    printed = subprocess.run(
        ["openssl", "x509", "-noout", "-subject", "-nameopt", "compat", "-in", str(cert)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    dn = format_dn(x509.load_pem_x509_certificate(cert.read_bytes()).subject)
    assert dn == printed.strip().removeprefix("subject=")
    assert "/O=KIT \\/ SCC\\+IAM" in dn
    assert dn.endswith("/OU=Grid+CN=J\\xC3\\xBCrgen\\x09host")


def test_an_unsigned_message_is_refused(ca_dir: Path, message: bytes) -> None:
    assert refusal(message, ca_dir) == (
        "Failed to verify message: Error reading S/MIME message; no content type"
    )


def test_a_message_changed_after_signing_is_refused(
    host: Host, ca_dir: Path, message: bytes
) -> None:
    signed = sign(message, *host)
    tampered = signed.replace(b"NumberOfJobs: 4", b"NumberOfJobs: 9", 1)
    assert tampered != signed
    assert refusal(tampered, ca_dir) == (
        "Failed to verify message: Verification failure; digest failure; signature failure"
    )


def test_a_signer_from_another_ca_is_refused(ca_dir: Path, tmp_path: Path, message: bytes) -> None:
    stranger = make_host_certificate(make_pki(tmp_path / "other-ca"), HOST, tmp_path / "other")
    assert refusal(sign(message, *stranger), ca_dir) == (
        "Failed to verify message: Verification failure; certificate verify error: "
        "Verify error: unable to get local issuer certificate"
    )


def test_an_encrypted_message_is_refused(host: Host, ca_dir: Path, message: bytes) -> None:
    encrypted = encrypt(sign(message, *host), host[0])
    assert b"smime-type=enveloped-data" in encrypted
    assert refusal(encrypted, ca_dir).startswith(
        "Encrypted message refused (smime-type=enveloped-data): send it signed only"
    )


def test_a_message_with_two_signers_is_refused(
    pki: Pki, host: Host, ca_dir: Path, tmp_path: Path, message: bytes
) -> None:
    second = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "second.example.org")])
    other = make_host_certificate(pki, second, tmp_path / "second")
    signed = add_signer(sign(message, *host), *other)
    assert refusal(signed, ca_dir) == (
        "Failed to verify message: signed by 2 certificates, expected one"
    )


def test_a_transfer_encoded_content_is_decoded(host: Host, ca_dir: Path, message: bytes) -> None:
    """SSM decodes base64 and quoted-printable signed content."""
    entity = b"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
    signed = sign(entity + base64.encodebytes(message), *host, text=False)
    assert verify_signed(signed, ca_dir) == (HOST_DN, message)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            b"APEL-sync-message: v0.1\nSite: X\n%%\n",
            "No blank line between message header and body",
        ),
        (
            b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\none\n--b\n\ntwo\n--b--\n',
            "the signed content has several parts; expected one",
        ),
    ],
    ids=["no MIME header", "multipart"],
)
def test_signed_content_that_is_not_one_text_part_is_refused(
    host: Host, ca_dir: Path, content: bytes, reason: str
) -> None:
    signed = sign(content, *host, text=False)
    assert refusal(signed, ca_dir) == f"Failed to verify message: {reason}"
