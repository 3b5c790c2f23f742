"""Community pages: ``/aai/vos`` (the public catalogue, VO registration, the operators'
decisions), ``/aai/vos/{name}`` (the ID card and its changes, the AUP, the group tree and the
ways in), ``/aai/groups/{path}/join`` (apply through an enrolment), ``/aai/groups/{path}`` (the
group's admins: subgroups, roles, admins, members, applications, invitations, enrolment
configurations), ``/aai/groups/{path}/applications/{id}`` (the page the admins' e-mail links to)
and ``/aai/invitations/{token}`` (accept an invitation).

Every change goes through :mod:`fedcore.aai.service` in a savepoint, one round per form
(:func:`fedcore.core.forms.Post.submit`): on bad input the page is shown again with the message
next to the field and nothing changed; on success a redirect back.
"""

from __future__ import annotations

from fastapi import APIRouter

from fedcore.aai.views.vos import (
    applications,
    card,
    catalogue,
    enrolments,
    groups,
    invitations,
    members,
)

router = APIRouter()
router.include_router(catalogue.router)
router.include_router(card.router)
router.include_router(applications.router)
router.include_router(members.router)
router.include_router(invitations.router)
router.include_router(enrolments.router)
# last: its page ``/groups/{path:path}`` would match every address above under /groups/
router.include_router(groups.router)
