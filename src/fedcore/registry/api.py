"""REST API of the registry under ``/api/registry/``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
