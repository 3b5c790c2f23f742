"""Accounting messages as APEL's ``ssmsend`` sends them: signed with a host certificate by the
``openssl`` command (ssm's ``crypto.sign``), and optionally encrypted for the receiver."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def _openssl(args: list[str], stdin: bytes) -> bytes:
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=True).stdout


def sign(body: bytes, cert: Path, key: Path, *, text: bool = True) -> bytes:
    """BODY signed as ssm signs it: ``openssl smime -sign -inkey KEY -signer CERT -text``
    (without ``-text`` when TEXT is false: BODY is then a MIME entity of its own)."""
    args = ["smime", "-sign", "-inkey", str(key), "-signer", str(cert)]
    return _openssl([*args, "-text"] if text else args, body)


def add_signer(signed: bytes, cert: Path, key: Path) -> bytes:
    """SIGNED with a second signature, by CERT (``openssl smime -resign``)."""
    return _openssl(["smime", "-resign", "-inkey", str(key), "-signer", str(cert)], signed)


def encrypt(body: bytes, cert: Path) -> bytes:
    """BODY encrypted for CERT as ssm encrypts for a server certificate (``-aes128``)."""
    return _openssl(["smime", "-encrypt", "-aes128", str(cert)], body)


def ca_directory(ca_cert: Path, directory: Path) -> Path:
    """DIRECTORY made a hashed CA directory holding CA_CERT only (``openssl rehash``), as a
    receiver's ``/etc/grid-security/certificates`` is: what ``FEDCORE_ACCOUNTING_CA_DIR`` names."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(ca_cert, directory / "ca.pem")
    subprocess.run(["openssl", "rehash", str(directory)], check=True, capture_output=True)
    return directory
