"""A throwaway certificate authority and a server certificate for loopback HTTPS servers, and
host certificates with a chosen subject (as grid hosts have) signed by the same CA.

Real clients verify TLS with the bundle they are given: ``requests`` (flaat's discovery and
userinfo, keystoneauth1) reads ``REQUESTS_CA_BUNDLE``, urllib (flaat's JWKS fetch through PyJWT)
reads ``SSL_CERT_FILE``, oidc-agent takes ``--cp``. The combined :attr:`Pki.bundle` (system CAs
plus the test CA) serves all of them without breaking trust in public CAs.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SYSTEM_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
SERVER_NAMES = ("localhost",)
SERVER_ADDRESSES = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class Pki:
    ca_cert: Path
    """The test CA alone (PEM)."""
    ca_key: Path
    """The test CA's private key (PEM, unencrypted), for :func:`make_host_certificate`."""
    server_cert: Path
    """The server certificate followed by nothing else: the CA signs it directly."""
    server_key: Path
    """The server's private key (PEM, unencrypted)."""
    bundle: Path
    """System CAs followed by the test CA."""

    def client_env(self) -> dict[str, str]:
        """Environment variables that make Python clients (requests, urllib) trust the test CA."""
        return {"REQUESTS_CA_BUNDLE": str(self.bundle), "SSL_CERT_FILE": str(self.bundle)}


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fedcore tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_pki(directory: Path) -> Pki:
    """Create a CA and a certificate for localhost, 127.0.0.1 and ::1 in DIRECTORY."""
    if not SYSTEM_CA_BUNDLE.is_file():
        raise RuntimeError(
            f"{SYSTEM_CA_BUNDLE} not found; install the Debian package 'ca-certificates'"
        )
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    not_before, not_after = now - timedelta(minutes=5), now + timedelta(days=2)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("fedcore test CA")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    server_key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = [x509.DNSName(n) for n in SERVER_NAMES]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in SERVER_ADDRESSES]
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )

    pki = Pki(
        ca_cert=directory / "ca.pem",
        ca_key=directory / "ca-key.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server-key.pem",
        bundle=directory / "bundle.pem",
    )
    pki.ca_cert.write_bytes(_pem(ca_cert))
    _write_key(pki.ca_key, ca_key)
    pki.server_cert.write_bytes(_pem(server_cert))
    _write_key(pki.server_key, server_key)
    system = SYSTEM_CA_BUNDLE.read_bytes()
    pki.bundle.write_bytes(system.rstrip(b"\n") + b"\n" + _pem(ca_cert))
    return pki


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def make_host_certificate(pki: Pki, subject: x509.Name, directory: Path) -> tuple[Path, Path]:
    """A host certificate for SUBJECT signed by PKI's CA, as IGTF CAs issue them (RSA key,
    server and client authentication, no S/MIME purpose): (certificate, key) files in DIRECTORY.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ca_cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(ca_cert.not_valid_before_utc)
        .not_valid_after(ca_cert.not_valid_after_utc)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = directory / "hostcert.pem", directory / "hostkey.pem"
    cert_path.write_bytes(_pem(cert))
    _write_key(key_path, key)
    return cert_path, key_path


_ONE_LINE_TYPES = {
    "C": NameOID.COUNTRY_NAME,
    "DC": NameOID.DOMAIN_COMPONENT,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "CN": NameOID.COMMON_NAME,
}


def subject_of(dn: str) -> x509.Name:
    """The subject that OpenSSL writes as DN in one line (``/DC=org/O=Example/CN=host``), for
    the attribute types of grid host DNs (C, DC, O, OU, CN) and values without ``/`` or ``+``."""
    attributes = []
    for part in dn.split("/")[1:]:
        kind, _, value = part.partition("=")
        attributes.append(x509.NameAttribute(_ONE_LINE_TYPES[kind], value))
    return x509.Name(attributes)
