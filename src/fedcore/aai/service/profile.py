"""The self-asserted profile of an account (names, user name, ORCID iD, SSH public keys), the
checks on each field, and acceptance of the platform's acceptable-use policy.

Claims are released from these fields (reference §A.5/§A.6): ``name``, ``given_name``,
``family_name``, ``preferred_username`` (not unique, as at Check-in), ``orcid`` as
``https://orcid.org/NNNN-NNNN-NNNN-NNNX``, ``ssh_public_key`` as OpenSSH public key lines.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_ssh_public_key
from sqlalchemy.orm import Session

from fedcore.aai.models import Account
from fedcore.core.config import Settings
from fedcore.core.db import utcnow
from fedcore.core.errors import ValidationFailed

_USERNAME = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")
_ORCID = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")
SSH_KEYS_MAX = 20
RSA_MIN_BITS = 2048


def check_name(value: str, field: str, label: str) -> str:
    """A person's name with runs of white space made one space; ValidationFailed naming
    ``field`` when it is empty, too long or holds control characters."""
    value = " ".join(value.split())
    if not value:
        raise ValidationFailed(f"enter your {label}", field=field)
    if len(value) > 255 or any(unicodedata.category(c).startswith("C") for c in value):
        raise ValidationFailed(
            f"the {label} must be at most 255 characters without control characters", field=field
        )
    return value


def normalise_orcid(value: str) -> str:
    """``https://orcid.org/NNNN-NNNN-NNNN-NNNX`` with a valid ISO 7064 11,2 check character, from
    that URL or the bare iD; empty stays empty. ValidationFailed (field ``orcid``) otherwise."""
    value = value.strip()
    if not value:
        return ""
    match = _ORCID.fullmatch(value)
    if not match:
        raise ValidationFailed(
            "enter an ORCID iD such as https://orcid.org/0000-0002-1825-0097", field="orcid"
        )
    digits = match.group(1).replace("-", "")
    total = 0
    for digit in digits[:-1]:
        total = (total + int(digit)) * 2
    check = (12 - total % 11) % 11
    if digits[-1] != ("X" if check == 10 else str(check)):
        raise ValidationFailed(
            "this ORCID iD has a typing error (its check character does not match)", field="orcid"
        )
    return f"https://orcid.org/{match.group(1)}"


def normalise_ssh_key(line: str, number: int = 1) -> str:
    """One OpenSSH public key line ``<type> <base64> [comment]``, parsed for real; DSA and RSA
    keys under 2048 bits are refused. ValidationFailed (field ``ssh_public_keys``) otherwise."""
    parts = line.split(None, 2)

    def refuse(reason: str) -> ValidationFailed:
        return ValidationFailed(f"key {number}: {reason}", field="ssh_public_keys")

    if len(parts) < 2:
        raise refuse("paste one OpenSSH public key per line, e.g. 'ssh-ed25519 AAAA... you@host'")
    if parts[0] == "ssh-dss":
        raise refuse("DSA keys are no longer safe; use an Ed25519 or ECDSA key")
    try:
        key = load_ssh_public_key(f"{parts[0]} {parts[1]}".encode())
    except (ValueError, UnsupportedAlgorithm, binascii.Error):
        raise refuse("this is not an OpenSSH public key (or of an unknown type)") from None
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < RSA_MIN_BITS:
        raise refuse(f"RSA keys need at least {RSA_MIN_BITS} bits; this one has {key.key_size}")
    comment = " ".join(parts[2].split()) if len(parts) > 2 else ""
    return " ".join(p for p in (parts[0], parts[1], comment) if p)


def _username(value: str) -> str:
    value = value.strip()
    if value and not _USERNAME.fullmatch(value):
        raise ValidationFailed(
            "a user name starts with a lower-case letter or _, then up to 31 lower-case letters, "
            "digits, '.', '_' or '-'",
            field="preferred_username",
        )
    return value


def update_profile(
    *,
    session: Session,
    account: Account,
    given_name: str,
    family_name: str,
    preferred_username: str,
    orcid: str,
    ssh_public_keys: list[str],
) -> Account:
    """Change the self-asserted profile; everything is checked before anything changes."""
    given_name = check_name(given_name, "given_name", "given name")
    family_name = check_name(family_name, "family_name", "family name")
    username = _username(preferred_username)
    orcid = normalise_orcid(orcid)
    lines = [line.strip() for line in ssh_public_keys if line.strip()]
    if len(lines) > SSH_KEYS_MAX:
        raise ValidationFailed(f"at most {SSH_KEYS_MAX} keys", field="ssh_public_keys")
    keys: list[str] = []
    for number, line in enumerate(lines, start=1):
        key = normalise_ssh_key(line, number)
        if key not in keys:
            keys.append(key)
    account.given_name, account.family_name = given_name, family_name
    account.name = f"{given_name} {family_name}"
    account.preferred_username = username
    account.orcid = orcid
    account.ssh_public_keys = keys
    session.flush()
    return account


def aup_outdated(*, settings: Settings, account: Account) -> bool:
    """True when the account has not accepted the policy's current version."""
    return account.aup_accepted_at is None or account.aup_version != settings.aup_version


def accept_aup(*, session: Session, settings: Settings, account: Account) -> None:
    account.aup_accepted_at = utcnow()
    account.aup_version = settings.aup_version
    session.flush()


def ssh_key_fingerprint(line: str) -> str:
    """``SHA256:...`` as ``ssh-keygen -l`` prints it, for pages listing keys."""
    blob = base64.b64decode(line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
