"""The rules of the GOCDB v5 write API (registry reference §2.5; GOCDB's
``htdocs/PI/write/PIWriteRequest.php`` and its ``api/write`` documentation).

A request names an entity (``site``, ``service`` or ``endpoint``, any case), its integer id, a
property and, for extension properties and endpoint deletion, a key; its body is JSON of depth
at most 2: ``{"value": "..."}`` or ``{"k1": "v1", ...}``, optionally wrapped in a one-element
array as the GOCDB documentation shows.

Authorisation is GOCDB's, not the registry's role matrix: the caller's subject must be one of
the site's API credentials that allow writing (for a service or endpoint, its parent site's).
Operators hold no implicit right here, as in GOCDB; they add a credential like anyone else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session

from fedcore.core.errors import (
    Conflict,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    NotSupported,
    ValidationFailed,
)
from fedcore.core.security import Principal
from fedcore.registry.models import Endpoint, Service, Site
from fedcore.registry.schemas import EndpointCreate, EndpointUpdate, PropertyIn, ServiceUpdate
from fedcore.registry.service.common import (
    apply_changes,
    delete_properties,
    set_properties,
)
from fedcore.registry.service.people import site_credential
from fedcore.registry.service.properties import PROPERTY_OWNERS, PropertyOwner, property_owner
from fedcore.registry.service.services import check_monitoring, flush_endpoints, new_endpoint

S = TypeVar("S", bound=BaseModel)
Scalar = str | int | float | bool | None
Body = dict[str, Scalar]

WRITE_METHODS = ("POST", "PUT", "DELETE")
EXTENSIONS = "extensionproperties"
ENDPOINT = "endpoint"

# URL property name (lower case) -> model attribute.
SERVICE_SCALARS = {
    "hostname": "hostname",
    "description": "description",
    "production": "production",
    "beta": "beta",
    "monitored": "monitored",
    "notify": "notify",
    "host_dn": "host_dn",
    "host_ip": "host_ip",
    "host_ip_v6": "host_ipv6",
    "host_os": "host_os",
    "host_arch": "host_arch",
    "url": "url",
    "email": "email",
}
ENDPOINT_SCALARS = {
    "name": "name",
    "url": "url",
    "interfacename": "interface_name",
    "description": "description",
    "email": "email",
    "monitored": "monitored",
}
BOOLEANS = frozenset({"production", "beta", "monitored", "notify"})
ENTITY_TYPES: dict[str, PropertyOwner] = {
    "site": "site",
    "service": "service",
    "endpoint": "endpoint",
}
PROPERTIES: dict[PropertyOwner, frozenset[str]] = {
    "site": frozenset({EXTENSIONS}),
    "service": frozenset({EXTENSIONS, ENDPOINT, *SERVICE_SCALARS}),
    "endpoint": frozenset({EXTENSIONS, *ENDPOINT_SCALARS}),
}


@dataclass(frozen=True)
class WriteRequest:
    """One call as it arrived: the URL's elements as written, the method and the raw body."""

    method: str
    entity_type: str
    entity_id: str
    prop: str
    key: str | None = None
    body: bytes = b""


def apply_write_request(
    *, session: Session, actor: Principal, request: WriteRequest, max_properties: int
) -> None:
    """Carry out one write-API call, or raise the error GOCDB would answer with.

    Checked in this order: method (405), entity id (400), body syntax (400), entity type and
    property (501), method and key for that property (405/400), entity (404), credential
    (403), then the value (400) and the current state (404/409).
    """
    method = request.method.upper()
    if method not in WRITE_METHODS:
        raise MethodNotAllowed(
            f"{method} is not a write-API method; use POST, PUT or DELETE "
            "(read through /gocdbpi/public/ and /gocdbpi/private/)",
            field="method",
        )
    entity_id = _integer(request.entity_id, field="EntityID")
    body = parse_body(request.body)
    kind = ENTITY_TYPES.get(request.entity_type.lower())
    prop = request.prop.lower()
    if kind is None:
        raise NotSupported(
            f"writing {request.entity_type!r} entities is not supported; "
            "the write API serves Site, Service and Endpoint",
            field="EntityType",
        )
    if prop not in PROPERTIES[kind]:
        raise NotSupported(
            f"the {kind} property {request.prop!r} cannot be written through the API; "
            f"writable: {', '.join(sorted(PROPERTIES[kind]))}",
            field="Property",
        )
    _check_method(kind, prop, method, request.key)
    target, site = _load(session, kind, entity_id)
    _authorise(session, actor, site)
    if prop == EXTENSIONS:
        _write_extensions(session, kind, target, method, request.key, body, max_properties)
    elif prop == ENDPOINT:
        _write_endpoint(session, target, method, request.key, body)
    else:
        _write_scalar(session, target, kind, prop, method, body)


# --- the request ------------------------------------------------------------------------------


def parse_body(raw: bytes) -> Body | None:
    """The body as a flat JSON object; ``None`` when there is none (allowed for DELETE)."""
    if not raw.strip():
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        raise ValidationFailed("the body is not valid JSON", field="body") from None
    if isinstance(data, list):
        if len(data) != 1:
            raise ValidationFailed(
                "a JSON array body must hold exactly one object", field="body"
            ) from None
        data = data[0]
    if not isinstance(data, dict):
        raise ValidationFailed(
            'the body must be a JSON object, {"value": "..."} or {"key": "value", ...}',
            field="body",
        )
    nested = [k for k, v in data.items() if isinstance(v, dict | list)]
    if nested:
        raise ValidationFailed(
            f"nested JSON is not accepted (depth 2 at most): {', '.join(nested)}",
            field=nested[0],
        )
    return data


def _integer(text: str, *, field: str) -> int:
    if not text.isdigit():
        raise ValidationFailed(f"{text!r} is not an integer id", field=field)
    return int(text)


def _check_method(kind: str, prop: str, method: str, key: str | None) -> None:
    if prop == EXTENSIONS:
        return
    if prop == ENDPOINT:
        if method == "DELETE" and key is None:
            raise ValidationFailed(
                "name the endpoint to delete: DELETE /v5/Service/<ServiceID>/Endpoint/<EndpointID>",
                field="EndpointID",
            )
        if method != "DELETE" and key is not None:
            raise ValidationFailed(
                "POST and PUT of an endpoint take no id in the URL; the body names it",
                field="EndpointID",
            )
        return
    if key is not None:
        raise ValidationFailed(
            "only ExtensionProperties (and Endpoint for DELETE) take a key in the URL",
            field="Key",
        )
    if method == "DELETE":
        raise MethodNotAllowed(f"the {kind} property {prop} cannot be deleted; PUT a new value")
    if method == "POST" and prop in BOOLEANS:
        raise MethodNotAllowed(f"{prop} is a boolean, always set: use PUT", field=prop)


def _load(session: Session, kind: PropertyOwner, entity_id: int) -> tuple[Any, Site]:
    """The entity and the site whose API credentials govern it."""
    owner = property_owner(session, kind, entity_id)
    return owner, PROPERTY_OWNERS[kind].target(owner)


def _authorise(session: Session, actor: Principal, site: Site) -> None:
    if not actor.is_authenticated:
        raise Forbidden(
            "the write API needs an authenticated caller registered as an API credential "
            f"of site {site.short_name}"
        )
    if site_credential(session=session, site_id=site.id, identifier=actor.subject, write=True):
        return
    raise Forbidden(
        f"{actor.subject} is not an API credential of site {site.short_name} allowed to write",
        field="credential",
    )


def _single_value(body: Body | None, prop: str) -> Scalar:
    """The ``value`` of a ``{"value": ...}`` body (GOCDB: present, not null, and alone)."""
    if body is None or body.get("value") is None:
        raise ValidationFailed(f'send the new {prop} as {{"value": "..."}}', field="value")
    if len(body) != 1:
        raise ValidationFailed(
            f'the body holds more than {{"value": ...}}: {", ".join(sorted(body))}', field="value"
        )
    return body["value"]


def _text(value: Scalar) -> str:
    """A JSON scalar as an extension-property value (GOCDB's docs show booleans there)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _validated(model: type[S], data: Mapping[str, Any], *, names: Mapping[str, str]) -> S:
    """``model`` built from ``data``; errors name the fields as the caller wrote them."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        errors = [
            (names.get(str(e["loc"][0]), str(e["loc"][0])) if e["loc"] else "body", e["msg"])
            for e in exc.errors()
        ]
        detail = "; ".join(f"{field}: {msg}" if i else msg for i, (field, msg) in enumerate(errors))
        raise ValidationFailed(detail, field=errors[0][0]) from None


# --- extension properties ---------------------------------------------------------------------


def _property(key: str, value: Scalar) -> PropertyIn:
    return _validated(PropertyIn, {"key": key, "value": _text(value)}, names={"value": key})


def _property_items(method: str, key: str | None, body: Body | None) -> list[PropertyIn] | None:
    """The properties a request names; ``None`` for a DELETE of them all."""
    if key is not None:
        if body is None and method == "DELETE":
            return [_property(key, "")]
        return [_property(key, _single_value(body, key))]
    if body is None:
        if method == "DELETE":
            return None
        raise ValidationFailed(
            'send the properties as {"key": "value", ...}', field="ExtensionProperties"
        )
    if not body:
        raise ValidationFailed(
            "name at least one property (send no body to DELETE them all)",
            field="ExtensionProperties",
        )
    return [_property(k, v) for k, v in body.items()]


def _write_extensions(
    session: Session,
    kind: PropertyOwner,
    target: Site | Service | Endpoint,
    method: str,
    key: str | None,
    body: Body | None,
    max_properties: int,
) -> None:
    items = _property_items(method, key, body)
    if method == "DELETE":
        delete_properties(session, target, items)
        return
    assert items is not None  # only a DELETE may name no property
    set_properties(
        session,
        target,
        PROPERTY_OWNERS[kind].property_model,
        items,
        max_count=max_properties,
        overwrite=method == "PUT",
    )


# --- scalar properties of services and endpoints ----------------------------------------------


def _write_scalar(
    session: Session,
    target: Service | Endpoint,
    kind: str,
    prop: str,
    method: str,
    body: Body | None,
) -> None:
    value = _single_value(body, prop)
    if isinstance(target, Service):
        attr = SERVICE_SCALARS[prop]
        data: BaseModel = _validated(ServiceUpdate, {attr: value}, names={attr: prop})
    else:
        attr = ENDPOINT_SCALARS[prop]
        data = _validated(EndpointUpdate, {attr: value}, names={attr: prop})
    if method == "POST" and getattr(target, attr):
        raise Conflict(f"the {kind}'s {prop} is set already; PUT replaces it", field=prop)
    apply_changes(target, data.model_dump(exclude_unset=True))
    if isinstance(target, Service):
        check_monitoring(target)
        session.flush()
    else:
        _default_interface(target)
        flush_endpoints(session, target.name)


def _default_interface(endpoint: Endpoint) -> None:
    if not endpoint.interface_name:
        endpoint.interface_name = endpoint.service.service_type.name


# --- endpoints of a service -------------------------------------------------------------------


def _endpoint_fields(body: Body | None) -> dict[str, Scalar]:
    """The body of an endpoint POST/PUT with GOCDB's case-insensitive field names mapped."""
    if not body:
        raise ValidationFailed(
            'send the endpoint as {"name": "...", "url": "...", "interfaceName": "...", '
            '"description": "...", "email": "...", "monitored": true}',
            field="body",
        )
    fields: dict[str, Scalar] = {}
    for name, value in body.items():
        attr = ENDPOINT_SCALARS.get(name.lower())
        if attr is None:
            raise ValidationFailed(
                "not an endpoint field; use name, url, interfaceName, description, email, "
                "monitored",
                field=name,
            )
        if value is None:
            raise ValidationFailed("must not be null", field=name)
        fields[attr] = value
    return fields


def _write_endpoint(
    session: Session, service: Service, method: str, key: str | None, body: Body | None
) -> None:
    if method == "DELETE":
        _delete_endpoint(session, service, key, body)
        return
    fields = _endpoint_fields(body)
    names = {attr: attr.replace("_", "") for attr in fields}
    update = _validated(EndpointUpdate, fields, names=names)
    if update.name is None:
        raise ValidationFailed("an endpoint's name is mandatory", field="name")
    existing = next((e for e in service.endpoints if e.name == update.name), None)
    if existing is not None:
        if method == "POST":
            raise Conflict(
                f"service {service.id} has an endpoint named {update.name!r} already; "
                "PUT updates it",
                field="name",
            )
        apply_changes(existing, update.model_dump(exclude_unset=True))
        _default_interface(existing)
        session.flush()
        return
    if not update.url:
        raise ValidationFailed("a new endpoint's url is mandatory", field="url")
    # GOCDB's documented default: a new endpoint is monitored as its service is.
    data = _validated(
        EndpointCreate,
        {"monitored": service.monitored, **update.model_dump(exclude_unset=True)},
        names=names,
    )
    service.endpoints.append(new_endpoint(service, data))
    flush_endpoints(session, data.name)


def _delete_endpoint(
    session: Session, service: Service, key: str | None, body: Body | None
) -> None:
    if body:
        raise ValidationFailed("DELETE of an endpoint takes no body", field="body")
    endpoint_id = _integer(key or "", field="EndpointID")
    endpoint = next((e for e in service.endpoints if e.id == endpoint_id), None)
    if endpoint is None:
        raise NotFound(
            f"service {service.id} has no endpoint with id {endpoint_id}", field="EndpointID"
        )
    service.endpoints.remove(endpoint)
    session.flush()
