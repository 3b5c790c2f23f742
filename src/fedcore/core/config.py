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

    @field_validator("database_url")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

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
