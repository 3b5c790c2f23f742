"""Importing GOCDB PI documents (``fedcore registry import-gocdb``): an operator's bulk upsert.

Records parsed by :mod:`fedcore.registry.gocdbxml` are loaded in dependency order (NGIs,
service types, sites, services, service groups, downtimes, users), all in the caller's one
transaction, so that a bad record stores nothing.

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
* What a document says about an entity replaces the registry's view of it: scopes, extension
  properties, endpoints, service-group membership, a user's granted roles.
* Things a document refers to but does not define are created with what it says: an NGI from a
  site's ``ROC``, a site from a service's ``SITENAME``/``ROC_NAME``/``COUNTRY_CODE``, a service
  type from its name, a service and its endpoints from a downtime, scopes, projects. A downtime's
  site must be known (a downtime document does not say a site's NGI or country); so must a
  service group's member services (their site is not given) and a user's home site.
* History is taken as it is: downtimes keep their classification and dates (the declaration rules
  of ``downtimes.py`` do not apply), certification statuses are set without the transition graph.
* On PostgreSQL each id sequence is moved past the largest id afterwards, so that later
  creations do not collide with imported ids.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from fedcore.core.db import utcnow
from fedcore.core.errors import Conflict, FedcoreError, NotFound, ValidationFailed
from fedcore.core.security import Principal
from fedcore.registry import gocdbxml as gx
from fedcore.registry.enums import CertificationStatus, EntityType, Infrastructure, RoleStatus
from fedcore.registry.models import (
    CertificationChange,
    Country,
    Downtime,
    Endpoint,
    EndpointProperty,
    Ngi,
    Project,
    Role,
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
from fedcore.registry.permissions import permissions
from fedcore.registry.service.common import (
    allocate_primary_key,
    country_for_code,
    ensure_country,
    primary_key_number,
    reserve_primary_key,
)

M = TypeVar("M")
R = TypeVar("R", bound=gx.Record)
Outcome = Literal["created", "updated", "unchanged"]

KINDS = (
    "ngis",
    "projects",
    "scopes",
    "service types",
    "sites",
    "services",
    "service groups",
    "downtimes",
    "users",
)
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


@dataclass
class ImportReport:
    """Per entity kind: how many were created, updated and found unchanged; and warnings."""

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())

    def lines(self) -> list[str]:
        """One line per entity kind met: created, updated and unchanged counts."""
        seen = self.created + self.updated + self.unchanged
        return [
            f"{kind}: {self.created[kind]} created, {self.updated[kind]} updated, "
            f"{self.unchanged[kind]} unchanged"
            for kind in KINDS
            if seen[kind]
        ]


def import_documents(
    *, session: Session, actor: Principal, documents: Sequence[gx.Document]
) -> ImportReport:
    """Load parsed PI documents into the registry (operators only); flushes, never commits."""
    permissions.require("registry.import", session=session, actor=actor)
    gx.check_documents(documents)
    loader = _Loader(session, actor, documents)
    loader.report.warnings += [w for d in documents for w in d.warnings]
    loader.run()
    return loader.report


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

    def run(self) -> None:
        self.reserve()
        self.load("ngis", gx.NgiRecord, self.ngi)
        self.load("service types", gx.ServiceTypeRecord, self.service_type)
        self.load("sites", gx.SiteRecord, self.site)
        self.load("sites", gx.SiteListRecord, self.site_entry)
        self.load("services", gx.ServiceRecord, self.service)
        self.load("service groups", gx.ServiceGroupRecord, self.service_group)
        self.load("downtimes", gx.DowntimeRecord, self.downtime)
        self.load("users", gx.UserRecord, self.user)
        _advance_sequences(self.session)

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

    # --- one upsert per record kind -------------------------------------------------------------

    def ngi(self, rec: gx.NgiRecord) -> Outcome:
        found = self.match(Ngi, rec.id, "NGI", name=rec.name)
        ngi, changed = self.put(
            Ngi,
            found,
            rec.id,
            {
                "name": rec.name,
                "description": rec.description,
                "email": rec.email,
                "ggus_su": rec.ggus_su,
                "rod_email": rec.rod_email,
                "helpdesk_email": rec.helpdesk_email,
                "security_email": rec.security_email,
            },
            f"NGI {rec.name!r}",
        )
        changed |= self.set_scopes(ngi, rec.scopes)
        return self.outcome(found is None, changed)

    def service_type(self, rec: gx.ServiceTypeRecord) -> Outcome:
        found = self.match(ServiceType, rec.id, "service type", name=rec.name)
        _, changed = self.put(
            ServiceType,
            found,
            rec.id,
            {"name": rec.name, "description": rec.description},
            f"service type {rec.name!r}",
            rec.renumbered,
        )
        return self.outcome(found is None, changed)

    def site_row(
        self,
        rec: gx.SiteRecord | gx.SiteListRecord,
        values: dict[str, Any],
        reason: str,
        defaults: dict[str, Any] | None = None,
    ) -> tuple[Site | None, Site, bool]:
        """Upsert a site by id, short name or key: (the row found, the row, changed). A new
        site keeps the document's key if it is GOCDB's and free, else gets a new one; it also
        gets ``defaults``."""
        what = f"site {rec.short_name!r}"
        found = self.match(
            Site, rec.id, "site", short_name=rec.short_name, primary_key=rec.primary_key
        )
        if found is None:
            # match() looked the key up: a key given here is free
            key = rec.primary_key or allocate_primary_key(self.session)
            values = {
                **values,
                **(defaults or {}),
                "primary_key": key,
                "certification_changed_at": self.now,
            }
            if rec.primary_key is None:
                reason += f" (its key is {key})"
        elif rec.primary_key is not None:
            values = {**values, "primary_key": rec.primary_key}
        site, changed = self.put(Site, found, rec.id, values, what, reason)
        return found, site, changed

    def site(self, rec: gx.SiteRecord) -> Outcome:
        values: dict[str, Any] = {
            "short_name": rec.short_name,
            "official_name": rec.official_name,
            "description": rec.description,
            "home_url": rec.home_url,
            "email": rec.email,
            "telephone": rec.telephone,
            "alarm_email": rec.alarm_email,
            "giis_url": rec.giis_url,
            "tier": rec.tier,
            "country": self.country(rec.country_code, rec.country),
            "ngi": self.ngi_named(rec.ngi),
            "subgrid": rec.subgrid,
            "infrastructure": rec.infrastructure,
            "timezone": rec.timezone,
            "latitude": rec.latitude,
            "longitude": rec.longitude,
            "csirt_email": rec.csirt_email,
            "domain": rec.domain,
            "ip_range": rec.ip_range,
            "ipv6_range": rec.ipv6_range,
            **_given(notify=rec.notify),
        }
        found, site, changed = self.site_row(rec, values, rec.renumbered)
        if found is not None and found.certification_status != rec.certification_status:
            found.certification_log.append(
                CertificationChange(
                    old_status=found.certification_status,
                    new_status=rec.certification_status,
                    changed_by=self.actor.subject,
                    changed_at=self.now,
                    reason=f"imported from {rec.source.document}"[:300],
                )
            )
            found.certification_changed_at = self.now
        changed |= _assign(site, {"certification_status": rec.certification_status})
        changed |= self.set_scopes(site, rec.scopes)
        changed |= self.set_properties(site, SiteProperty, rec.extensions)
        return self.outcome(found is None, changed)

    def site_entry(self, rec: gx.SiteListRecord) -> Outcome:
        """A get_site_list entry: a known site's status and infrastructure are left alone; a
        new site gets fedcore's defaults, with a warning: Candidate (registry.md §1.4: new sites
        start as Candidate) and Production."""
        values: dict[str, Any] = {
            "short_name": rec.short_name,
            "country": self.country(rec.country_code, rec.country),
            "ngi": self.ngi_named(rec.ngi),
            "subgrid": rec.subgrid,
            "giis_url": rec.giis_url,
        }
        defaults = {
            "certification_status": CertificationStatus.CANDIDATE,
            "infrastructure": Infrastructure.PRODUCTION,
        }
        found, site, changed = self.site_row(rec, values, "", defaults)
        if found is None:
            self.report.warnings.append(
                f"site {rec.short_name!r}: get_site_list gives no CERTIFICATION_STATUS or "
                f"PRODUCTION_INFRASTRUCTURE, so it is created as {site.certification_status} "
                f"({site.infrastructure}), a new site's defaults"
            )
        return self.outcome(found is None, changed)

    def service_site(self, rec: gx.ServiceRecord) -> Site:
        """The service's site; created from SITENAME, ROC_NAME and the country if new."""
        site = self.session.scalar(select(Site).where(Site.short_name == rec.site))
        if site is not None:
            return site
        if not rec.ngi.strip() or not rec.country_code:
            raise ValidationFailed(
                f"site {rec.site!r} is not in the registry, and ROC_NAME and COUNTRY_CODE are "
                "needed to create it"
            )
        site = Site(
            id=self.new_id(Site),
            primary_key=allocate_primary_key(self.session),
            short_name=rec.site,
            ngi=self.ngi_named(rec.ngi),
            country=self.country(rec.country_code, rec.country_name),
            certification_changed_at=self.now,
        )
        return self.created("sites", site)

    def service(self, rec: gx.ServiceRecord) -> Outcome:
        return self.upsert_service(rec)[1]

    def upsert_service(self, rec: gx.ServiceRecord) -> tuple[Service, Outcome]:
        """A service by site, hostname and type (its key first); its key is kept if free."""
        site = self.service_site(rec)
        key = "" if rec.id is None else f"{rec.id}G0 "
        named = f"service {key}{rec.hostname} ({rec.service_type}) at {rec.site}"
        found = self.same_service(site, rec.hostname, rec.service_type, rec.id, named)
        if found is None and rec.id is not None and rec.id not in self.claimed_services:
            # GOCDB's key is the service's identity (ARGO and APEL key on it): a known key with
            # another host, type or site is that service changed in GOCDB, so it is updated.
            found = self.session.get(Service, rec.id)
            if found is not None:
                self.report.warnings.append(
                    f"{named}: {found.primary_key} was {found.hostname} "
                    f"({found.service_type.name}) at {found.site.short_name}; updated"
                )
        values: dict[str, Any] = {
            "hostname": rec.hostname,
            "host_dn": rec.host_dn,
            "host_os": rec.host_os,
            "host_arch": rec.host_arch,
            "service_type": self.type_named(rec.service_type),
            "host_ip": rec.host_ip,
            "host_ipv6": rec.host_ipv6,
            "site": site,
            "url": rec.url,
            **_given(
                beta=rec.beta,
                production=rec.production,
                monitored=rec.monitored,
                notify=rec.notify,
                description=rec.description,
                email=rec.email,
            ),
        }
        service, changed = self.put(Service, found, rec.id, values, named, rec.renumbered)
        self.claimed_services.add(service.id)
        changed |= self.set_scopes(service, rec.scopes)
        changed |= self.set_properties(service, ServiceProperty, rec.extensions)
        changed |= self.set_endpoints(service, rec.endpoints)
        return service, self.outcome(found is None, changed)

    def same_service(
        self, site: Site, hostname: str, type_name: str, ident: int | None, named: str
    ) -> Service | None:
        """The registry's service at ``site`` with this hostname and type (the one with id
        ``ident`` if there are several); a warning if it has another id than ``ident``."""
        candidates = self.session.scalars(
            select(Service)
            .join(ServiceType)
            .where(
                Service.site_id == site.id,
                Service.hostname == hostname,
                ServiceType.name == type_name,
            )
            .order_by(Service.id)
        ).all()
        by_id = [s for s in candidates if s.id == ident]
        found = (by_id or candidates)[0] if candidates else None
        if found is not None and ident is not None and found.id != ident:
            self.report.warnings.append(f"{named} is {found.primary_key} in the registry")
        return found

    def set_endpoints(self, service: Service, endpoints: Sequence[gx.EndpointRecord]) -> bool:
        """Make the service's endpoints exactly the document's, keeping their ids."""
        wanted = {e.id for e in endpoints}
        changed = False
        for endpoint in list(service.endpoints):
            if endpoint.id not in wanted:
                service.endpoints.remove(endpoint)
                changed = True
        self.session.flush()
        for item in endpoints:
            values: dict[str, Any] = {
                "name": item.name,
                "url": item.url,
                "interface_name": item.interface_name,
                "monitored": item.monitored,
                "service": service,
            }
            if item.email is not None:
                values["email"] = item.email
            endpoint, updated = self.put(
                Endpoint,
                self.session.get(Endpoint, item.id),
                item.id,
                values,
                f"endpoint {item.id} {item.name!r}",
            )
            changed |= updated
            changed |= self.set_properties(endpoint, EndpointProperty, item.extensions)
        return changed

    def service_group(self, rec: gx.ServiceGroupRecord) -> Outcome:
        found = self.match(ServiceGroup, rec.id, "service group", name=rec.name)
        members = list(dict.fromkeys(self.member(m) for m in rec.members))
        group, changed = self.put(
            ServiceGroup,
            found,
            rec.id,
            {
                "name": rec.name,
                "description": rec.description,
                "email": rec.email,
                **_given(monitored=rec.monitored),
            },
            f"service group {rec.name!r}",
            rec.renumbered,
        )
        if {s.id for s in group.services} != {s.id for s in members}:
            group.services = members
            changed = True
        changed |= self.set_scopes(group, rec.scopes)
        changed |= self.set_properties(group, ServiceGroupProperty, rec.extensions)
        return self.outcome(found is None, changed)

    def member(self, member: gx.MemberRecord) -> Service:
        """A service a group lists, by key, else by hostname and type (the same key may be
        listed with two hostnames: each is the service of that hostname). A group's entry is
        a reference: it never updates a known service; if unknown, the service is created from
        the entry when it names its site, else it must be imported first."""
        named = f"service {member.key} ({member.hostname}, {member.service_type})"
        by_id = None if member.id is None else self.session.get(Service, member.id)
        if by_id is not None and (by_id.hostname, by_id.service_type.name) == (
            member.hostname,
            member.service_type,
        ):
            return by_id
        candidates = self.session.scalars(
            select(Service)
            .join(ServiceType)
            .where(Service.hostname == member.hostname, ServiceType.name == member.service_type)
            .order_by(Service.id)
        ).all()
        if member.definition is not None:
            site = self.session.scalar(
                select(Site).where(Site.short_name == member.definition.site)
            )
            candidates = [s for s in candidates if s.site == site]
        if len(candidates) > 1:
            found = ", ".join(f"{s.primary_key} at {s.site.short_name}" for s in candidates)
            raise Conflict(f"{named} is ambiguous: the registry has {found}")
        if candidates:
            self.report.warnings.append(f"{named} is {candidates[0].primary_key} in the registry")
            return candidates[0]
        if member.definition is not None:
            service, _ = self.upsert_service(member.definition)
            self.report.created["services"] += 1
            return service
        if by_id is not None:
            raise Conflict(
                f"{named} is {by_id.hostname} ({by_id.service_type.name}) in the registry"
            )
        raise NotFound(
            f"{named} is not in the registry; import its get_service output first or "
            "together with this file"
        )

    def downtime(self, rec: gx.DowntimeRecord) -> Outcome:
        found = self.match(Downtime, rec.id, "downtime", renamed=True, primary_key=rec.primary_key)
        services: list[Service] = []
        endpoints: list[Endpoint] = []
        for affected in rec.services:
            service = self.affected_service(affected)
            services.append(service)
            endpoints += [self.affected_endpoint(service, e) for e in affected.endpoints]
        downtime, changed = self.put(
            Downtime,
            found,
            rec.id,
            {
                "primary_key": rec.primary_key,
                "classification": rec.classification,
                "severity": rec.severity,
                "description": rec.description,
                "inserted_at": rec.inserted_at,
                "start_at": rec.start_at,
                "end_at": rec.end_at,
                "site": services[0].site,
            },
            f"downtime {rec.primary_key}",
        )
        if {s.id for s in downtime.services} != {s.id for s in services}:
            downtime.services = list(dict.fromkeys(services))
            changed = True
        if {e.id for e in downtime.endpoints} != {e.id for e in endpoints}:
            downtime.endpoints = list(dict.fromkeys(endpoints))
            changed = True
        return self.outcome(found is None, changed)

    def affected_service(self, affected: gx.AffectedService) -> Service:
        """A downtime's service, found by site, hostname and type (the id is only a hint)."""
        site = self.site_named(affected.site, "HOSTED_BY")
        key = "" if affected.id is None else f"{affected.id}G0 "
        named = f"service {key}{affected.hostname} ({affected.service_type}) at {affected.site}"
        found = self.same_service(
            site, affected.hostname, affected.service_type, affected.id, named
        )
        if found is not None:
            return found
        service = Service(
            id=self.new_id(Service)
            if affected.id is None
            else self.fresh_id(Service, affected.id, named, ""),
            hostname=affected.hostname,
            site=site,
            service_type=self.type_named(affected.service_type),
        )
        return self.created("services", service)

    def affected_endpoint(self, service: Service, item: gx.EndpointRecord) -> Endpoint:
        endpoint = self.session.get(Endpoint, item.id)
        if endpoint is not None:
            return endpoint
        same_name = next((e for e in service.endpoints if e.name == item.name), None)
        if same_name is not None:
            self.report.warnings.append(
                f"endpoint {item.id} {item.name!r} of {service.hostname} is "
                f"{same_name.id} in the registry"
            )
            return same_name
        endpoint = _checked(
            Endpoint(
                id=item.id,
                name=item.name,
                url=item.url,
                interface_name=item.interface_name,
                monitored=item.monitored,
            )
        )
        service.endpoints.append(endpoint)
        return endpoint

    def user(self, rec: gx.UserRecord) -> Outcome:
        found = self.match(User, rec.id, "user", renamed=True, subject=rec.subject)
        home = self.site_named(rec.home_site, "HOMESITE") if rec.home_site.strip() else None
        wanted = [(r.role_type, r.entity_type, self.role_entity(r)) for r in rec.roles]
        user, changed = self.put(
            User,
            found,
            rec.id,
            {
                "subject": rec.subject,
                "forename": rec.forename,
                "surname": rec.surname,
                "title": rec.title,
                "email": rec.email,
                "telephone": rec.telephone,
                "working_hours_start": rec.working_hours_start,
                "working_hours_end": rec.working_hours_end,
                "certdn": rec.certdn,
                "home_site": home,
            },
            f"user {rec.subject!r}",
        )
        for role in rec.roles:
            changed |= self.linked_projects(role)
        changed |= self.set_roles(user, wanted)
        return self.outcome(found is None, changed)

    def set_roles(self, user: User, wanted: list[tuple[str, str, int]]) -> bool:
        """The user's granted roles become exactly ``wanted``; a pending request is granted."""
        roles = {(r.role_type, r.entity_type, r.entity_id): r for r in user.roles}
        changed = False
        for key, role in roles.items():
            if role.status == RoleStatus.GRANTED and key not in wanted:
                user.roles.remove(role)
                changed = True
        for key in wanted:
            found = roles.get(key)
            if found is not None and found.status == RoleStatus.GRANTED:
                continue
            role = found or Role(role_type=key[0], entity_type=key[1], entity_id=key[2])
            if found is None:
                user.roles.append(role)
            role.status = RoleStatus.GRANTED
            role.decided_at = self.now
            role.decided_by = self.actor.subject
            changed = True
        return changed

    def role_entity(self, role: gx.RoleRecord) -> int:
        """The id of what a USER_ROLE is held over; NGIs, projects and groups may be new."""
        if role.entity_type == EntityType.SITE:
            site = self.site_named(role.entity_name, "ON_ENTITY of a USER_ROLE")
            if role.entity_key and role.entity_key != site.primary_key:
                self.report.warnings.append(
                    f"site {role.entity_name!r} has the key {site.primary_key} in the registry, "
                    f"not {role.entity_key}"
                )
            return site.id
        model, kind = {
            EntityType.NGI: (Ngi, "ngis"),
            EntityType.PROJECT: (Project, "projects"),
            EntityType.SERVICE_GROUP: (ServiceGroup, "service groups"),
        }[EntityType(role.entity_type)]
        return int(self.named(model, kind, _entity_id(role), role.entity_name).id)

    def named(self, model: type[Any], kind: str, ident: int | None, name: str) -> Any:
        """A referenced NGI, project or service group, created with this id (if free) and name
        if new."""
        what = kind.rstrip("s")
        found = self.match(model, ident, what, name=name)
        if found is not None:
            return found
        return self.created(
            kind, model(id=self.fresh_id(model, ident, f"{what} {name!r}", ""), name=name)
        )

    def linked_projects(self, role: gx.RoleRecord) -> bool:
        """RECOGNISED_IN_PROJECTS: the projects of the role's NGI (or of its site's NGI)."""
        if role.entity_type == EntityType.SITE:
            ngi = self.site_named(role.entity_name, "ON_ENTITY of a USER_ROLE").ngi
        elif role.entity_type == EntityType.NGI:
            ngi = self.named(Ngi, "ngis", _entity_id(role), role.entity_name)
        else:
            return False
        changed = False
        for project_id, name in role.projects:
            project = self.named(Project, "projects", project_id, name)
            if project not in ngi.projects:
                ngi.projects.append(project)
                changed = True
        return changed


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
