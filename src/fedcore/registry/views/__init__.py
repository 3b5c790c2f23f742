"""Registry pages under ``/registry/``: lists with the same filters as the REST API, a page per
site, NGI, service, service group, downtime and user (the ``GOCDB_PORTAL_URL`` links of the PI
point here), forms for site administrators and NGI managers, and the downtime feeds.

Pages call the same service functions as the API, so the service layer enforces every rule; a
form or button is only shown to viewers the permission table allows. Forms post with a CSRF
token, redirect after success (post/redirect/get) and, on bad input, show the page again with
the message next to the field and nothing changed.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from fedcore.registry.views import downtimes, sites, topology

TEMPLATES = Path(__file__).parent.parent / "templates"

router = APIRouter()
router.include_router(topology.router)
router.include_router(sites.router)
router.include_router(downtimes.router)
