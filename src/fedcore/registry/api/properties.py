"""Extension properties (key/value) of sites, services, endpoints and service groups, under
``/<owners>/{id}/properties``: GET lists them, POST adds (an existing key is a conflict), PUT
adds or replaces, DELETE removes the keys given as ``?key=`` (all of them without any)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import StringConstraints

from fedcore.core.deps import AppSettings, CurrentPrincipal, DbSession
from fedcore.registry import service as registry
from fedcore.registry.schemas import KEY_RE, PropertyIn, PropertyRead
from fedcore.registry.service.properties import PropertyOwner

router = APIRouter()

Key = Annotated[str, StringConstraints(pattern=KEY_RE)]

OWNERS: dict[str, PropertyOwner] = {
    "sites": "site",
    "services": "service",
    "endpoints": "endpoint",
    "service-groups": "service_group",
}


def _read(properties: list[object]) -> list[PropertyRead]:
    return [PropertyRead.model_validate(p) for p in properties]


def _add_routes(plural: str, owner: PropertyOwner) -> None:
    path = f"/{plural}/{{owner_id}}/properties"
    label = owner.replace("_", " ")

    @router.get(
        path,
        name=f"list_{owner}_properties",
        summary=f"List a {label}'s extension properties",
        response_model=list[PropertyRead],
    )
    def list_properties(session: DbSession, owner_id: int) -> list[PropertyRead]:
        return _read(
            registry.list_extension_properties(session=session, owner_type=owner, owner_id=owner_id)
        )

    def _set(
        session: DbSession,
        actor: CurrentPrincipal,
        settings: AppSettings,
        owner_id: int,
        items: list[PropertyIn],
        *,
        overwrite: bool,
    ) -> list[PropertyRead]:
        return _read(
            registry.set_extension_properties(
                session=session,
                actor=actor,
                owner_type=owner,
                owner_id=owner_id,
                items=items,
                max_count=settings.extensions_max,
                overwrite=overwrite,
            )
        )

    @router.post(
        path,
        name=f"add_{owner}_properties",
        summary=f"Add extension properties to a {label}; an existing key is a conflict",
        response_model=list[PropertyRead],
    )
    def add_properties(
        session: DbSession,
        actor: CurrentPrincipal,
        settings: AppSettings,
        owner_id: int,
        items: list[PropertyIn],
    ) -> list[PropertyRead]:
        return _set(session, actor, settings, owner_id, items, overwrite=False)

    @router.put(
        path,
        name=f"put_{owner}_properties",
        summary=f"Add or replace extension properties of a {label}",
        response_model=list[PropertyRead],
    )
    def put_properties(
        session: DbSession,
        actor: CurrentPrincipal,
        settings: AppSettings,
        owner_id: int,
        items: list[PropertyIn],
    ) -> list[PropertyRead]:
        return _set(session, actor, settings, owner_id, items, overwrite=True)

    @router.delete(
        path,
        name=f"delete_{owner}_properties",
        summary=f"Delete extension properties of a {label} (all of them without ?key=)",
        status_code=204,
        response_class=Response,
    )
    def delete_properties(
        session: DbSession,
        actor: CurrentPrincipal,
        owner_id: int,
        key: Annotated[list[Key] | None, Query(description="keys to delete")] = None,
    ) -> None:
        registry.delete_extension_properties(
            session=session,
            actor=actor,
            owner_type=owner,
            owner_id=owner_id,
            items=None if key is None else [PropertyIn(key=k) for k in key],
        )


for _plural, property_owner in OWNERS.items():
    _add_routes(_plural, property_owner)
