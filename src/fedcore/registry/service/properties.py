"""Extension properties (GOCDB's custom key/value pairs) of sites, services, endpoints and
service groups, with the permission check of each owner type.

Whoever may edit a site may change the properties of the site, its services and their
endpoints; a service group's administrators change the group's. At most ``max_count``
properties per owner (``local_info.xml`` ``extensions/max``, ``FEDCORE_EXTENSIONS_MAX``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from fedcore.core.security import Principal
from fedcore.registry.models import (
    Endpoint,
    EndpointProperty,
    Service,
    ServiceGroup,
    ServiceGroupProperty,
    ServiceProperty,
    Site,
    SiteProperty,
)
from fedcore.registry.permissions import permissions
from fedcore.registry.schemas import PropertyIn
from fedcore.registry.service.common import delete_properties, get_by_id, set_properties

PropertyOwner = Literal["site", "service", "endpoint", "service_group"]


@dataclass(frozen=True)
class _Owner:
    model: type[Any]
    property_model: type[Any]
    action: str
    target: Callable[[Any], Any]


PROPERTY_OWNERS: dict[str, _Owner] = {
    "site": _Owner(Site, SiteProperty, "registry.site.edit", lambda site: site),
    "service": _Owner(Service, ServiceProperty, "registry.site.edit", lambda s: s.site),
    "endpoint": _Owner(Endpoint, EndpointProperty, "registry.site.edit", lambda e: e.service.site),
    "service_group": _Owner(
        ServiceGroup, ServiceGroupProperty, "registry.service_group.edit", lambda g: g
    ),
}


def property_owner(session: Session, owner_type: PropertyOwner, owner_id: int) -> Any:
    return get_by_id(session, PROPERTY_OWNERS[owner_type].model, owner_id, field=owner_type)


def _editable_owner(
    session: Session, actor: Principal, owner_type: PropertyOwner, owner_id: int
) -> Any:
    owner = property_owner(session, owner_type, owner_id)
    spec = PROPERTY_OWNERS[owner_type]
    permissions.require(spec.action, session=session, actor=actor, target=spec.target(owner))
    return owner


def list_extension_properties(
    *, session: Session, owner_type: PropertyOwner, owner_id: int
) -> list[Any]:
    """The owner's properties in the order they were added (public, as in the PI)."""
    return list(property_owner(session, owner_type, owner_id).properties)


def set_extension_properties(
    *,
    session: Session,
    actor: Principal,
    owner_type: PropertyOwner,
    owner_id: int,
    items: Sequence[PropertyIn],
    max_count: int,
    overwrite: bool,
) -> list[Any]:
    """Add properties (``overwrite=False``: an existing key is a conflict) or add-or-replace them;
    returns all of the owner's properties."""
    owner = _editable_owner(session, actor, owner_type, owner_id)
    set_properties(
        session,
        owner,
        PROPERTY_OWNERS[owner_type].property_model,
        items,
        max_count=max_count,
        overwrite=overwrite,
    )
    return list(owner.properties)


def delete_extension_properties(
    *,
    session: Session,
    actor: Principal,
    owner_type: PropertyOwner,
    owner_id: int,
    items: Sequence[PropertyIn] | None,
) -> list[Any]:
    """Delete the given keys (a given non-empty value must match), or all properties when
    ``items`` is None; returns the properties left."""
    owner = _editable_owner(session, actor, owner_type, owner_id)
    delete_properties(session, owner, items)
    return list(owner.properties)
