"""The registry's service functions: every query and business rule of the registry.

Entry points (REST, pages, CLI, GOCDB PI) call these; other subsystems import this package as
``from fedcore.registry import service as registry_service``. Functions take keyword-only
``session`` (and ``actor`` for changes), flush but never commit, and check permissions themselves.
"""

from fedcore.registry.service.common import (
    allocate_primary_key,
    country_for_code,
    delete_properties,
    ensure_country,
    reserve_primary_key,
    set_properties,
)
from fedcore.registry.service.downtimes import (
    classify,
    create_downtime,
    delete_downtime,
    downtime_query,
    end_downtime,
    get_downtime,
    list_downtimes,
    list_recent_downtimes,
    update_downtime,
)
from fedcore.registry.service.importing import ImportReport, import_documents
from fedcore.registry.service.listings import (
    page_certification_changes,
    page_projects,
    page_scopes,
    page_service_types,
)
from fedcore.registry.service.people import (
    add_api_credential,
    can_decide,
    delete_api_credential,
    entity_name,
    get_role,
    get_user,
    get_user_by_subject,
    grant_role,
    is_known_identity,
    list_api_credentials,
    list_role_decisions,
    list_roles,
    list_users,
    register_user,
    reject_role,
    request_role,
    revoke_role,
    role_query,
    role_target,
    site_credential,
    update_user,
)
from fedcore.registry.service.personal import (
    can_read_personal_data,
    get_api_credential,
    page_role_decisions,
    page_roles,
    read_role,
    read_user,
)
from fedcore.registry.service.properties import (
    delete_extension_properties,
    list_extension_properties,
    set_extension_properties,
)
from fedcore.registry.service.services import (
    create_endpoint,
    create_service,
    create_service_group,
    create_service_type,
    delete_endpoint,
    delete_service,
    delete_service_group,
    delete_service_type,
    get_endpoint,
    get_service,
    get_service_group,
    get_service_type,
    host_dn_sites,
    list_endpoints,
    list_service_groups,
    list_service_types,
    list_services,
    service_query,
    update_endpoint,
    update_service,
    update_service_group,
    update_service_type,
)
from fedcore.registry.service.topology import (
    can_edit_site,
    change_certification_status,
    create_ngi,
    create_project,
    create_scope,
    create_site,
    delete_ngi,
    delete_project,
    delete_scope,
    delete_site,
    get_ngi,
    get_ngi_by_name,
    get_project,
    get_scope,
    get_site,
    get_site_by_name,
    list_certification_changes,
    list_ngis,
    list_projects,
    list_scopes,
    list_sites,
    ngi_query,
    site_ngi_countries,
    site_query,
    update_ngi,
    update_project,
    update_scope,
    update_site,
)
from fedcore.registry.service.writeapi import WriteRequest, apply_write_request

__all__ = [name for name in dir() if not name.startswith("_")]
