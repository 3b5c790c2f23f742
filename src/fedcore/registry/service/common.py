"""Pieces every registry service module uses: GOCDB primary keys, scopes, countries, LIKE
filters and extension properties."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import pycountry
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from fedcore.core.errors import Conflict, NotFound, ValidationFailed
from fedcore.core.security import Principal
from fedcore.registry.enums import EntityType
from fedcore.registry.models import Counter, Country, Role, Scope
from fedcore.registry.permissions import permissions
from fedcore.registry.schemas import PropertyIn

M = TypeVar("M")

PRIMARY_KEY_COUNTER = "primary_key"


def allocate_primary_key(session: Session) -> str:
    """Next GOCDB-style primary key ``<n>G0`` (one sequence for sites and downtimes, as GOCDB)."""
    value = session.scalar(
        update(Counter)
        .where(Counter.name == PRIMARY_KEY_COUNTER)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    if value is None:
        session.add(Counter(name=PRIMARY_KEY_COUNTER, value=1))
        session.flush()
        value = 1
    return f"{value}G0"


def reserve_primary_key(session: Session, primary_key: str) -> None:
    """Make sure future keys never collide with ``primary_key`` (kept from an import)."""
    number = primary_key_number(primary_key)
    if number is None:
        return
    counter = session.get(Counter, PRIMARY_KEY_COUNTER)
    if counter is None:
        session.add(Counter(name=PRIMARY_KEY_COUNTER, value=number))
    elif counter.value < number:
        counter.value = number
    session.flush()


def primary_key_number(primary_key: str) -> int | None:
    head = primary_key.removesuffix("G0")
    return int(head) if head.isdigit() and head != primary_key else None


def like(column: InstrumentedAttribute[str], pattern: str) -> ColumnElement[bool]:
    """GOCDB's string filters: SQL LIKE (``%`` and ``_`` wildcards), case-sensitive."""
    if "%" in pattern or "_" in pattern:
        return column.like(pattern)
    return column == pattern


def get_by_name(session: Session, model: type[M], column: Any, name: str, *, field: str) -> M:
    obj = session.scalar(select(model).where(column == name))
    if obj is None:
        raise NotFound(f"no {field.replace('_', ' ')} named {name!r}", field=field)
    return obj


def get_by_id(session: Session, model: type[M], ident: int, *, field: str) -> M:
    obj = session.get(model, ident)
    if obj is None:
        raise NotFound(f"no {field.replace('_', ' ')} with id {ident}", field=field)
    return obj


def resolve_scopes(
    session: Session, actor: Principal, names: Sequence[str], *, current: Sequence[Scope] = ()
) -> list[Scope]:
    """Scope rows for ``names``; adding a reserved scope is an operator's decision."""
    wanted = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    rows = {s.name: s for s in session.scalars(select(Scope).where(Scope.name.in_(wanted)))}
    missing = [n for n in wanted if n not in rows]
    if missing:
        raise ValidationFailed(f"unknown scope(s): {', '.join(missing)}", field="scopes")
    already = {s.name for s in current}
    for name in wanted:
        if rows[name].reserved and name not in already:
            permissions.require(
                "registry.scope.apply_reserved", session=session, actor=actor, target=rows[name]
            )
    return [rows[n] for n in wanted]


def country_for_code(session: Session, code: str) -> Country:
    """The country row for an ISO 3166 alpha-2 code, created from the ISO list on first use."""
    code = code.upper()
    row = session.scalar(select(Country).where(Country.code == code))
    if row is not None:
        return row
    iso = pycountry.countries.get(alpha_2=code)
    if iso is None:
        raise ValidationFailed(f"{code!r} is not an ISO 3166 country code", field="country_code")
    return ensure_country(session, code, getattr(iso, "common_name", iso.name))


def ensure_country(session: Session, code: str, name: str) -> Country:
    """The country with this code (as GOCDB names it, e.g. from an import), created if new."""
    row = session.scalar(select(Country).where(Country.code == code))
    if row is None:
        row = session.scalar(select(Country).where(Country.name == name))
    if row is None:
        row = Country(code=code, name=name)
        session.add(row)
        session.flush()
    return row


def set_properties(
    session: Session,
    owner: Any,
    model: type[Any],
    items: Sequence[PropertyIn],
    *,
    max_count: int,
    overwrite: bool,
) -> None:
    """Add (``overwrite=False``: 409 if a key exists) or add-or-replace extension properties."""
    existing = {p.key: p for p in owner.properties}
    keys = [p.key for p in items]
    if len(set(keys)) != len(keys):
        raise ValidationFailed("a key is given twice", field="key")
    for item in items:
        prop = existing.get(item.key)
        if prop is not None and not overwrite:
            raise Conflict(f"extension property {item.key!r} exists already", field="key")
        if prop is None:
            owner.properties.append(model(key=item.key, value=item.value))
        else:
            prop.value = item.value
    if len(owner.properties) > max_count:
        raise ValidationFailed(f"at most {max_count} extension properties", field="key")
    session.flush()


def delete_properties(session: Session, owner: Any, items: Sequence[PropertyIn] | None) -> None:
    """Delete the listed keys (404 if missing; 409 if a given value differs), or all of them."""
    if items is None:
        owner.properties.clear()
        session.flush()
        return
    existing = {p.key: p for p in owner.properties}
    for item in items:
        prop = existing.get(item.key)
        if prop is None:
            raise NotFound(f"no extension property {item.key!r}", field="key")
        if item.value and prop.value != item.value:
            raise Conflict(f"extension property {item.key!r} has another value", field="value")
    for item in items:
        owner.properties.remove(existing[item.key])
    session.flush()


def count(session: Session, stmt: Any) -> int:
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def flush_unique(session: Session, what: str, name: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"a {what} named {name!r} exists already", field="name") from exc


def apply_changes(obj: object, data: dict[str, object]) -> None:
    for key, value in data.items():
        setattr(obj, key, value)


def delete_roles_of(session: Session, entity_type: EntityType, entity_id: int) -> None:
    for role in session.scalars(
        select(Role).where(Role.entity_type == entity_type, Role.entity_id == entity_id)
    ):
        session.delete(role)
