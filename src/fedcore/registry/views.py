"""Registry pages under ``/registry/``."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

TEMPLATES = Path(__file__).parent / "templates"

router = APIRouter()
