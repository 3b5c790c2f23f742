"""Who may publish a site's accounting records: one predicate for the CLI, REST and AMS paths.

A subject may publish for a site when it is an operator's, when it is the host DN of one of
the site's registry services of an accounting service type (APEL's list of valid DNs, which
APEL fetches from GOCDB, reference §1.1), or when it is bound to the site in
``accounting_publisher``. On the signed path the S/MIME signer's DN decides the sites
(:func:`sites_for_signer`). The rules themselves are in :mod:`fedcore.accounting.permissions`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from fedcore.accounting.permissions import accounting_service_types, publishes_for
from fedcore.core.config import Settings
from fedcore.core.security import principal_for
from fedcore.registry import service as registry_service


def may_publish(*, session: Session, settings: Settings, subject: str, site: str) -> bool:
    """Whether ``subject`` may publish records of ``site`` (a registry short name; operators
    may also publish for sites the registry does not know, e.g. when loading a history)."""
    if principal_for(subject, settings.admin_subject).is_admin:
        return True
    return publishes_for(session=session, settings=settings, subject=subject, site=site)


def sites_for_signer(session: Session, settings: Settings, dn: str) -> set[str]:
    """The sites whose accounting services register the host DN ``dn`` (empty: APEL's
    ``Signer not in valid DNs list``)."""
    return registry_service.host_dn_sites(
        session=session, host_dn=dn, service_types=accounting_service_types(settings)
    )
