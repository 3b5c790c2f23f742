"""The import's machinery: loading records kind by kind, identifiers, and the pieces the
per-entity upserts share (scopes, extension properties, referenced NGIs, types and sites).

* Upsert by GOCDB's identifiers, which are kept: site ``ID`` and ``PRIMARY_KEY``, service id
  from its ``<n>G0`` key, endpoint ``ID``, downtime ``ID`` and ``PRIMARY_KEY``, NGI ``ID``,
  service group ``ID``, service type ``TYPE_ID``, user ``ID``, extension ``LOCAL_ID``. An entity
  the registry holds under the same name (a service: site, hostname and type) but another id
  (created earlier, e.g. as a minimal reference, or re-numbered by an earlier import) keeps its
  id, with a warning; a document id and name that point at two different registry entries is a
  conflict.
* An id that cannot be kept is re-allocated, with a warning naming the record and the original
  id: one that is not GOCDB's (a non-integer ``ID``, a key not ``<n>G0``: the parser gives
  ``None``), or one the registry (or an earlier record of the import) holds for another entity
  under another name. Sites and users keep their id when renamed (a site when its id and key
  both agree; a user's DN changes with its certificate).
* On PostgreSQL each id sequence is moved past the largest id afterwards, so that later
  creations do not collide with imported ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from fedcore.core.db import utcnow
from fedcore.core.errors import Conflict, FedcoreError, NotFound, ValidationFailed
from fedcore.core.security import Principal
from fedcore.registry import gocdbxml as gx
from fedcore.registry.enums import EntityType
from fedcore.registry.models import (
    Country,
    Downtime,
    Endpoint,
    EndpointProperty,
    Ngi,
    Project,
    Scope,
    Service,
    ServiceGroup,
    ServiceGroupProperty,
    ServiceProperty,
    ServiceType,
    Site,
    SiteProperty,
    User,
)
from fedcore.registry.service.common import (
    country_for_code,
    ensure_country,
    primary_key_number,
    reserve_primary_key,
)
from fedcore.registry.service.importing.report import ImportReport

M = TypeVar("M")
R = TypeVar("R", bound=gx.Record)
Outcome = Literal["created", "updated", "unchanged"]

# Tables whose ids an import sets explicitly (their sequences are advanced afterwards).
EXPLICIT_IDS: tuple[type[Any], ...] = (
    Ngi,
    Project,
    ServiceType,
    Site,
    SiteProperty,
    Service,
    ServiceProperty,
    Endpoint,
    EndpointProperty,
    ServiceGroup,
    ServiceGroupProperty,
    Downtime,
    User,
)


def _check_lengths(model: Any, values: dict[str, Any]) -> None:
    """Strings must fit their columns (PostgreSQL refuses longer ones, SQLite would keep them)."""
    columns = model.__table__.c
    for key, value in values.items():
        column = columns.get(key)
        length = getattr(column.type, "length", None) if column is not None else None
        if isinstance(value, str) and length is not None and len(value) > length:
            raise ValidationFailed(f"{key} has {len(value)} characters; at most {length} fit")


def _checked(obj: M) -> M:
    """A new row whose strings fit their columns."""
    _check_lengths(type(obj), {c.key: getattr(obj, c.key) for c in obj.__table__.columns})  # type: ignore[attr-defined]
    return obj


def _assign(obj: Any, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; True if any did."""
    _check_lengths(type(obj), values)
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


class _Loader:
    def __init__(self, session: Session, actor: Principal, documents: Sequence[gx.Document]):
        self.session = session
        self.actor = actor
        self.documents = documents
        self.report = ImportReport()
        self.next_ids: dict[type[Any], int] = {}
        self.reserved_ids: dict[type[Any], int] = {}
        self.claimed_services: set[int] = set()
        self.now = utcnow()

    def records(self, kind: type[R]) -> list[R]:
        return [r for d in self.documents for r in d.records if isinstance(r, kind)]

    def load(self, kind: str, record_type: type[R], upsert: Callable[[R], Outcome]) -> None:
        """Upsert each record; errors and warnings are prefixed with the record's file, element
        and line."""
        for record in self.records(record_type):
            warned = len(self.report.warnings)
            try:
                outcome = upsert(record)
                self.session.flush()
            except FedcoreError as exc:
                raise type(exc)(f"{record.source}: {exc}") from exc
            except IntegrityError as exc:
                raise Conflict(
                    f"{record.source}: conflicts with the registry's data ({exc.orig})"
                ) from exc
            except DataError as exc:
                raise ValidationFailed(
                    f"{record.source}: a value does not fit the registry ({exc.orig})"
                ) from exc
            getattr(self.report, outcome)[kind] += 1
            self.report.warnings[warned:] = [
                f"{record.source}: {w}" for w in self.report.warnings[warned:]
            ]

    # --- identifiers ----------------------------------------------------------------------------

    def reserve(self) -> None:
        """Keep GOCDB primary keys and ids of the documents free for them."""
        keys = [r.primary_key for r in self.records(gx.SiteRecord) if r.primary_key]
        keys += [r.primary_key for r in self.records(gx.SiteListRecord)]
        keys += [r.primary_key for r in self.records(gx.DowntimeRecord)]
        numbers = [n for n in map(primary_key_number, keys) if n is not None]
        if numbers:
            reserve_primary_key(self.session, f"{max(numbers)}G0")
        ids: dict[type[Any], list[int | None]] = {
            Ngi: [r.id for r in self.records(gx.NgiRecord)],
            ServiceType: [r.id for r in self.records(gx.ServiceTypeRecord)],
            Site: [r.id for r in self.records(gx.SiteRecord)]
            + [r.id for r in self.records(gx.SiteListRecord)],
            Service: [r.id for r in self.records(gx.ServiceRecord)],
            ServiceGroup: [r.id for r in self.records(gx.ServiceGroupRecord)],
            Project: [],
        }
        for group in self.records(gx.ServiceGroupRecord):
            ids[Service] += [m.id for m in group.members]
        for downtime in self.records(gx.DowntimeRecord):
            ids[Service] += [s.id for s in downtime.services if s.id is not None]
        models = {
            EntityType.NGI: Ngi,
            EntityType.PROJECT: Project,
            EntityType.SERVICE_GROUP: ServiceGroup,
        }
        for user in self.records(gx.UserRecord):
            for role in user.roles:
                ids[Project] += [p for p, _ in role.projects]
                number = _entity_id(role)
                if role.entity_type in models and number is not None:
                    ids[models[EntityType(role.entity_type)]].append(number)
        self.reserved_ids = {
            model: max((i for i in found if i is not None), default=0)
            for model, found in ids.items()
        }

    def new_id(self, model: type[Any]) -> int:
        """An id for an entity created without one: above every id in the registry and documents."""
        if model not in self.next_ids:
            highest = self.session.scalar(select(func.max(model.id))) or 0
            self.next_ids[model] = max(highest, self.reserved_ids.get(model, 0)) + 1
        ident = self.next_ids[model]
        self.next_ids[model] += 1
        return ident

    def match(
        self, model: type[M], ident: int | None, what: str, *, renamed: bool = False, **unique: Any
    ) -> M | None:
        """The registry row for a document's entity: by its unique name(s), else by id. A row
        found by id alone is another entity (the record will get a new id) unless ``renamed``
        says an entity keeps its id under a new name. ``None`` values of ``unique`` are not
        looked up (a key that could not be kept)."""
        by_id = None if ident is None else self.session.get(model, ident)
        named: list[Any] = [
            self.session.scalar(select(model).where(getattr(model, column) == value))
            for column, value in unique.items()
            if value is not None
        ]
        rows: list[Any] = sorted(
            dict.fromkeys(r for r in named if r is not None), key=lambda r: r.id
        )
        if renamed and by_id is not None and by_id not in rows:
            rows.insert(0, by_id)
        if len(rows) > 1:
            found = "; ".join(
                f"id {r.id} ({', '.join(f'{c} {getattr(r, c)!r}' for c in unique)})" for r in rows
            )
            raise Conflict(f"{what} {ident} matches different registry entries: {found}")
        if rows and ident is not None and rows[0].id != ident:
            self.report.warnings.append(
                f"{what} {ident} ({', '.join(repr(v) for v in unique.values() if v)}) keeps "
                f"the id {rows[0].id} it has in the registry"
            )
        return rows[0] if rows else None

    def fresh_id(self, model: type[Any], ident: int | None, what: str, reason: str) -> int:
        """The id to create an entity under: ``ident`` if given and free, else a new one, with
        a warning saying why (``reason``: why the document's id could not be kept)."""
        if ident is not None and self.session.get(model, ident) is None:
            if reason:  # e.g. a site with an integer ID whose key is not GOCDB's
                self.report.warnings.append(f"{what}: {reason}, so it is created as {ident}")
            return ident
        new = self.new_id(model)
        why = reason or f"that id is another {_NOUNS.get(model, 'extension')}'s"
        self.report.warnings.append(f"{what}: {why}, so it is created as {_label(model, new)}")
        return new

    def renumbered(self, model: type[Any], found: Any, what: str, reason: str) -> None:
        """Re-importing a record whose id could not be kept: say which id it has."""
        if reason:
            self.report.warnings.append(
                f"{what}: {reason}; it is {_label(model, found.id)} in the registry"
            )

    def put(
        self,
        model: type[Any],
        found: M | None,
        ident: int | None,
        values: dict[str, Any],
        what: str,
        reason: str = "",
    ) -> tuple[M, bool]:
        """Update ``found`` with ``values``, or add a new row with ``values`` under this id (or
        a new one: see ``fresh_id``); whether anything changed. ``what`` names the record and
        ``reason`` says why its id could not be kept, for the warnings."""
        if found is not None:
            self.renumbered(model, found, what, reason)
            return found, _assign(found, values)
        obj = _checked(model(id=self.fresh_id(model, ident, what, reason), **values))
        self.session.add(obj)
        return obj, True

    def created(self, kind: str, obj: M) -> M:
        self.session.add(_checked(obj))
        self.report.created[kind] += 1
        return obj

    # --- shared pieces --------------------------------------------------------------------------

    def scopes(self, names: Iterable[str]) -> list[Scope]:
        found = []
        for name in names:
            scope = self.session.scalar(select(Scope).where(Scope.name == name))
            if scope is None:
                scope = self.created("scopes", Scope(name=name, reserved=False))
            found.append(scope)
        return found

    def set_scopes(self, owner: Any, names: Iterable[str] | None) -> bool:
        """The owner's scopes become ``names``; ``None`` (not given) leaves them as they are."""
        if names is None:
            return False
        scopes = self.scopes(names)
        if {s.name for s in owner.scopes} == {s.name for s in scopes}:
            return False
        owner.scopes = scopes
        return True

    def set_properties(
        self, owner: Any, model: type[Any], extensions: Sequence[gx.Extension] | None
    ) -> bool:
        """Make the owner's extension properties exactly the document's, keeping LOCAL_IDs; a
        property whose LOCAL_ID is not an integer is the owner's one of that KEY, or new.
        ``None`` (EXTENSIONS not given) leaves them as they are."""
        if extensions is None:
            return False
        current = {p.id: p for p in owner.properties}
        by_key = {p.key: p.id for p in owner.properties}
        resolved: list[tuple[int | None, gx.Extension]] = []
        for ext in extensions:
            ident = ext.local_id if ext.local_id is not None else by_key.get(ext.key)
            if ext.local_id is None and ident is not None:
                self.renumbered(model, current[ident], *_extension_renumbering(ext))
            resolved.append((ident, ext))
        if {(p.id, p.key, p.value) for p in current.values()} == {
            (i, e.key, e.value) for i, e in resolved
        }:
            return False
        wanted = {i for i, _ in resolved}
        for prop in list(owner.properties):
            if prop.id not in wanted:
                owner.properties.remove(prop)
        self.session.flush()
        for ident, ext in resolved:
            prop = None if ident is None else current.get(ident)
            if prop is not None:
                _assign(prop, {"key": ext.key, "value": ext.value})
                continue
            if ident is None:
                ident = self.fresh_id(model, None, *_extension_renumbering(ext))
            elif self.session.get(model, ident) is not None:
                raise Conflict(f"extension LOCAL_ID {ident} belongs to another entity")
            owner.properties.append(_checked(model(id=ident, key=ext.key, value=ext.value)))
        return True

    def country(self, code: str, name: str) -> Country:
        return (
            ensure_country(self.session, code, name)
            if name
            else country_for_code(self.session, code)
        )

    def ngi_named(self, name: str) -> Ngi:
        ngi = self.session.scalar(select(Ngi).where(Ngi.name == name))
        return ngi or self.created("ngis", Ngi(id=self.new_id(Ngi), name=name))

    def type_named(self, name: str) -> ServiceType:
        found = self.session.scalar(select(ServiceType).where(ServiceType.name == name))
        return found or self.created(
            "service types", ServiceType(id=self.new_id(ServiceType), name=name, description="")
        )

    def site_named(self, name: str, why: str) -> Site:
        site = self.session.scalar(select(Site).where(Site.short_name == name))
        if site is None:
            raise NotFound(
                f"site {name!r} ({why}) is not in the registry; import its get_site output "
                "first or together with this file"
            )
        return site

    @staticmethod
    def outcome(created: bool, changed: bool) -> Outcome:
        return "created" if created else "updated" if changed else "unchanged"


_NOUNS: dict[type[Any], str] = {
    Ngi: "NGI",
    Project: "project",
    ServiceType: "service type",
    Site: "site",
    Service: "service",
    Endpoint: "endpoint",
    ServiceGroup: "service group",
    Downtime: "downtime",
    User: "user",
}


def _given(**values: Any) -> dict[str, Any]:
    """The values a document gives (``None``: not given, the registry's value stays)."""
    return {k: v for k, v in values.items() if v is not None}


def _label(model: type[Any], ident: int) -> str:
    """How an id is shown: as a ``<n>G0`` key for services and service types."""
    return f"{ident}G0" if model in (Service, ServiceType) else str(ident)


def _extension_renumbering(ext: gx.Extension) -> tuple[str, str]:
    """(what, reason) for the warning about an extension whose LOCAL_ID is not an integer."""
    return f"extension {ext.key!r}", f"LOCAL_ID {ext.given!r} is not an integer id"


def _entity_id(role: gx.RoleRecord) -> int | None:
    """A USER_ROLE's PRIMARY_KEY as an id (NGIs and projects give ids, groups maybe ``<n>G0``)."""
    if role.entity_type == EntityType.SITE or not role.entity_key:
        return None
    return int(role.entity_key.removesuffix("G0"))


def _advance_sequences(session: Session) -> None:
    """PostgreSQL: move each id sequence past the largest id (imports set ids explicitly)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in EXPLICIT_IDS:
        table = model.__tablename__
        sequence = f"pg_get_serial_sequence('{table}', 'id')"
        session.execute(
            text(
                f"SELECT setval({sequence}, max(id)) FROM {table} "  # noqa: S608  (model names)
                f"HAVING max(id) > coalesce(pg_sequence_last_value({sequence}::regclass), 0)"
            )
        )
