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
from fedcore.aai.views.forms import Errors, FormFields, submit
from fedcore.aai.views.vos.common import VO_STATUS_COLOURS
from fedcore.core.deps import CsrfChecked, CurrentPrincipal, DbSession
from fedcore.core.security import Principal
from fedcore.core.templating import render

router = APIRouter()

ID_CARD = ("description", "discipline", "homepage", "aup_text", "aup_url", "contacts")
"""The fields of a VO's ID card that its managers fill in (the name only at registration)."""


def id_card_values(form: FormData, names: tuple[str, ...] = ID_CARD) -> dict[str, Any]:
    return {key: str(form.get(key, "")) for key in names}


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
def vo_register(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    form: FormFields,
) -> Response:
    values = id_card_values(form, ("name", *ID_CARD))
    return submit(
        request,
        session,
        principal,
        lambda: vos.register_vo(session=session, actor=principal, data=VoCreate(**values)),
        again=partial(_render_catalogue, request, session, principal, values=values),
        done=_registered,
    )
