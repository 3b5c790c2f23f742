"""Upserting downtimes, with the services and endpoints they affect."""

from __future__ import annotations

from fedcore.registry import gocdbxml as gx
from fedcore.registry.models import Downtime, Endpoint, Service
from fedcore.registry.service.importing.loader import Outcome, _checked
from fedcore.registry.service.importing.services import _ServiceLoader


class _DowntimeLoader(_ServiceLoader):
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
