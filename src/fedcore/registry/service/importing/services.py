"""Upserting services with their endpoints, and service groups with their members."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from fedcore.core.errors import Conflict, NotFound, ValidationFailed
from fedcore.registry import gocdbxml as gx
from fedcore.registry.models import (
    Endpoint,
    EndpointProperty,
    Service,
    ServiceGroup,
    ServiceGroupProperty,
    ServiceProperty,
    ServiceType,
    Site,
)
from fedcore.registry.service.common import allocate_primary_key
from fedcore.registry.service.importing.loader import Outcome, _given, _Loader


class _ServiceLoader(_Loader):
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
