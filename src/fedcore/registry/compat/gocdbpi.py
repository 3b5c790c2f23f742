"""GOCDB read Programmatic Interface at ``/gocdbpi/public/`` and ``/gocdbpi/private/``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
