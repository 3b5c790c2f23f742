"""Scopes, projects, NGIs and sites, with a site's certification status and its history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from fedcore.core.api import created, page_read
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.pagination import PageRead, Paging
from fedcore.registry import service as registry
from fedcore.registry.api.common import NameQuery
from fedcore.registry.schemas import (
    CertificationChangeRead,
    CertificationStatusChange,
    NgiCreate,
    NgiFilter,
    NgiRead,
    NgiUpdate,
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
    ScopeCreate,
    ScopeRead,
    ScopeUpdate,
    SiteCreate,
    SiteFilter,
    SiteRead,
    SiteUpdate,
)

router = APIRouter()


class NgiQuery(NgiFilter, Paging):
    pass


class SiteQuery(SiteFilter, Paging):
    pass


# --- scopes ---------------------------------------------------------------------------------------


@router.get("/scopes", summary="List scopes", response_model=PageRead[ScopeRead])
def list_scopes(session: DbSession, query: Annotated[NameQuery, Query()]) -> PageRead[ScopeRead]:
    page = registry.page_scopes(
        session=session, filter=query, cursor=query.cursor, limit=query.limit
    )
    return page_read(page, ScopeRead.model_validate)


@router.get("/scopes/{scope_id}", summary="Get a scope", response_model=ScopeRead)
def get_scope(session: DbSession, scope_id: int) -> ScopeRead:
    return ScopeRead.model_validate(registry.get_scope(session=session, scope_id=scope_id))


@router.post(
    "/scopes", summary="Create a scope (operators)", status_code=201, response_model=ScopeRead
)
def create_scope(
    request: Request,
    response: Response,
    session: DbSession,
    actor: CurrentPrincipal,
    data: ScopeCreate,
) -> ScopeRead:
    scope = registry.create_scope(session=session, actor=actor, data=data)
    created(request, response, "get_scope", scope_id=scope.id)
    return ScopeRead.model_validate(scope)


@router.patch("/scopes/{scope_id}", summary="Update a scope (operators)", response_model=ScopeRead)
def update_scope(
    session: DbSession, actor: CurrentPrincipal, scope_id: int, data: ScopeUpdate
) -> ScopeRead:
    scope = registry.update_scope(session=session, actor=actor, scope_id=scope_id, data=data)
    return ScopeRead.model_validate(scope)


@router.delete(
    "/scopes/{scope_id}",
    summary="Delete a scope (operators)",
    status_code=204,
    response_class=Response,
)
def delete_scope(session: DbSession, actor: CurrentPrincipal, scope_id: int) -> None:
    registry.delete_scope(session=session, actor=actor, scope_id=scope_id)


# --- projects -------------------------------------------------------------------------------------


@router.get("/projects", summary="List projects", response_model=PageRead[ProjectRead])
def list_projects(
    session: DbSession, query: Annotated[NameQuery, Query()]
) -> PageRead[ProjectRead]:
    page = registry.page_projects(
        session=session, filter=query, cursor=query.cursor, limit=query.limit
    )
    return page_read(page, ProjectRead.model_validate)


@router.get("/projects/{project_id}", summary="Get a project", response_model=ProjectRead)
def get_project(session: DbSession, project_id: int) -> ProjectRead:
    return ProjectRead.model_validate(registry.get_project(session=session, project_id=project_id))


@router.post(
    "/projects",
    summary="Create a project (operators)",
    status_code=201,
    response_model=ProjectRead,
)
def create_project(
    request: Request,
    response: Response,
    session: DbSession,
    actor: CurrentPrincipal,
    data: ProjectCreate,
) -> ProjectRead:
    project = registry.create_project(session=session, actor=actor, data=data)
    created(request, response, "get_project", project_id=project.id)
    return ProjectRead.model_validate(project)


@router.patch(
    "/projects/{project_id}",
    summary="Update a project (project roles)",
    response_model=ProjectRead,
)
def update_project(
    session: DbSession, actor: CurrentPrincipal, project_id: int, data: ProjectUpdate
) -> ProjectRead:
    project = registry.update_project(
        session=session, actor=actor, project_id=project_id, data=data
    )
    return ProjectRead.model_validate(project)


@router.delete(
    "/projects/{project_id}",
    summary="Delete a project (operators)",
    status_code=204,
    response_class=Response,
)
def delete_project(session: DbSession, actor: CurrentPrincipal, project_id: int) -> None:
    registry.delete_project(session=session, actor=actor, project_id=project_id)


# --- NGIs -----------------------------------------------------------------------------------------


@router.get("/ngis", summary="List NGIs", response_model=PageRead[NgiRead])
def list_ngis(session: DbSession, query: Annotated[NgiQuery, Query()]) -> PageRead[NgiRead]:
    page = registry.list_ngis(session=session, filter=query, cursor=query.cursor, limit=query.limit)
    return page_read(page, NgiRead.from_model)


@router.get("/ngis/{ngi_id}", summary="Get an NGI", response_model=NgiRead)
def get_ngi(session: DbSession, ngi_id: int) -> NgiRead:
    return NgiRead.from_model(registry.get_ngi(session=session, ngi_id=ngi_id))


@router.post("/ngis", summary="Create an NGI (operators)", status_code=201, response_model=NgiRead)
def create_ngi(
    request: Request,
    response: Response,
    session: DbSession,
    actor: CurrentPrincipal,
    data: NgiCreate,
) -> NgiRead:
    ngi = registry.create_ngi(session=session, actor=actor, data=data)
    created(request, response, "get_ngi", ngi_id=ngi.id)
    return NgiRead.from_model(ngi)


@router.patch("/ngis/{ngi_id}", summary="Update an NGI (NGI roles)", response_model=NgiRead)
def update_ngi(
    session: DbSession, actor: CurrentPrincipal, ngi_id: int, data: NgiUpdate
) -> NgiRead:
    return NgiRead.from_model(
        registry.update_ngi(session=session, actor=actor, ngi_id=ngi_id, data=data)
    )


@router.delete(
    "/ngis/{ngi_id}",
    summary="Delete an NGI without sites (operators)",
    status_code=204,
    response_class=Response,
)
def delete_ngi(session: DbSession, actor: CurrentPrincipal, ngi_id: int) -> None:
    registry.delete_ngi(session=session, actor=actor, ngi_id=ngi_id)


# --- sites ----------------------------------------------------------------------------------------


@router.get("/sites", summary="List sites", response_model=PageRead[SiteRead])
def list_sites(session: DbSession, query: Annotated[SiteQuery, Query()]) -> PageRead[SiteRead]:
    page = registry.list_sites(
        session=session, filter=query, cursor=query.cursor, limit=query.limit
    )
    return page_read(page, SiteRead.from_model)


@router.get("/sites/{site_id}", summary="Get a site", response_model=SiteRead)
def get_site(session: DbSession, site_id: int) -> SiteRead:
    return SiteRead.from_model(registry.get_site(session=session, site_id=site_id))


@router.post(
    "/sites",
    summary="Create a site, as a Candidate (NGI managers)",
    status_code=201,
    response_model=SiteRead,
)
def create_site(
    request: Request,
    response: Response,
    session: DbSession,
    actor: CurrentPrincipal,
    data: SiteCreate,
) -> SiteRead:
    site = registry.create_site(session=session, actor=actor, data=data)
    created(request, response, "get_site", site_id=site.id)
    return SiteRead.from_model(site)


@router.patch(
    "/sites/{site_id}",
    summary="Update a site (site and NGI roles)",
    response_model=SiteRead,
)
def update_site(
    session: DbSession, actor: CurrentPrincipal, site_id: int, data: SiteUpdate
) -> SiteRead:
    return SiteRead.from_model(
        registry.update_site(session=session, actor=actor, site_id=site_id, data=data)
    )


@router.delete(
    "/sites/{site_id}",
    summary="Delete a site without services (operators)",
    status_code=204,
    response_class=Response,
)
def delete_site(session: DbSession, actor: CurrentPrincipal, site_id: int) -> None:
    registry.delete_site(session=session, actor=actor, site_id=site_id)


@router.post(
    "/sites/{site_id}/certification-status",
    summary="Change a site's certification status (NGI managers, project roles)",
    response_model=SiteRead,
)
def change_certification_status(
    session: DbSession, actor: CurrentPrincipal, site_id: int, data: CertificationStatusChange
) -> SiteRead:
    site = registry.change_certification_status(
        session=session, actor=actor, site_id=site_id, data=data
    )
    return SiteRead.from_model(site)


@router.get(
    "/sites/{site_id}/certification-changes",
    summary="A site's certification status history, oldest first",
    response_model=PageRead[CertificationChangeRead],
)
def list_certification_changes(
    session: DbSession, site_id: int, query: Annotated[Paging, Query()]
) -> PageRead[CertificationChangeRead]:
    page = registry.page_certification_changes(
        session=session, site_id=site_id, cursor=query.cursor, limit=query.limit
    )
    return page_read(page, CertificationChangeRead.model_validate)
