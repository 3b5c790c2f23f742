"""Upserting NGIs, service types, sites and get_site_list entries."""

from __future__ import annotations

from typing import Any

from fedcore.registry import gocdbxml as gx
from fedcore.registry.enums import CertificationStatus, Infrastructure
from fedcore.registry.models import CertificationChange, Ngi, ServiceType, Site, SiteProperty
from fedcore.registry.service.common import allocate_primary_key
from fedcore.registry.service.importing.loader import Outcome, _assign, _given, _Loader


class _TopologyLoader(_Loader):
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
