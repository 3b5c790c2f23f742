"""``/aai/vos``: the public catalogue of active VOs, the operators' list of VOs waiting for a
decision, and registering a VO."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from fedcore.aai.enums import VoStatus
from fedcore.aai.models import Vo
from fedcore.aai.schemas_vo import VoCreate
from fedcore.aai.service import vos
from fedcore.aai.views.vos.common import VO_STATUS_COLOURS
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.forms import Errors, Posted
from fedcore.core.security import Principal
from fedcore.core.templating import render

router = APIRouter()

ID_CARD = ("description", "discipline", "homepage", "aup_text", "aup_url", "contacts")
"""The fields of a VO's ID card that its managers fill in (the name only at registration)."""


def id_card_values(form: FormData, names: tuple[str, ...] = ID_CARD) -> dict[str, Any]:
    """The fields the form sent (a change leaves the others as they are)."""
    return {key: str(form[key]) for key in names if key in form}


def _render_catalogue(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    values: dict[str, Any] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    waiting = (
        [
            vo
            for vo in vos.list_vos(session=session, include_hidden=True)
            if vo.status == VoStatus.PENDING
        ]
        if principal.is_admin
        else []
    )
    return render(
        request,
        "aai/vos.html",
        status_code=status_code,
        vos=vos.list_vos(session=session),
        waiting=waiting,
        status_colours=VO_STATUS_COLOURS,
        values=values or {},
        errors=errors or {},
    )


@router.get("/vos")
def vo_catalogue(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    return _render_catalogue(request, session, principal)


def _registered(vo: Vo) -> tuple[str, str]:
    notice = (
        f"{vo.name} is registered and active."
        if vo.status == VoStatus.ACTIVE
        else f"{vo.name} is registered; an operator will review it before it is listed."
    )
    return notice, f"/aai/vos/{vo.name}"


@router.post("/vos")
def vo_register(post: Posted) -> Response:
    values = id_card_values(post.form, ("name", *ID_CARD))
    return post.submit(
        lambda: vos.register_vo(
            session=post.session, actor=post.principal, data=VoCreate(**values)
        ),
        again=partial(_render_catalogue, post.request, post.session, post.principal, values=values),
        done=_registered,
    )
