"""Jinja2 pages: one shared layout (``core/templates/base.html``) and each subsystem's templates.

Subsystems add their navigation entry and template folder with :func:`register_subsystem`; the
composition root (``core/web.py``) calls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.responses import Response

from fedcore.core.db import isoformat_z
from fedcore.core.deps import csrf_token
from fedcore.core.security import ANONYMOUS


@dataclass(frozen=True)
class NavEntry:
    label: str
    path: str


_folders: list[Path] = [Path(__file__).parent / "templates"]
nav: list[NavEntry] = []


def register_subsystem(templates: Path, entry: NavEntry) -> None:
    if templates not in _folders:
        _folders.append(templates)
    if entry not in nav:
        nav.append(entry)


def _utc(value: datetime | None) -> str:
    return isoformat_z(value) if value else ""


def _when(value: datetime | None) -> str:
    """A time as people read it: ``2026-03-29 01:30 UTC``."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _local(value: datetime | None, zone: str) -> str:
    """The same instant on a site's wall clock, with the offset of that date (DST included)."""
    if not value:
        return ""
    try:
        local = value.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return ""
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} (UTC{offset[:3]}:{offset[3:]})"


def flash(request: Request, message: str) -> None:
    """A one-time notice for the next page the viewer sees (post/redirect/get)."""
    request.session["flash"] = message


def _environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(f)) for f in _folders]),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["utc"] = _utc
    env.filters["when"] = _when
    env.filters["local"] = _local
    return env


_templates: Jinja2Templates | None = None


def templates() -> Jinja2Templates:
    global _templates
    if _templates is None:
        _templates = Jinja2Templates(env=_environment())
    return _templates


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    """Render a page with the layout's context: viewer, navigation and the form CSRF token."""
    context.setdefault("principal", getattr(request.state, "principal", None) or ANONYMOUS)
    context.setdefault("flash", request.session.pop("flash", None))
    return templates().TemplateResponse(
        request,
        name,
        {"nav": nav, "csrf": csrf_token(request), **context},
        status_code=status_code,
    )
