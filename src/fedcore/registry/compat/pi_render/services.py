"""XML of get_service (get_service_endpoint), get_service_types, get_service_group and
get_service_group_role; services are the PI's hot path, formatted as flat blocks."""

from __future__ import annotations

from collections.abc import Sequence

from fedcore.registry.compat.pi_render.common import (
    Context,
    extensions_block,
    scopes_block,
    write_extensions,
    write_scopes,
    yes_no,
)
from fedcore.registry.compat.pi_xml import XmlWriter, element, optional_element, write_meta
from fedcore.registry.service.pi import (
    AnyRow,
    PiPage,
    ServiceChildren,
    ServiceGroupListing,
    ServiceListing,
)


def endpoints_block(
    indent: str, service_id: int, children: ServiceChildren, *, contact: bool = False
) -> str:
    endpoints = children.endpoints.get(service_id)
    if not endpoints:
        return f"{indent}<ENDPOINTS/>\n"
    inner, leaf = indent + "  ", indent + "    "
    extensions = children.endpoint_extensions
    parts = [f"{indent}<ENDPOINTS>\n"]
    for _service, ident, name, url, interface, monitored, email in endpoints:
        parts += (
            f"{inner}<ENDPOINT>\n{leaf}<ID>{ident}</ID>\n",
            element(leaf, "NAME", name),
            extensions_block(leaf, extensions.get(ident)),
            element(leaf, "URL", url),
            element(leaf, "INTERFACENAME", interface),
            f"{leaf}<ENDPOINT_MONITORED>{yes_no(monitored)}</ENDPOINT_MONITORED>\n",
            element(leaf, "CONTACT_EMAIL", email) if contact else "",
            f"{inner}</ENDPOINT>\n",
        )
    parts.append(f"{indent}</ENDPOINTS>\n")
    return "".join(parts)


def render_services(listing: ServiceListing, ctx: Context) -> str:
    """get_service / get_service_endpoint; the hot path of the PI, so each service is one
    formatted block (rows unpack in ``SERVICE_COLUMNS`` order)."""
    w = XmlWriter()
    ctx.meta(w, listing.page)
    children = listing.children
    portal = ctx.escaped_portal_prefix("services")
    i2, i4 = "  ", "    "
    for (
        ident,
        hostname,
        host_dn,
        host_os,
        host_arch,
        beta,
        service_type,
        host_ip,
        host_ipv6,
        production,
        monitored,
        notify,
        sitename,
        country,
        country_code,
        ngi,
        url,
    ) in listing.page.rows:
        key = f"{ident}G0"
        w.raw(
            "".join(
                (
                    f'{i2}<SERVICE_ENDPOINT PRIMARY_KEY="{key}">\n',
                    f"{i4}<PRIMARY_KEY>{key}</PRIMARY_KEY>\n",
                    optional_element(i4, "HOSTNAME", hostname),
                    f"{i4}<GOCDB_PORTAL_URL>{portal}{ident}</GOCDB_PORTAL_URL>\n",
                    optional_element(i4, "HOSTDN", host_dn),
                    optional_element(i4, "HOST_OS", host_os),
                    optional_element(i4, "HOST_ARCH", host_arch),
                    f"{i4}<BETA>{yes_no(beta)}</BETA>\n",
                    optional_element(i4, "SERVICE_TYPE", service_type),
                    optional_element(i4, "HOST_IP", host_ip),
                    optional_element(i4, "HOST_IPV6", host_ipv6),
                    f"{i4}<CORE/>\n",
                    f"{i4}<IN_PRODUCTION>{yes_no(production)}</IN_PRODUCTION>\n",
                    f"{i4}<NODE_MONITORED>{yes_no(monitored)}</NODE_MONITORED>\n",
                    f"{i4}<NOTIFICATIONS>{yes_no(notify)}</NOTIFICATIONS>\n",
                    optional_element(i4, "SITENAME", sitename),
                    optional_element(i4, "COUNTRY_NAME", country),
                    optional_element(i4, "COUNTRY_CODE", country_code),
                    optional_element(i4, "ROC_NAME", ngi),
                    element(i4, "URL", url),
                    endpoints_block(i4, ident, children),
                    scopes_block(i4, children.scopes.get(ident)),
                    extensions_block(i4, children.extensions.get(ident)),
                    f"{i2}</SERVICE_ENDPOINT>\n",
                )
            )
        )
    return w.document()


def render_service_types(rows: Sequence[AnyRow], ctx: Context) -> str:
    w = XmlWriter()
    for r in rows:
        key = f"{r.id}G0"
        w.start("SERVICE_TYPE", (("TYPE_ID", key), ("PRIMARY_KEY", key)))
        w.leaf("SERVICE_TYPE_NAME", r.name)
        w.leaf("SERVICE_TYPE_DESC", r.description)
        w.end()
    return w.document()


def _group_head(w: XmlWriter, r: AnyRow, ctx: Context) -> None:
    w.start("SERVICE_GROUP", (("ID", r.id), ("PRIMARY_KEY", f"{r.id}G0")))
    w.leaf("NAME", r.name)
    w.leaf("DESCRIPTION", r.description)
    w.leaf("MONITORED", yes_no(r.monitored))
    w.leaf("CONTACT_EMAIL", r.email)
    w.leaf("GOCDB_PORTAL_URL", ctx.portal("service-groups", r.id))


def render_service_groups(listing: ServiceGroupListing, ctx: Context) -> str:
    """get_service_group; GOCDB always renders the paging ``<meta>`` for this method."""
    w = XmlWriter()
    page = listing.page
    if page.paged:
        ctx.meta(w, page)
    else:
        ids = [r.id for r in page.rows]
        bounds = PiPage(
            page.rows, True, len(ids), ids[0] if ids else None, ids[-1] if ids else None
        )
        write_meta(w, ctx.links, bounds, ctx.max_page_size)
    children = listing.services
    for r in page.rows:
        _group_head(w, r, ctx)
        for s in listing.members.get(r.id, ()):
            w.start("SERVICE_ENDPOINT", (("PRIMARY_KEY", f"{s.id}G0"),))
            w.leaf("HOSTNAME", s.hostname)
            w.leaf("GOCDB_PORTAL_URL", ctx.portal("services", s.id))
            w.leaf("SERVICE_TYPE", s.service_type)
            w.leaf("HOST_IP", s.host_ip)
            w.leaf("HOST_IPV6", s.host_ipv6)
            w.leaf("HOSTDN", s.host_dn)
            w.leaf("IN_PRODUCTION", yes_no(s.production))
            w.leaf("NODE_MONITORED", yes_no(s.monitored))
            w.raw(endpoints_block(w.indent, s.id, children, contact=True))
            write_scopes(w, children.scopes.get(s.id))
            write_extensions(w, children.extensions.get(s.id))
            w.end()
        write_scopes(w, listing.scopes.get(r.id))
        write_extensions(w, listing.extensions.get(r.id))
        w.end()
    return w.document()


def render_service_group_roles(listing: ServiceGroupListing, ctx: Context) -> str:
    w = XmlWriter()
    ctx.meta(w, listing.page)
    for r in listing.page.rows:
        _group_head(w, r, ctx)
        for u in listing.roles.get(r.id, ()):
            w.start("USER")
            w.leaf("FORENAME", u.forename)
            w.leaf("SURNAME", u.surname)
            w.leaf("CERTDN", u.certdn or u.subject)
            w.leaf("GOCDB_PORTAL_URL", ctx.portal("users", u.user_id))
            w.leaf("ROLE", u.role_type)
            w.end()
        w.end()
    return w.document()
