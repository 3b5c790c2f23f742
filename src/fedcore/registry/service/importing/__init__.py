"""Importing GOCDB PI documents (``fedcore registry import-gocdb``): an operator's bulk upsert.

Records parsed by :mod:`fedcore.registry.gocdbxml` are loaded in dependency order (NGIs,
service types, sites, services, service groups, downtimes, users), all in the caller's one
transaction, so that a bad record stores nothing.

* What a document says about an entity replaces the registry's view of it: scopes, extension
  properties, endpoints, service-group membership, a user's granted roles.
* Things a document refers to but does not define are created with what it says: an NGI from a
  site's ``ROC``, a site from a service's ``SITENAME``/``ROC_NAME``/``COUNTRY_CODE``, a service
  type from its name, a service and its endpoints from a downtime, scopes, projects. A downtime's
  site must be known (a downtime document does not say a site's NGI or country); so must a
  service group's member services (their site is not given) and a user's home site.
* History is taken as it is: downtimes keep their classification and dates (the declaration rules
  of ``downtimes.py`` do not apply), certification statuses are set without the transition graph.

How identifiers are kept or re-allocated is in :mod:`.loader`; the upserts are one module per
concern: :mod:`.topology`, :mod:`.services`, :mod:`.downtimes` and :mod:`.people`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from fedcore.core.security import Principal
from fedcore.registry import gocdbxml as gx
from fedcore.registry.permissions import permissions
from fedcore.registry.service.importing.downtimes import _DowntimeLoader
from fedcore.registry.service.importing.loader import _advance_sequences
from fedcore.registry.service.importing.people import _PeopleLoader
from fedcore.registry.service.importing.report import ImportReport
from fedcore.registry.service.importing.topology import _TopologyLoader

__all__ = ["ImportReport", "import_documents"]


def import_documents(
    *, session: Session, actor: Principal, documents: Sequence[gx.Document]
) -> ImportReport:
    """Load parsed PI documents into the registry (operators only); flushes, never commits."""
    permissions.require("registry.import", session=session, actor=actor)
    gx.check_documents(documents)
    loader = _Importer(session, actor, documents)
    loader.report.warnings += [w for d in documents for w in d.warnings]
    loader.run()
    return loader.report


class _Importer(_TopologyLoader, _DowntimeLoader, _PeopleLoader):
    """Every kind of record, loaded in dependency order."""

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
