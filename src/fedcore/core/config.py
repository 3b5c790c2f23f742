"""Configuration from ``FEDCORE_*`` environment variables (and an optional ``.env`` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of a fedcore process; read once per process by :func:`get_settings`."""

    model_config = SettingsConfigDict(env_prefix="FEDCORE_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="where the default SQLite file lives")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty: SQLite in data_dir")
    admin_subject: str = Field(default="", description="subject of the bootstrap operator")
    base_url: str = Field(default="http://127.0.0.1:8000", description="public URL of this server")
    secret_key: str = Field(default="", description="signs session cookies; empty: per data dir")
    client_dn_header: str = Field(
        default="",
        description="header in which a TLS-terminating proxy passes the verified client "
        "certificate's subject DN (e.g. X-SSL-Client-S-DN); empty: client certificates are not "
        "used. Set it only behind a proxy that removes this header from client requests.",
    )
    log_level: str = "INFO"
    log_format: str = Field(default="json", description="json or console")
    pi_page_size: int = Field(default=100, ge=1, le=10000, description="GOCDB PI page size")
    default_scope: str = Field(default="EGI", description="scope applied when a PI query has none")
    default_scope_match: str = Field(default="all", pattern="^(all|any)$")
    extensions_max: int = Field(default=20, ge=1, description="extension properties per entity")
    issuer: str = Field(
        default="",
        description="OpenID provider issuer URL: https, or http on a loopback host; empty: base_url",
    )
    aai_domain: str = Field(
        default="",
        description="scope of voperson_id and service-account subjects; empty: the issuer's host",
    )
    access_token_lifetime: int = Field(default=3600, ge=60, le=86400, description="seconds")
    refresh_token_lifetime: int = Field(
        default=31536000, ge=3600, description="seconds an unused offline refresh token lives"
    )
    signing_alg: str = Field(default="RS256", pattern="^(RS256|ES256)$")
    key_publish_lead: int = Field(
        default=3600,
        ge=0,
        description="seconds a rotated-in signing key is published in the JWKS before it signs",
    )
    upstream_providers: str = Field(
        default="",
        description="JSON list of upstream OpenID providers: "
        '[{"name": ..., "display_name": ..., "issuer": ..., "client_id": ..., '
        '"client_secret": ..., "scope": ..., "assurance": "low" | "substantial"}]',
    )
    upstream_ca_bundle: str = Field(
        default="",
        description="PEM file of the CAs trusted for TLS to upstream OpenID providers; empty: "
        "the system's",
    )
    aup_url: str = Field(default="/aai/aup", description="platform acceptable-use policy")
    aup_version: str = Field(default="1", description="bump to make everyone accept it again")
    smtp_url: str = Field(
        default="",
        description="smtp://[user:password@]host[:port] (smtps:// for TLS); empty: mail is only "
        "kept in the outbox table and logged",
    )
    mail_from: str = Field(default="fedcore@localhost")
    jobs_enabled: bool = Field(
        default=True,
        description="run the background jobs (reminders, expiry, housekeeping) in this process; "
        "with several processes each may run them, a lease in the database runs each once",
    )
    jobs_tick: int = Field(
        default=60, ge=1, le=3600, description="seconds between two looks for due jobs"
    )
    entitlement_namespace: str = Field(
        default="urn:mace:egi.eu",
        pattern=r"^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}(:[A-Za-z0-9._~%!$&'()*+,;=@-]+)+$",
        description="namespace of group entitlements (AARC-G069): "
        "<namespace>:group:<vo>[:<sub>...]:role=<role>#<authority>",
    )
    entitlement_authority: str = Field(
        default="aai.egi.eu",
        pattern=r"^[A-Za-z0-9.-]+$",
        description="the #authority of group entitlements",
    )
    accounting_ams_project: str = Field(
        default="accounting",
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="the AMS project whose publish requests carry accounting messages "
        "(APEL's ams_project); every other project is monitoring's",
    )
    accounting_ca_dir: Path | None = Field(
        default=None,
        description="hashed CA directory (openssl rehash) that S/MIME-signed accounting messages "
        "are verified against; unset: signed messages are refused",
    )
    accounting_service_types: str = Field(
        default="gLite-APEL,eu.egi.cloud.accounting,eu.egi.storage.accounting",
        description="comma-separated registry service types whose host DN may publish a "
        "site's accounting records",
    )
    accounting_reject_retention_days: int = Field(
        default=30, ge=1, le=3650, description="days a rejected message's body is kept"
    )

    @field_validator("database_url")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        from urllib.parse import urlsplit

        value = value.strip().rstrip("/")
        if not value:
            return value
        parts = urlsplit(value)
        loopback = parts.hostname in {"127.0.0.1", "::1", "localhost"}
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError("must be an https URL (http only on a loopback host)")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment")
        return value

    @property
    def effective_issuer(self) -> str:
        return self.issuer or self.base_url.rstrip("/")

    def page_url(self, path: str) -> str:
        """The public URL of one of fedcore's pages (they are served at ``base_url``, whatever
        path the issuer has)."""
        return self.base_url.rstrip("/") + path

    @property
    def effective_aai_domain(self) -> str:
        from urllib.parse import urlsplit

        return self.aai_domain or urlsplit(self.effective_issuer).hostname or "localhost"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'fedcore.sqlite').resolve()}"

    def effective_secret_key(self) -> str:
        """The cookie-signing key: configured, or generated once and kept in the data directory."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            import secrets

            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
