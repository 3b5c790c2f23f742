"""Users, roles with the request -> grant / reject / revoke workflow, the audit of role
decisions, and site API credentials. All of it is personal data: see ``service/personal.py``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from fedcore.core.api import created, page_read, whole
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.pagination import PageRead, Paging
from fedcore.registry import service as registry
from fedcore.registry.models import Role
from fedcore.registry.schemas import (
    ApiCredentialCreate,
    ApiCredentialRead,
    RoleDecisionRead,
    RoleFilter,
    RoleRead,
    RoleRequest,
    UserCreate,
    UserRead,
    UserUpdate,
)

router = APIRouter()


class RoleQuery(RoleFilter, Paging):
    pass


def _role_read(session: Session, role: Role) -> RoleRead:
    return RoleRead.from_model(
        role, entity_name=registry.entity_name(session, role.entity_type, role.entity_id)
    )


# --- users ----------------------------------------------------------------------------------------


@router.post(
    "/users",
    summary="Register yourself as a registry user (operators may register anyone)",
    status_code=201,
    response_model=UserRead,
)
def register_user(
    request: Request,
    response: Response,
    session: DbSession,
    actor: CurrentPrincipal,
    data: UserCreate,
) -> UserRead:
    user = registry.register_user(session=session, actor=actor, data=data)
    created(request, response, "get_user", user_id=user.id)
    return UserRead.from_model(user)


@router.get(
    "/users/{user_id}",
    summary="Get a user (the user, role holders and operators)",
    response_model=UserRead,
)
def get_user(session: DbSession, actor: CurrentPrincipal, user_id: int) -> UserRead:
    return UserRead.from_model(registry.read_user(session=session, actor=actor, user_id=user_id))


@router.patch(
    "/users/{user_id}",
    summary="Update your own details (operators: anyone's)",
    response_model=UserRead,
)
def update_user(
    session: DbSession, actor: CurrentPrincipal, user_id: int, data: UserUpdate
) -> UserRead:
    user = registry.update_user(session=session, actor=actor, user_id=user_id, data=data)
    return UserRead.from_model(user)


# --- roles ----------------------------------------------------------------------------------------


@router.post(
    "/roles",
    summary="Request a role over a project, NGI, site or service group",
    description="The role waits as STATUS_PENDING until someone who may grant it decides.",
    status_code=201,
    response_model=RoleRead,
)
def request_role(
    request: Request,
    response: Response,
    session: DbSession,
    actor: CurrentPrincipal,
    data: RoleRequest,
) -> RoleRead:
    role = registry.request_role(session=session, actor=actor, data=data)
    created(request, response, "get_role", role_id=role.id)
    return _role_read(session, role)


@router.get(
    "/roles",
    summary="List roles and role requests",
    description="Callers who may not read personal data (they hold no role) see only their own.",
    response_model=PageRead[RoleRead],
)
def list_roles(
    session: DbSession, actor: CurrentPrincipal, query: Annotated[RoleQuery, Query()]
) -> PageRead[RoleRead]:
    page = registry.page_roles(
        session=session, actor=actor, filter=query, cursor=query.cursor, limit=query.limit
    )
    return page_read(page, lambda role: _role_read(session, role))


@router.get("/roles/{role_id}", summary="Get a role or role request", response_model=RoleRead)
def get_role(session: DbSession, actor: CurrentPrincipal, role_id: int) -> RoleRead:
    return _role_read(session, registry.read_role(session=session, actor=actor, role_id=role_id))


@router.post(
    "/roles/{role_id}/grant",
    summary="Grant a pending role (who may is GOCDB's role-action matrix)",
    response_model=RoleRead,
)
def grant_role(session: DbSession, actor: CurrentPrincipal, role_id: int) -> RoleRead:
    return _role_read(session, registry.grant_role(session=session, actor=actor, role_id=role_id))


@router.post(
    "/roles/{role_id}/reject",
    summary="Reject a pending role; the request is deleted and recorded",
    status_code=204,
    response_class=Response,
)
def reject_role(session: DbSession, actor: CurrentPrincipal, role_id: int) -> None:
    registry.reject_role(session=session, actor=actor, role_id=role_id)


@router.post(
    "/roles/{role_id}/revoke",
    summary="Revoke a granted role (or drop your own); it is deleted and recorded",
    status_code=204,
    response_class=Response,
)
def revoke_role(session: DbSession, actor: CurrentPrincipal, role_id: int) -> None:
    registry.revoke_role(session=session, actor=actor, role_id=role_id)


@router.get(
    "/role-decisions",
    summary="The audit of role requests, grants, rejections and revocations (operators)",
    response_model=PageRead[RoleDecisionRead],
)
def list_role_decisions(
    session: DbSession, actor: CurrentPrincipal, query: Annotated[Paging, Query()]
) -> PageRead[RoleDecisionRead]:
    page = registry.page_role_decisions(
        session=session, actor=actor, cursor=query.cursor, limit=query.limit
    )
    return page_read(page, RoleDecisionRead.model_validate)


# --- site API credentials -------------------------------------------------------------------------


@router.get(
    "/sites/{site_id}/api-credentials",
    summary="List a site's API credentials (site and NGI roles)",
    response_model=PageRead[ApiCredentialRead],
)
def list_api_credentials(
    session: DbSession, actor: CurrentPrincipal, site_id: int
) -> PageRead[ApiCredentialRead]:
    credentials = registry.list_api_credentials(session=session, actor=actor, site_id=site_id)
    return whole(credentials, ApiCredentialRead.model_validate)


@router.get(
    "/sites/{site_id}/api-credentials/{credential_id}",
    summary="Get one of a site's API credentials (site and NGI roles)",
    response_model=ApiCredentialRead,
)
def get_api_credential(
    session: DbSession, actor: CurrentPrincipal, site_id: int, credential_id: int
) -> ApiCredentialRead:
    credential = registry.get_api_credential(
        session=session, actor=actor, site_id=site_id, credential_id=credential_id
    )
    return ApiCredentialRead.model_validate(credential)


@router.post(
    "/sites/{site_id}/api-credentials",
    summary="Add an API credential (X.509 DN or OIDC subject) to a site; you own it",
    status_code=201,
    response_model=ApiCredentialRead,
)
def add_api_credential(
    request: Request,
    response: Response,
    session: DbSession,
    actor: CurrentPrincipal,
    site_id: int,
    data: ApiCredentialCreate,
) -> ApiCredentialRead:
    credential = registry.add_api_credential(
        session=session, actor=actor, site_id=site_id, data=data
    )
    created(request, response, "get_api_credential", site_id=site_id, credential_id=credential.id)
    return ApiCredentialRead.model_validate(credential)


@router.delete(
    "/sites/{site_id}/api-credentials/{credential_id}",
    summary="Delete one of a site's API credentials (site and NGI roles)",
    status_code=204,
    response_class=Response,
)
def delete_api_credential(
    session: DbSession, actor: CurrentPrincipal, site_id: int, credential_id: int
) -> None:
    registry.delete_api_credential(
        session=session, actor=actor, site_id=site_id, credential_id=credential_id
    )
