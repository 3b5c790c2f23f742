"""S/MIME-signed accounting messages, verified as APEL's receiver (``ssmreceive``) does.

A site's ``ssmsend`` signs each message with its host certificate (``openssl smime -sign -text``:
a ``multipart/signed`` body whose signed part is ``Content-Type: text/plain`` followed by the
records). :func:`verify_signed` checks the signature and the signer's chain against a hashed CA
directory (``openssl rehash``, e.g. ``/etc/grid-security/certificates``) with the ``openssl``
command, as SSM's ``crypto.verify`` does, and answers the signer's subject in OpenSSL's one-line
form (``/DC=org/DC=example/CN=apel.example.org``), the form the registry stores as a service's
HOSTDN, and the signed content without its MIME header. Reference: docs/accounting.md, "The
signed path"; ``../shared/reference/accounting.md`` §1.1.

No web framework and no database here: the caller decides what the DN may publish.
"""

from __future__ import annotations

import email
import email.parser
import re
import subprocess
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

__all__ = ["SignatureError", "format_dn", "verify_signed"]

OPENSSL_TIMEOUT = 60
"""Seconds one ``openssl smime -verify`` may take (a 10 MB message takes well under one)."""

ENCRYPTED_TYPES = frozenset({"enveloped-data", "authenveloped-data"})
"""``smime-type`` values of an encrypted body (RFC 8551 §3.2.2)."""

# OpenSSL's short names (OBJ_nid2sn) of the attributes found in certificate subjects; any
# other attribute is written as its dotted OID, as OpenSSL writes an OID it has no name for.
_SHORT_NAMES: dict[ObjectIdentifier, str] = {
    NameOID.COUNTRY_NAME: "C",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.LOCALITY_NAME: "L",
    NameOID.STREET_ADDRESS: "street",
    NameOID.POSTAL_CODE: "postalCode",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.COMMON_NAME: "CN",
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.SURNAME: "SN",
    NameOID.GIVEN_NAME: "GN",
    NameOID.INITIALS: "initials",
    NameOID.GENERATION_QUALIFIER: "generationQualifier",
    NameOID.DN_QUALIFIER: "dnQualifier",
    NameOID.PSEUDONYM: "pseudonym",
    NameOID.TITLE: "title",
    NameOID.BUSINESS_CATEGORY: "businessCategory",
    NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
    NameOID.DOMAIN_COMPONENT: "DC",
    NameOID.USER_ID: "UID",
    NameOID.EMAIL_ADDRESS: "emailAddress",
    NameOID.JURISDICTION_COUNTRY_NAME: "jurisdictionC",
    NameOID.JURISDICTION_STATE_OR_PROVINCE_NAME: "jurisdictionST",
    NameOID.JURISDICTION_LOCALITY_NAME: "jurisdictionL",
    ObjectIdentifier("2.5.4.13"): "description",
    ObjectIdentifier("2.5.4.41"): "name",
}

# One entry of OpenSSL 3's error queue: thread:error:code:library:function:reason:file:line:data.
_ERROR_LINE = re.compile(
    r"^[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:(?P<reason>[^:]*):[^:]*:\d+:(?P<data>.*)$"
)


class SignatureError(Exception):
    """The message is not accepted as signed; ``str()`` is the reason, in APEL's wording."""


def verify_signed(body: bytes, ca_dir: Path) -> tuple[str, bytes]:
    """Verify the S/MIME-signed BODY against the CAs of CA_DIR; answer (signer DN, content).

    The DN is in OpenSSL's one-line form (:func:`format_dn`). The content is what was signed,
    without its MIME header, its transfer encoding (quoted-printable or base64) decoded, its
    line ends LF and its surrounding whitespace stripped, as SSM's receiver stores it. Raises
    :class:`SignatureError` ``Failed to verify message: <openssl's error>`` for a body that is
    not signed, was changed after signing, or whose signer no CA of CA_DIR vouches for, and
    refuses an encrypted body (this side holds no key to decrypt it).
    """
    _refuse_encrypted(body)
    with tempfile.TemporaryDirectory(prefix="fedcore-smime-") as scratch:
        signer_file = Path(scratch) / "signer.pem"
        # -no-CAfile/-no-CAstore: trust CA_DIR only, never the system's public CAs.
        # -purpose any: host certificates usually lack the S/MIME signing purpose; SSM checks
        # the chain with `openssl verify` (no purpose) for the same reason.
        # S603/S607: a fixed argument list without a shell; openssl from PATH, as SSM runs it.
        result = subprocess.run(  # noqa: S603
            [  # noqa: S607
                "openssl",
                "smime",
                "-verify",
                "-CApath",
                str(ca_dir),
                "-no-CAfile",
                "-no-CAstore",
                "-purpose",
                "any",
                "-signer",
                str(signer_file),
            ],
            input=body,
            capture_output=True,
            timeout=OPENSSL_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            raise SignatureError(f"Failed to verify message: {_openssl_error(result.stderr)}")
        signers = x509.load_pem_x509_certificates(signer_file.read_bytes())
    if len(signers) != 1:
        raise SignatureError(
            f"Failed to verify message: signed by {len(signers)} certificates, expected one"
        )
    return format_dn(signers[0].subject), _content(result.stdout)


def format_dn(name: x509.Name) -> str:
    """NAME as OpenSSL 3 writes it in one line (``X509_NAME_oneline``, what ``openssl x509
    -subject -nameopt compat`` prints): ``/TYPE=value`` per relative name in the certificate's
    order, ``+`` between the members of a multi-valued one, ``/`` and ``+`` in values escaped
    with a backslash, other bytes outside printable ASCII as ``\\xHH`` of their UTF-8 encoding
    (OpenSSL writes BMP and universal strings, unused in grid certificates, from their raw
    bytes instead)."""
    return "".join(
        "/" + "+".join(f"{_short_name(a.oid)}={_escape(a.value)}" for a in rdn) for rdn in name.rdns
    )


def _short_name(oid: ObjectIdentifier) -> str:
    return _SHORT_NAMES.get(oid, oid.dotted_string)


def _escape(value: str | bytes) -> str:
    escaped = []
    for byte in value.encode("utf-8") if isinstance(value, str) else value:
        if not 0x20 <= byte <= 0x7E:
            escaped.append(f"\\x{byte:02X}")
        elif byte in b"/+":
            escaped.append("\\" + chr(byte))
        else:
            escaped.append(chr(byte))
    return "".join(escaped)


def _refuse_encrypted(body: bytes) -> None:
    headers = email.parser.BytesHeaderParser().parsebytes(body)
    smime_type = str(headers.get_param("smime-type", "") or "").lower()
    if headers.get_content_subtype() in {"pkcs7-mime", "x-pkcs7-mime"} and (
        smime_type in ENCRYPTED_TYPES
    ):
        raise SignatureError(
            f"Encrypted message refused (smime-type={smime_type}): send it signed only; "
            "the sender must not encrypt (ssm: no server_cert in its configuration)"
        )


def _openssl_error(stderr: bytes) -> str:
    """OpenSSL's complaint on one line, without the thread ids and source locations that its
    error queue adds (they differ from run to run and say nothing to the sender)."""
    parts = []
    for line in stderr.decode("utf-8", "replace").splitlines():
        line = line.strip()
        match = _ERROR_LINE.match(line)
        if match:
            data = match["data"].strip()
            parts.append(f"{match['reason']}: {data}" if data else match["reason"])
        elif line:
            parts.append(line)
    return "; ".join(parts) or "openssl gave no reason"


def _content(signed: bytes) -> bytes:
    """The signed MIME entity's body, as SSM's ``crypto.verify`` extracts it."""
    text = signed.replace(b"\r\n", b"\n").strip()
    head, blank, rest = text.partition(b"\n\n")
    if not blank:
        raise SignatureError(
            "Failed to verify message: No blank line between message header and body"
        )
    payload = email.message_from_bytes(head + b"\n\n" + rest).get_payload(decode=True)
    if not isinstance(payload, bytes):
        raise SignatureError(
            "Failed to verify message: the signed content has several parts; expected one"
        )
    return payload
