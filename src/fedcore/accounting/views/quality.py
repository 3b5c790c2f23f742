"""``/accounting/data-quality/``: what in the stored records and messages needs an operator's
eye (:func:`..service.quality.data_quality`, as ``GET /api/accounting/data-quality``): records
of sites the registry does not know and of VOs the AAI does not know, site-months whose jobs
came by several routes (and the route reports count), summary groups still dirty and the messages rejected over 30 days per
publisher. The service admits operators only; a signed-out viewer is sent to sign in first.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from fedcore.accounting.permissions import permissions
from fedcore.accounting.reports import JOB_SOURCE_PRECEDENCE
from fedcore.accounting.service import quality
from fedcore.accounting.views.reports import render_page
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.security import Principal

router = APIRouter()


def may_read(session: Session, principal: Principal) -> bool:
    """Whether pages link to the data-quality page for this viewer."""
    return permissions.allows("accounting.data_quality.read", session=session, actor=principal)


def counted(sources: tuple[str, ...]) -> str:
    """The route a site-month's jobs are counted from in reports and exports."""
    return next(source for source in JOB_SOURCE_PRECEDENCE if source in sources)


@router.get("/data-quality/")
def quality_page(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    return render_page(
        request,
        "accounting/quality.html",
        quality=quality.data_quality(session=session, actor=principal),
        counted=counted,
        window_days=quality.REJECTED_WINDOW.days,
    )
