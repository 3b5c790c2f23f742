"""The XML of every GOCDB read-PI method, element names and order as GOCDB emits them
(reference/registry.md §2.4 and GOCDB's documented examples). Each ``render_*`` takes what the
matching ``service.pi`` query returned and a :class:`Context`, and returns the document."""

from fedcore.registry.compat.pi_render.common import Context
from fedcore.registry.compat.pi_render.downtimes import (
    render_downtimes,
    render_downtimes_nested,
    render_downtimes_to_broadcast,
)
from fedcore.registry.compat.pi_render.people import render_access_test, render_users
from fedcore.registry.compat.pi_render.services import (
    render_service_group_roles,
    render_service_groups,
    render_service_types,
    render_services,
)
from fedcore.registry.compat.pi_render.topology import (
    render_cert_status_changes,
    render_cert_status_dates,
    render_ngis,
    render_project_contacts,
    render_roc_contacts,
    render_roc_list,
    render_site_contacts,
    render_site_count_per_country,
    render_site_list,
    render_site_security_info,
    render_sites,
    render_subgrids,
)

__all__ = [
    "Context",
    "render_access_test",
    "render_cert_status_changes",
    "render_cert_status_dates",
    "render_downtimes",
    "render_downtimes_nested",
    "render_downtimes_to_broadcast",
    "render_ngis",
    "render_project_contacts",
    "render_roc_contacts",
    "render_roc_list",
    "render_service_group_roles",
    "render_service_groups",
    "render_service_types",
    "render_services",
    "render_site_contacts",
    "render_site_count_per_country",
    "render_site_list",
    "render_site_security_info",
    "render_sites",
    "render_subgrids",
    "render_users",
]
