"""One GOCDB read-PI request (its parameters, the caller, settings and rendering context) and
GOCDB's rules for reading its parameters: cursors, scopes with their configured default, dates,
integers, ``Y``/``N`` flags, comma lists and extension expressions. A parameter that breaks a
rule raises :class:`PiError`, answered as ``<error>…</error>`` naming the parameter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from fedcore.core.config import Settings
from fedcore.core.security import Principal
from fedcore.registry.compat.pi_render import Context
from fedcore.registry.extensions_expr import ExtensionsSyntaxError, ExtensionTerm, parse_extensions
from fedcore.registry.service import pi


class PiError(Exception):
    """Answered as ``<error>message</error>``."""

    def __init__(self, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Call:
    """One PI request: its parameters (without ``method``), settings and rendering context."""

    session: Session
    settings: Settings
    principal: Principal
    params: dict[str, str]
    ctx: Context

    # --- parameter parsing ----------------------------------------------------------------------

    def text(self, name: str) -> str | None:
        return self.params.get(name)

    def paging(self) -> pi.Paging:
        """GOCDB's cursor rules: integers >= 0, never both."""
        if "next_cursor" in self.params and "prev_cursor" in self.params:
            raise PiError(
                "It is invalid to specify both 'next_cursor' and 'prev_cursor' parameters "
                "in the same query"
            )
        cursors: dict[str, int | None] = {"next_cursor": None, "prev_cursor": None}
        for name in cursors:
            if name in self.params:
                raw = self.params[name]
                if not raw.isdigit():
                    raise PiError(
                        f"Invalid '{name}' parameter - must be a whole number greater than "
                        "or equal to zero"
                    )
                cursors[name] = int(raw)
        return pi.Paging(
            cursors["next_cursor"], cursors["prev_cursor"], size=self.settings.pi_page_size
        )

    def scope(self, *, default: bool = True) -> pi.ScopeFilter | None:
        """``scope`` absent: the configured default; present but empty: no scope filter;
        ``A,B``: with ``scope_match`` (``all``/``any``, default from the configuration)."""
        if "scope" in self.params:
            raw = self.params["scope"]
        elif default:
            raw = self.settings.default_scope
        else:
            return None
        names = tuple(name.strip() for name in raw.split(",") if name.strip())
        if not names:
            return None
        match = self.params.get("scope_match", self.settings.default_scope_match).lower()
        if match not in ("all", "any"):
            raise PiError(f"Invalid scope_match '{match}' - must be 'all' or 'any'")
        return pi.ScopeFilter(names, match)

    def extensions(self, name: str) -> tuple[ExtensionTerm, ...]:
        if name not in self.params:
            return ()
        try:
            return tuple(parse_extensions(self.params[name]))
        except ExtensionsSyntaxError as exc:
            raise PiError(f"Invalid {name} parameter: {exc}") from exc

    def integer(self, name: str) -> int | None:
        raw = self.params.get(name)
        if raw is None:
            return None
        if not raw.isdigit():
            raise PiError(f"Invalid {name} '{raw}' - must be a whole number")
        return int(raw)

    def date(self, name: str) -> datetime | None:
        """A date (``YYYY-MM-DD``, optionally with a time), UTC unless it says otherwise."""
        raw = self.params.get(name)
        if raw is None:
            return None
        try:
            value = datetime.fromisoformat(raw.strip())
        except ValueError as exc:
            raise PiError(f"Invalid {name} '{raw}' - must be a date as YYYY-MM-DD") from exc
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def flag(self, name: str) -> bool | None:
        raw = self.params.get(name)
        if raw is None:
            return None
        if raw.lower() in ("y", "yes", "true", "1"):
            return True
        if raw.lower() in ("n", "no", "false", "0"):
            return False
        raise PiError(f"Invalid {name} '{raw}' - must be Y or N")

    def names(self, name: str) -> tuple[str, ...]:
        raw = self.params.get(name)
        return () if raw is None else tuple(v for v in raw.split(",") if v)
