"""Which upstream OpenID providers are configured: ``FEDCORE_UPSTREAM_PROVIDERS`` is a JSON list of
:class:`ProviderConfig` (``name`` is the slug in URLs). It is checked when a request first needs
it; a bad entry is refused with a message naming the entry and the field
(:class:`UpstreamMisconfigured`).

A provider's ``assurance`` is how well it verifies the people it signs in (reference §A.10):
``low`` (the default: a social or unvetted provider) or ``substantial`` (an institutional
identity provider: the person's home organisation vouches for them). A sign-in through it
carries that level in the claims (:mod:`fedcore.aai.service.claims`)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fedcore.aai.schemas import LOOPBACK_HOSTS
from fedcore.core.config import Settings
from fedcore.core.errors import FedcoreError, NotFound

_SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"


class UpstreamMisconfigured(FedcoreError):
    """``FEDCORE_UPSTREAM_PROVIDERS`` is wrong: the operators must fix it."""

    status = 500
    title = "Server misconfigured"


def check_url(value: str, what: str) -> str:
    """An https URL (http only on a loopback host) without query or fragment."""
    parts = urlsplit(value)
    loopback = parts.hostname in LOOPBACK_HOSTS
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise ValueError(f"{what} must be an https URL (http only on a loopback host)")
    if parts.query or parts.fragment:
        raise ValueError(f"{what} must not have a query or fragment")
    return value


class ProviderConfig(BaseModel):
    """One upstream OpenID provider, as configured."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str = Field(pattern=_SLUG, description="slug used in URLs: a-z, 0-9 and '-'")
    display_name: str = Field(min_length=1, max_length=100)
    issuer: str = Field(min_length=1, max_length=500)
    client_id: str = Field(min_length=1, max_length=500)
    client_secret: str = Field(min_length=1, max_length=1000)
    scope: str = "openid profile email"
    assurance: Literal["low", "substantial"] = Field(
        default="low",
        description="how well the provider verifies people: low (social, unvetted) or "
        "substantial (an institution vouches for them)",
    )

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        return check_url(value, "the issuer")

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: str) -> str:
        scopes = value.split()
        if "openid" not in scopes:
            raise ValueError("the scope must include openid")
        return " ".join(scopes)


def _entry_error(index: int, entry: object, exc: ValidationError) -> str:
    name = entry.get("name") if isinstance(entry, dict) else None
    label = f"entry {index + 1}" + (f" ({name!r})" if isinstance(name, str) and name else "")
    problems = "; ".join(
        f"{'.'.join(str(p) for p in error['loc']) or 'entry'}: {error['msg']}"
        for error in exc.errors()
    )
    return f"FEDCORE_UPSTREAM_PROVIDERS {label}: {problems}"


@lru_cache(maxsize=8)
def _parse_providers(raw: str) -> tuple[ProviderConfig, ...]:
    if not raw.strip():
        return ()
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UpstreamMisconfigured(
            f"FEDCORE_UPSTREAM_PROVIDERS is not valid JSON: {exc.msg} (line {exc.lineno}, "
            f"column {exc.colno})"
        ) from None
    if not isinstance(entries, list):
        raise UpstreamMisconfigured("FEDCORE_UPSTREAM_PROVIDERS must be a JSON list of objects")
    providers: list[ProviderConfig] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise UpstreamMisconfigured(
                f"FEDCORE_UPSTREAM_PROVIDERS entry {index + 1}: must be an object"
            )
        try:
            provider = ProviderConfig.model_validate(entry)
        except ValidationError as exc:
            raise UpstreamMisconfigured(_entry_error(index, entry, exc)) from None
        for other in providers:
            for field in ("name", "issuer"):
                if getattr(other, field) == getattr(provider, field):
                    raise UpstreamMisconfigured(
                        f"FEDCORE_UPSTREAM_PROVIDERS entry {index + 1} ({provider.name!r}): "
                        f"{field}: {getattr(provider, field)!r} is used by another entry"
                    )
        providers.append(provider)
    return tuple(providers)


def configured_providers(*, settings: Settings) -> list[ProviderConfig]:
    """The configured providers in their order; UpstreamMisconfigured when the setting is wrong."""
    return list(_parse_providers(settings.upstream_providers))


def get_provider(*, settings: Settings, name: str) -> ProviderConfig:
    for provider in configured_providers(settings=settings):
        if provider.name == name:
            return provider
    raise NotFound(f"no upstream identity provider is called {name!r}")


def provider_assurance(*, settings: Settings, issuer: str) -> str:
    """The configured assurance of the provider with this issuer; ``low`` for any other issuer
    (the local source, a provider no longer configured) or when the setting is wrong."""
    try:
        providers = configured_providers(settings=settings)
    except UpstreamMisconfigured:
        return "low"
    return next((p.assurance for p in providers if p.issuer == issuer), "low")


def provider_names(*, settings: Settings) -> dict[str, str]:
    """Display names by issuer, for pages listing identities (empty when misconfigured)."""
    try:
        providers = configured_providers(settings=settings)
    except UpstreamMisconfigured:
        return {}
    return {p.issuer: p.display_name for p in providers}
