"""The XML of every GOCDB read-PI method, element names and order as GOCDB emits them
(reference/registry.md §2.4 and GOCDB's documented examples). Each ``render_*`` takes what the
matching ``service.pi`` query returned and a :class:`Context`, and returns the document."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import groupby
from operator import attrgetter
from typing import Any

from fedcore.registry.compat.pi_xml import (
    PageLinks,
    XmlWriter,
    cert_date,
    change_time,
    element,
    escape_attribute,
    escape_text,
    formatted,
    optional_element,
    unix,
    write_meta,
)
from fedcore.registry.service.pi import (
    AnyRow,
    DowntimeListing,
    NgiListing,
    PiPage,
    ProjectListing,
    Record,
    ServiceChildren,
    ServiceGroupListing,
    ServiceListing,
    SiteListing,
    UserListing,
)

BROADCAST_REMINDER = timedelta(days=1)
"""GOCDB announces a downtime one day before it starts (``REMINDER_START_DOWNTIME``)."""


@dataclass(frozen=True)
class Context:
    """``base_url``: fedcore's public URL (portal links); ``links``: the request, for paging."""

    base_url: str
    links: PageLinks
    max_page_size: int

    def portal(self, kind: str, ident: int) -> str:
        return f"{self.base_url}/registry/{kind}/{ident}"

    def escaped_portal_prefix(self, kind: str) -> str:
        """``portal`` without the id, XML-escaped, for the hot paths to append ids to."""
        return escape_text(f"{self.base_url}/registry/{kind}/")

    def meta(self, writer: XmlWriter, page: PiPage) -> None:
        if page.paged:
            write_meta(writer, self.links, page, self.max_page_size)


def yes_no(flag: bool) -> str:
    return "Y" if flag else "N"


def scopes_block(indent: str, names: Sequence[str] | None) -> str:
    if not names:
        return f"{indent}<SCOPES/>\n"
    inner = indent + "  "
    return "".join(
        (
            f"{indent}<SCOPES>\n",
            *(element(inner, "SCOPE", n) for n in names),
            f"{indent}</SCOPES>\n",
        )
    )


def extensions_block(indent: str, properties: Sequence[Record] | None) -> str:
    if not properties:
        return f"{indent}<EXTENSIONS/>\n"
    inner, leaf = indent + "  ", indent + "    "
    parts = [f"{indent}<EXTENSIONS>\n"]
    for _parent, ident, key, value in properties:
        parts += (
            f"{inner}<EXTENSION>\n{leaf}<LOCAL_ID>{ident}</LOCAL_ID>\n",
            element(leaf, "KEY", key),
            element(leaf, "VALUE", value),
            f"{inner}</EXTENSION>\n",
        )
    parts.append(f"{indent}</EXTENSIONS>\n")
    return "".join(parts)


def _scopes(w: XmlWriter, names: Sequence[str] | None) -> None:
    w.raw(scopes_block(w.indent, names))


def _extensions(w: XmlWriter, properties: Sequence[Record] | None) -> None:
    w.raw(extensions_block(w.indent, properties))


# --- sites -------------------------------------------------------------------------------------------


def render_sites(listing: SiteListing, ctx: Context) -> str:
    """get_site."""
    w = XmlWriter()
    ctx.meta(w, listing.page)
    for r in listing.page.rows:
        w.start("SITE", (("ID", r.id), ("PRIMARY_KEY", r.primary_key), ("NAME", r.short_name)))
        w.optional("PRIMARY_KEY", r.primary_key)
        w.optional("SHORT_NAME", r.short_name)
        w.optional("OFFICIAL_NAME", r.official_name)
        w.optional("SITE_DESCRIPTION", r.description)
        w.optional("GOCDB_PORTAL_URL", ctx.portal("sites", r.id))
        w.optional("HOME_URL", r.home_url)
        w.optional("CONTACT_EMAIL", r.email)
        w.optional("CONTACT_TEL", r.telephone)
        w.optional("ALARM_EMAIL", r.alarm_email)
        w.optional("GIIS_URL", r.giis_url)
        w.optional("TIER", r.tier)
        w.optional("COUNTRY_CODE", r.country_code)
        w.optional("COUNTRY", r.country)
        w.optional("ROC", r.ngi)
        w.optional("SUBGRID", r.subgrid)
        w.optional("PRODUCTION_INFRASTRUCTURE", r.infrastructure)
        w.optional("CERTIFICATION_STATUS", r.certification_status)
        w.optional("TIMEZONE", r.timezone)
        w.optional("LATITUDE", r.latitude)
        w.optional("LONGITUDE", r.longitude)
        w.optional("CSIRT_EMAIL", r.csirt_email)
        w.leaf("NOTIFICATIONS", "TRUE" if r.notify else "FALSE")
        if r.domain:
            w.start("DOMAIN")
            w.leaf("DOMAIN_NAME", r.domain)
            w.end()
        else:
            w.empty("DOMAIN")
        w.optional("SITE_IP", r.ip_range)
        w.optional("SITE_IPV6", r.ipv6_range)
        _scopes(w, listing.scopes.get(r.id))
        _extensions(w, listing.extensions.get(r.id))
        w.end()
    return w.document()


def render_site_list(listing: SiteListing, ctx: Context) -> str:
    """get_site_list: one attribute-only ``SITE`` per site."""
    w = XmlWriter()
    for r in listing.page.rows:
        w.empty(
            "SITE",
            (
                ("ID", r.id),
                ("PRIMARY_KEY", r.primary_key),
                ("NAME", r.short_name),
                ("COUNTRY", r.country),
                ("COUNTRY_CODE", r.country_code),
                ("ROC", r.ngi),
                ("SUBGRID", r.subgrid),
                ("GIIS_URL", r.giis_url),
            ),
        )
    return w.document()


def _site_head(w: XmlWriter, r: AnyRow) -> None:
    w.start("SITE", (("ID", f"{r.id}G0"), ("PRIMARY_KEY", r.primary_key), ("NAME", r.short_name)))
    w.leaf("PRIMARY_KEY", r.primary_key)
    w.leaf("SHORT_NAME", r.short_name)


def render_site_security_info(listing: SiteListing, ctx: Context) -> str:
    w = XmlWriter()
    ctx.meta(w, listing.page)
    for r in listing.page.rows:
        _site_head(w, r)
        w.leaf("CSIRT_EMAIL", r.csirt_email)
        w.leaf("CSIRT_TEL", r.csirt_tel)
        w.end()
    return w.document()


def _contact(w: XmlWriter, c: AnyRow, *, working_hours: bool = False) -> None:
    """The contact block; CERTDN is the user's certificate DN, or their login subject."""
    user_key = f"{c.user_id}G0"
    w.start("CONTACT", (("USER_ID", user_key), ("PRIMARY_KEY", user_key)))
    w.leaf("FORENAME", c.forename)
    w.leaf("SURNAME", c.surname)
    w.leaf("TITLE", c.title)
    w.leaf("EMAIL", c.email)
    w.leaf("TEL", c.telephone)
    if working_hours:
        w.leaf("WORKING_HOURS_START", c.working_hours_start)
        w.leaf("WORKING_HOURS_END", c.working_hours_end)
    w.leaf("CERTDN", c.certdn or c.subject)
    w.leaf("ROLE_NAME", c.role_type)
    w.end()


def render_site_contacts(listing: SiteListing, ctx: Context) -> str:
    w = XmlWriter()
    ctx.meta(w, listing.page)
    for r in listing.page.rows:
        _site_head(w, r)
        for contact in listing.contacts.get(r.id, ()):
            _contact(w, contact)
        w.end()
    return w.document()


def render_cert_status_dates(page: PiPage, ctx: Context) -> str:
    w = XmlWriter()
    ctx.meta(w, page)
    for r in page.rows:
        w.start("site", (("ID", r.id),))
        w.leaf("name", r.short_name)
        w.leaf("cert_status", r.certification_status)
        w.leaf("cert_date", cert_date(r.certification_changed_at))
        w.end()
    return w.document()


def render_cert_status_changes(page: PiPage, ctx: Context) -> str:
    w = XmlWriter()
    ctx.meta(w, page)
    for r in page.rows:
        w.start("result", (("ID", r.id),))
        w.leaf("TIME", change_time(r.changed_at))
        w.leaf("UNIX_TIME", unix(r.changed_at))
        w.leaf("SITE", r.short_name)
        w.leaf("OLD_STATUS", r.old_status)
        w.leaf("NEW_STATUS", r.new_status)
        w.leaf("CHANGED_BY", r.changed_by)
        w.leaf("COMMENT", r.reason)
        w.end()
    return w.document()


def render_site_count_per_country(counts: Sequence[tuple[str, int]], ctx: Context) -> str:
    w = XmlWriter()
    for country, count in counts:
        w.start("SITE")
        w.optional("COUNTRY", country)
        w.leaf("COUNT", str(count))
        w.end()
    return w.document()


def render_subgrids(rows: Sequence[AnyRow], ctx: Context) -> str:
    """get_subgrid_list; fedcore keeps sub-grids as a site attribute, so they have no key."""
    w = XmlWriter()
    for r in rows:
        w.empty(
            "SUBGRID", (("PRIMARY_KEY", ""), ("SUBGRID_NAME", r.subgrid), ("PARENT_ROC", r.ngi))
        )
    return w.document()


# --- NGIs and projects --------------------------------------------------------------------------------


def render_roc_list(listing: NgiListing, ctx: Context) -> str:
    w = XmlWriter()
    for r in listing.page.rows:
        w.empty("ROC", (("PRIMARY_KEY", f"{r.id}G0"), ("ROC_NAME", r.name)))
    return w.document()


def render_ngis(listing: NgiListing, ctx: Context) -> str:
    w = XmlWriter()
    ctx.meta(w, listing.page)
    for r in listing.page.rows:
        w.start("NGI", (("ID", r.id), ("NAME", r.name)))
        w.leaf("PRIMARY_KEY", r.id)
        w.leaf("NAME", r.name)
        w.leaf("OBJECT_ID", r.id)
        w.leaf("DESCRIPTION", r.description)
        w.leaf("EMAIL", r.email)
        w.leaf("GGUS_SU", r.ggus_su)
        w.leaf("ROD_EMAIL", r.rod_email)
        w.leaf("HELPDESK_EMAIL", r.helpdesk_email)
        w.leaf("SECURITY_EMAIL", r.security_email)
        w.leaf("SITE_COUNT", str(listing.site_counts.get(r.id, 0)))
        _scopes(w, listing.scopes.get(r.id))
        w.end()
    return w.document()


def render_roc_contacts(listing: NgiListing, ctx: Context) -> str:
    w = XmlWriter()
    ctx.meta(w, listing.page)
    for r in listing.page.rows:
        w.start("ROC", (("ID", r.id), ("ROC_NAME", r.name)))
        w.leaf("ROCNAME", r.name)
        w.leaf("MAIL_CONTACT", r.email)
        w.leaf("GOCDB_PORTAL_URL", ctx.portal("ngis", r.id))
        for contact in listing.contacts.get(r.id, ()):
            _contact(w, contact)
        w.end()
    return w.document()


def render_project_contacts(listing: ProjectListing, ctx: Context) -> str:
    w = XmlWriter()
    ctx.meta(w, listing.page)
    for r in listing.page.rows:
        w.start("Project", (("ID", r.id), ("NAME", r.name)))
        for contact in listing.contacts.get(r.id, ()):
            _contact(w, contact, working_hours=True)
        w.end()
    return w.document()


# --- services ----------------------------------------------------------------------------------------


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
            _scopes(w, children.scopes.get(s.id))
            _extensions(w, children.extensions.get(s.id))
            w.end()
        _scopes(w, listing.scopes.get(r.id))
        _extensions(w, listing.extensions.get(r.id))
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


# --- downtimes ---------------------------------------------------------------------------------------


def affected_block(indent: str, endpoints: Sequence[AnyRow] | None) -> str:
    """``AFFECTED_ENDPOINTS``: the downtime's endpoints that belong to the service."""
    if not endpoints:
        return f"{indent}<AFFECTED_ENDPOINTS/>\n"
    inner, leaf = indent + "  ", indent + "    "
    parts = [f"{indent}<AFFECTED_ENDPOINTS>\n"]
    for _downtime, _service, ident, name, url, interface, monitored in endpoints:
        parts += (
            f"{inner}<ENDPOINT>\n{leaf}<ID>{ident}</ID>\n",
            element(leaf, "NAME", name),
            element(leaf, "URL", url),
            element(leaf, "INTERFACENAME", interface),
            f"{leaf}<ENDPOINT_MONITORED>{yes_no(monitored)}</ENDPOINT_MONITORED>\n",
            f"{inner}</ENDPOINT>\n",
        )
    parts.append(f"{indent}</AFFECTED_ENDPOINTS>\n")
    return "".join(parts)


def _downtime_start(r: AnyRow) -> str:
    return (
        f'  <DOWNTIME ID="{r.id}" PRIMARY_KEY="{escape_attribute(r.primary_key)}" '
        f'CLASSIFICATION="{escape_attribute(r.classification)}">\n'
    )


def _downtime_dates(r: AnyRow, indent: str) -> str:
    """SEVERITY, DESCRIPTION (if any), the Unix dates and the ``FORMATED`` ones."""
    start, end = r.start_at, r.end_at
    return "".join(
        (
            optional_element(indent, "SEVERITY", r.severity),
            optional_element(indent, "DESCRIPTION", r.description),
            f"{indent}<INSERT_DATE>{unix(r.inserted_at)}</INSERT_DATE>\n",
            f"{indent}<START_DATE>{unix(start)}</START_DATE>\n",
            f"{indent}<END_DATE>{unix(end)}</END_DATE>\n",
            f"{indent}<FORMATED_START_DATE>{formatted(start)}</FORMATED_START_DATE>\n",
            f"{indent}<FORMATED_END_DATE>{formatted(end)}</FORMATED_END_DATE>\n",
        )
    )


def _service_of(r: AnyRow, indent: str) -> str:
    """HOSTNAME, SERVICE_TYPE, ENDPOINT (hostname and type run together) and HOSTED_BY."""
    return "".join(
        (
            optional_element(indent, "HOSTNAME", r.hostname),
            optional_element(indent, "SERVICE_TYPE", r.service_type),
            optional_element(indent, "ENDPOINT", f"{r.hostname}{r.service_type}"),
            optional_element(indent, "HOSTED_BY", r.sitename),
        )
    )


def render_downtimes(listing: DowntimeListing, ctx: Context) -> str:
    """get_downtime: one ``DOWNTIME`` per (downtime, affected service); the parts that are the
    same for every service of a downtime are formatted once."""
    w = XmlWriter()
    ctx.meta(w, listing.page)
    portal = ctx.escaped_portal_prefix("downtimes")
    affected = listing.endpoints
    i4 = "    "
    current, head, tail = None, "", ""
    for r in listing.page.rows:
        if r.id != current:
            current = r.id
            head = _downtime_start(r) + optional_element(i4, "PRIMARY_KEY", r.primary_key)
            url = f"{i4}<GOCDB_PORTAL_URL>{portal}{r.id}</GOCDB_PORTAL_URL>\n"
            tail = _downtime_dates(r, i4) + "  </DOWNTIME>\n"
        w.raw(
            "".join(
                (
                    head,
                    _service_of(r, i4),
                    url,
                    affected_block(i4, affected.get((r.id, r.service_id))),
                    tail,
                )
            )
        )
    return w.document()


def render_downtimes_nested(listing: DowntimeListing, ctx: Context) -> str:
    """get_downtime_nested_services: one ``DOWNTIME`` with its affected ``SERVICES``."""
    w = XmlWriter()
    ctx.meta(w, listing.page)
    portal = ctx.escaped_portal_prefix("downtimes")
    affected = listing.endpoints
    i4, i8 = "    ", "        "
    for ident, group in groupby(listing.page.rows, attrgetter("id")):
        rows = list(group)
        first = rows[0]
        parts = [
            _downtime_start(first),
            _downtime_dates(first, i4),
            f"{i4}<GOCDB_PORTAL_URL>{portal}{ident}</GOCDB_PORTAL_URL>\n{i4}<SERVICES>\n",
        ]
        for r in rows:
            parts += (
                f"      <SERVICE>\n{i8}<PRIMARY_KEY>{r.service_id}G0</PRIMARY_KEY>\n",
                _service_of(r, i8),
                affected_block(i8, affected.get((ident, r.service_id))),
                "      </SERVICE>\n",
            )
        parts.append(f"{i4}</SERVICES>\n  </DOWNTIME>\n")
        w.raw("".join(parts))
    return w.document()


def render_downtimes_to_broadcast(listing: DowntimeListing, ctx: Context) -> str:
    """get_downtime_to_broadcast: one ``DOWNTIME`` per (downtime, affected service)."""
    w = XmlWriter()
    ctx.meta(w, listing.page)
    for r in listing.page.rows:
        w.start("DOWNTIME", _downtime_attributes(r))
        w.leaf("PRIMARY_KEY", r.primary_key)
        w.leaf("SITENAME", r.sitename)
        w.leaf("HOSTNAME", r.hostname)
        w.leaf("SERVICE_TYPE", r.service_type)
        w.leaf("HOSTED_BY", r.sitename)
        w.leaf("GOCDB_PORTAL_URL", ctx.portal("downtimes", r.id))
        w.raw(affected_block(w.indent, listing.endpoints.get((r.id, r.service_id))))
        w.leaf("SEVERITY", r.severity)
        w.leaf("DESCRIPTION", r.description)
        w.leaf("INSERT_DATE", unix(r.inserted_at))
        w.leaf("START_DATE", unix(r.start_at))
        w.leaf("END_DATE", unix(r.end_at))
        w.leaf("REMINDER_START_DOWNTIME", unix(r.start_at - BROADCAST_REMINDER))
        w.empty("BROADCASTING_START_DOWNTIME")
        w.end()
    return w.document()


def _downtime_attributes(r: AnyRow) -> tuple[tuple[str, Any], ...]:
    return (("ID", r.id), ("PRIMARY_KEY", r.primary_key), ("CLASSIFICATION", r.classification))


# --- people ------------------------------------------------------------------------------------------


def render_users(listing: UserListing, ctx: Context) -> str:
    w = XmlWriter()
    ctx.meta(w, listing.page)
    for r in listing.page.rows:
        key = f"{r.id}G0"
        w.start("EGEE_USER", (("ID", key), ("PRIMARY_KEY", key)))
        w.leaf("FORENAME", r.forename)
        w.leaf("SURNAME", r.surname)
        w.leaf("TITLE", r.title)
        w.empty("DESCRIPTION")
        w.leaf("GOCDB_PORTAL_URL", ctx.portal("users", r.id))
        w.leaf("EMAIL", r.email)
        w.leaf("TEL", r.telephone)
        w.leaf("WORKING_HOURS_START", r.working_hours_start)
        w.leaf("WORKING_HOURS_END", r.working_hours_end)
        w.leaf("CERTDN", r.certdn or r.subject)
        w.empty("SSOUSERNAME")
        w.empty("APPROVED")
        w.empty("ACTIVE")
        w.optional("HOMESITE", r.home_site)
        for role in listing.roles.get(r.id, ()):
            entity = (role.entity_type, role.entity_id)
            name, primary_key = listing.entities.get(entity, ("", ""))
            w.start("USER_ROLE")
            w.leaf("USER_ROLE", role.role_type)
            w.leaf("ON_ENTITY", name)
            w.leaf("ENTITY_TYPE", role.entity_type)
            w.optional("PRIMARY_KEY", primary_key)
            projects = listing.projects.get(entity, [])
            if projects:
                w.start("RECOGNISED_IN_PROJECTS")
                for project_id, project_name in projects:
                    w.leaf("PROJECT", project_name, (("ID", project_id),))
                w.end()
            else:
                w.empty("RECOGNISED_IN_PROJECTS")
            w.end()
        w.end()
    return w.document()


def render_access_test(identifier: str) -> str:
    w = XmlWriter()
    w.leaf("authorized", "true")
    return w.document((("identifier", identifier),))
