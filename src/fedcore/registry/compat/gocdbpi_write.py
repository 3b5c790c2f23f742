"""GOCDB v5 write API at ``/gocdbpi/v5/<entity>/<id>/<property>[/<key>]``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
