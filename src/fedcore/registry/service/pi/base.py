"""Shared pieces of the PI queries: the caller's access level, scope and extension filters,
cursor paging, and the bulk fetches of child rows (scopes, extension properties, role holders)
keyed by parent id."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Row,
    Select,
    Table,
    and_,
    any_,
    bindparam,
    exists,
    func,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import InstrumentedAttribute, Session

from fedcore.core.db import utcnow
from fedcore.core.logging import get_logger
from fedcore.core.security import Principal
from fedcore.registry.enums import EntityType, RoleStatus
from fedcore.registry.extensions_expr import ExtensionTerm, Operator
from fedcore.registry.models import ApiCredential, Role, Scope, User
from fedcore.registry.permissions import permissions
from fedcore.registry.service.common import like

CREDENTIAL_USE_GRANULARITY = timedelta(hours=1)
log = get_logger(__name__)

AnyRow = Row[*tuple[Any, ...]]
AnySelect = Select[*tuple[Any, ...]]
Record = tuple[Any, ...]


# --- access ------------------------------------------------------------------------------------------


class PiAccess(IntEnum):
    """What a caller may read through the PI (GOCDB's levels 1-3, plus personal data)."""

    PUBLIC = 1
    AUTHENTICATED = 2
    REGISTERED = 3
    PERSONAL_DATA = 4


def pi_access(*, session: Session, actor: Principal) -> PiAccess:
    """The caller's PI level: any credential is level 2; a registered user or a site API
    credential is level 3; operators, role holders and API credentials may read personal data.
    Using an API credential records its last use (GOCDB expires unused credentials)."""
    if not actor.is_authenticated:
        return PiAccess.PUBLIC
    if actor.is_admin:
        return PiAccess.PERSONAL_DATA
    if _note_credential_use(session, actor.subject):
        return PiAccess.PERSONAL_DATA
    registered = session.scalar(select(User.id).where(User.subject == actor.subject))
    if registered is None:
        return PiAccess.AUTHENTICATED
    if permissions.allows("registry.personal_data.read", session=session, actor=actor):
        return PiAccess.PERSONAL_DATA
    return PiAccess.REGISTERED


def _note_credential_use(session: Session, identifier: str) -> bool:
    """Whether ``identifier`` is a site API credential; records its use at most once per hour.

    Reads stay read-only in the common case: a write on every authenticated read would make
    concurrent readers contend for SQLite's single writer lock."""
    now = utcnow()
    last_uses = list(
        session.scalars(
            select(ApiCredential.last_used_at).where(ApiCredential.identifier == identifier)
        )
    )
    if not last_uses:
        return False
    if any(used is None or now - used > CREDENTIAL_USE_GRANULARITY for used in last_uses):
        try:
            with session.begin_nested():
                session.execute(
                    update(ApiCredential)
                    .where(ApiCredential.identifier == identifier)
                    .values(last_used_at=now)
                )
        except OperationalError:
            # Another request holds SQLite's write lock; the next read records the use.
            log.info("credential_use_not_recorded", identifier=identifier)
    return True


# --- filters and paging -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScopeFilter:
    """Scope tags to match; ``match`` is ``all`` or ``any`` (irrelevant for a single tag)."""

    names: tuple[str, ...]
    match: str = "all"


@dataclass(frozen=True)
class Paging:
    """GOCDB cursor paging: off unless a cursor is given; cursors are entity ids."""

    next_cursor: int | None = None
    prev_cursor: int | None = None
    size: int = 100

    @property
    def active(self) -> bool:
        return self.next_cursor is not None or self.prev_cursor is not None


UNPAGED = Paging()


@dataclass
class PiPage:
    """Main rows in id order, and the cursor bounds GOCDB renders into ``<meta>``."""

    rows: list[AnyRow]
    paged: bool
    count: int = 0
    first_id: int | None = None
    last_id: int | None = None


def scope_clause(
    id_column: Any, link: Table, link_column: str, scope: ScopeFilter | None
) -> ColumnElement[bool] | None:
    """``id`` carries the scope tag(s), all of them or any one. Correlated on the link table's
    primary key, so a selective query probes a few rows instead of listing every tagged one."""
    if scope is None or not scope.names:
        return None
    names = tuple(dict.fromkeys(scope.names))
    joined = link.join(Scope, Scope.id == link.c.scope_id)
    owned = link.c[link_column] == id_column
    if len(names) == 1:
        return exists().select_from(joined).where(owned, Scope.name == names[0])
    if scope.match == "any":
        return exists().select_from(joined).where(owned, Scope.name.in_(names))
    tagged = select(func.count()).select_from(joined).where(owned, Scope.name.in_(names))
    return tagged.scalar_subquery() == len(names)


def extensions_clause(
    id_column: Any, model: Any, terms: Sequence[ExtensionTerm]
) -> ColumnElement[bool] | None:
    """The extension terms folded left to right (AND: both, OR: either, NOT: and not); each
    term probes the property table's (parent, key) index."""
    result: ColumnElement[bool] | None = None
    for term in terms:
        value = None if term.value is None else model.value == term.value
        condition: ColumnElement[bool] = exists().where(
            model.parent_id == id_column, model.key == term.key, *present(value)
        )
        if term.operator is Operator.NOT:
            condition = not_(condition)
        if result is None:
            result = condition
        elif term.operator is Operator.OR:
            result = or_(result, condition)
        else:
            result = and_(result, condition)
    return result


def present(*conditions: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    return [c for c in conditions if c is not None]


def where(stmt: AnySelect, *conditions: ColumnElement[bool] | None) -> AnySelect:
    kept = present(*conditions)
    return stmt.where(*kept) if kept else stmt


def like_filter(
    column: InstrumentedAttribute[str], value: str | None
) -> ColumnElement[bool] | None:
    return None if value is None else like(column, value)


def any_like(column: InstrumentedAttribute[str], values: Sequence[str]) -> ColumnElement[bool]:
    return or_(*(like(column, v) for v in values))


def paged(
    session: Session, stmt: AnySelect, id_column: Any, paging: Paging
) -> tuple[list[AnyRow], PiPage]:
    """Run ``stmt`` in id order, restricted to one cursor page when paging (GOCDB's executor:
    ``next_cursor`` = ids above, ``prev_cursor`` = ids below, and the bounds for the links)."""
    if not paging.active:
        rows = list(run(session, stmt.order_by(id_column)))
        return rows, PiPage(rows=rows, paged=False, count=len(rows))
    if paging.next_cursor is not None:
        stmt = stmt.where(id_column > paging.next_cursor).order_by(id_column)
        rows = list(run(session, stmt.limit(paging.size)))
    else:
        stmt = stmt.where(id_column < paging.prev_cursor).order_by(id_column.desc())
        rows = list(run(session, stmt.limit(paging.size)))[::-1]
    return rows, bounds(rows, [r.id for r in rows], paging)


def bounds(rows: list[AnyRow], ids: Sequence[int], paging: Paging) -> PiPage:
    first: int | None = None
    last: int | None = None
    if ids:
        first, last = ids[0], ids[-1]
    elif paging.next_cursor is not None:
        first = paging.next_cursor + 1  # overshot: "prev" leads back to the last page
    elif paging.prev_cursor is not None:
        last = max(paging.prev_cursor - 1, 0)
    return PiPage(rows=rows, paged=True, count=len(ids), first_id=first, last_id=last)


BULK = 5000
"""Above this many parents, child rows are fetched for every parent and picked by id, which
is faster than filtering them by a long id list or by re-running the parents' filters."""

Keys = list[int] | AnySelect | None
"""Parents whose child rows are wanted: ids, an id subquery, or ``None`` for all."""


def keys_for(ids: Sequence[int]) -> list[int] | None:
    return list(ids) if len(ids) <= BULK else None


def within(session: Session, column: Any, keys: Keys) -> ColumnElement[bool] | None:
    """``column IN keys``. An id list is one array parameter on PostgreSQL (``= ANY``: the same
    statement whatever the ids, prepared once, ~30% faster than literals there) and literal
    integers elsewhere (SQLite plans them faster than a thousand bound parameters)."""
    if keys is None:
        return None
    if isinstance(keys, list) and session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, keys, type_=ARRAY(Integer)))  # type: ignore[no-any-return]
    if isinstance(keys, list):
        return column.in_(bindparam(None, keys, expanding=True, literal_execute=True))  # type: ignore[no-any-return]
    return column.in_(keys)  # type: ignore[no-any-return]


def run(session: Session, stmt: AnySelect) -> list[AnyRow]:
    """Run a column select on the session's connection and fetch every row at once: Core rows,
    without the ORM's per-row bookkeeping (a third of a ten-thousand-row select's time)."""
    return list(session.connection().execute(stmt).all())


def group_by_parent(rows: Iterable[AnyRow]) -> dict[int, list[AnyRow]]:
    """Rows ordered by their first column (the parent id), grouped by it."""
    return {parent: list(group) for parent, group in groupby(rows, itemgetter(0))}


def scope_names(session: Session, link: Table, column: str, keys: Keys) -> dict[int, list[str]]:
    owner = link.c[column]
    stmt = select(owner, Scope.name).join(Scope, Scope.id == link.c.scope_id)
    rows = run(session, where(stmt, within(session, owner, keys)).order_by(owner, Scope.name))
    return {parent: [name for _, name in group] for parent, group in groupby(rows, itemgetter(0))}


def properties(session: Session, model: Any, keys: Keys) -> dict[int, list[AnyRow]]:
    """Extension properties ``(parent_id, id, key, value)`` of the given parents, by id."""
    stmt = select(model.parent_id, model.id, model.key, model.value)
    return group_by_parent(
        run(
            session,
            where(stmt, within(session, model.parent_id, keys)).order_by(model.parent_id, model.id),
        )
    )


CONTACT_COLUMNS = (
    Role.entity_id,
    Role.role_type,
    User.id.label("user_id"),
    User.subject,
    User.forename,
    User.surname,
    User.title,
    User.email,
    User.telephone,
    User.working_hours_start,
    User.working_hours_end,
    User.certdn,
)


def contacts(
    session: Session, entity_type: EntityType, keys: Keys, roletype: str | None
) -> dict[int, list[AnyRow]]:
    """Users holding a GRANTED role over each entity (``roletype``: only that role)."""
    stmt = where(
        select(*CONTACT_COLUMNS)
        .join(User, User.id == Role.user_id)
        .where(Role.entity_type == entity_type, Role.status == RoleStatus.GRANTED),
        within(session, Role.entity_id, keys),
        None if roletype is None else Role.role_type == roletype,
    )
    return group_by_parent(run(session, stmt.order_by(Role.entity_id, Role.id)))
