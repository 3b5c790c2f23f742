"""``/aai/vos/{name}``: a VO's page (the ID card, the AUP, the group tree and the ways in), its
managers' changes to the ID card (a changed AUP is a new version) and the operators' decision."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from fedcore.aai.enums import VoStatus
from fedcore.aai.models import Vo
from fedcore.aai.schemas_vo import VoUpdate
from fedcore.aai.service import enrolment, groups, vos
from fedcore.aai.views.vos.catalogue import ID_CARD, id_card_values
from fedcore.aai.views.vos.common import VO_STATUS_COLOURS
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.errors import NotFound, ValidationFailed
from fedcore.core.forms import Errors, Posted
from fedcore.core.security import Principal
from fedcore.core.templating import render

router = APIRouter()


def _visible_vo(session: Session, principal: Principal, name: str) -> Vo:
    """The VO, when it is active or the viewer manages it (or is an operator)."""
    vo = vos.get_vo(session=session, name=name)
    if vo.status != VoStatus.ACTIVE and not groups.is_admin(
        session, principal, vos.root_group(session, vo)
    ):
        raise NotFound(f"no VO {name!r}")
    return vo


def _render_vo(
    request: Request,
    session: Session,
    principal: Principal,
    name: str,
    *,
    values: dict[str, Any] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    """The VO's page; ``values`` (with ``errors``): the ID card form's fields as posted."""
    vo = _visible_vo(session, principal, name)
    tree = [
        {
            "group": group,
            "depth": group.path.count("/"),
            "enrolments": enrolment.list_enrolments(session=session, group=group, actor=principal),
            "admin": groups.is_admin(session, principal, group),
        }
        for group in groups.list_groups(session=session, vo=vo)
    ]
    card = {key: getattr(vo, key) for key in ID_CARD} | {"contacts": " ".join(vo.contacts)}
    return render(
        request,
        "aai/vo.html",
        status_code=status_code,
        vo=vo,
        tree=tree,
        managers=vos.managers(session, vo),
        status_colours=VO_STATUS_COLOURS,
        decisions=[d for d, before in vos.DECISIONS.items() if vo.status in before]
        if principal.is_admin
        else [],
        editable=vo.status != VoStatus.DELETED
        and groups.is_admin(session, principal, vos.root_group(session, vo)),
        values=card | (values or {}),
        errors=errors or {},
    )


@router.get("/vos/{name}")
def vo_page(
    request: Request, session: DbSession, principal: CurrentPrincipal, name: str
) -> Response:
    return _render_vo(request, session, principal, name)


def _to_vo_page(notice: str) -> Callable[[Vo], tuple[str, str]]:
    """``notice`` (formatted with the changed ``vo``) on the VO's page."""
    return lambda vo: (notice.format(vo=vo), f"/aai/vos/{vo.name}")


@router.post("/vos/{name}")
def vo_update(post: Posted, name: str) -> Response:
    values = id_card_values(post.form)
    return post.submit(
        lambda: vos.update_vo(
            session=post.session, actor=post.principal, name=name, data=VoUpdate(**values)
        ),
        again=partial(_render_vo, post.request, post.session, post.principal, name, values=values),
        done=_to_vo_page("The ID card of {vo.name} is saved (AUP version {vo.aup_version})."),
    )


@router.post("/vos/{name}/decision")
def vo_decide(post: Posted, name: str) -> Response:
    values = post.values("status", "reason")
    return post.submit(
        lambda: vos.decide_vo(
            session=post.session,
            actor=post.principal,
            name=name,
            status=_vo_status(values["status"]),
            reason=values["reason"],
        ),
        again=partial(_render_vo, post.request, post.session, post.principal, name),
        done=_to_vo_page("{vo.name} is {vo.status}."),
    )


def _vo_status(value: str) -> VoStatus:
    if value not in VoStatus.__members__.values():
        raise ValidationFailed(f"choose one of: {', '.join(vos.DECISIONS)}", field="status")
    return VoStatus(value)
