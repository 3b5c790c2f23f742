"""Set-based read queries behind the GOCDB read PI (``compat/gocdbpi.py``).

Each ``pi_*`` function runs a handful of SQLAlchemy Core selects — the main rows (filtered,
ordered by id, optionally one cursor page), then their child rows (endpoints, scopes, extension
properties, roles) in bulk, keyed by parent id — and returns rows, never ORM graphs, so that a
full ``get_service_endpoint`` over ten thousand services stays well under a second.

Filter semantics follow GOCDB (``lib/Gocdb_Services/PI``): string filters are SQL ``LIKE``,
scope filters match all or any of several tags, extension expressions come from
:mod:`fedcore.registry.extensions_expr`, cursors are entity ids.
"""

from fedcore.registry.service.pi.base import (
    UNPAGED,
    AnyRow,
    Paging,
    PiAccess,
    PiPage,
    Record,
    ScopeFilter,
    pi_access,
)
from fedcore.registry.service.pi.downtimes import DowntimeListing, DowntimeQuery, pi_downtimes
from fedcore.registry.service.pi.services import (
    ServiceChildren,
    ServiceGroupListing,
    ServiceListing,
    ServiceQuery,
    pi_service_groups,
    pi_service_types,
    pi_services,
)
from fedcore.registry.service.pi.topology import (
    NgiListing,
    ProjectListing,
    SiteListing,
    SiteQuery,
    pi_cert_status_changes,
    pi_cert_status_dates,
    pi_ngi_contacts,
    pi_ngis,
    pi_project_contacts,
    pi_site_contacts,
    pi_site_count_per_country,
    pi_sites,
    pi_subgrids,
)
from fedcore.registry.service.pi.users import UserListing, UserQuery, pi_users

__all__ = [
    "UNPAGED",
    "AnyRow",
    "DowntimeListing",
    "DowntimeQuery",
    "NgiListing",
    "Paging",
    "PiAccess",
    "PiPage",
    "ProjectListing",
    "Record",
    "ScopeFilter",
    "ServiceChildren",
    "ServiceGroupListing",
    "ServiceListing",
    "ServiceQuery",
    "SiteListing",
    "SiteQuery",
    "UserListing",
    "UserQuery",
    "pi_access",
    "pi_cert_status_changes",
    "pi_cert_status_dates",
    "pi_downtimes",
    "pi_ngi_contacts",
    "pi_ngis",
    "pi_project_contacts",
    "pi_service_groups",
    "pi_service_types",
    "pi_services",
    "pi_site_contacts",
    "pi_site_count_per_country",
    "pi_sites",
    "pi_subgrids",
    "pi_users",
]
