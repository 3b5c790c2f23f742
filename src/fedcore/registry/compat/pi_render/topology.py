"""XML of the methods over sites, NGIs and projects (get_site, get_site_list,
get_site_contacts, get_site_security_info, get_cert_status_date, get_cert_status_changes,
get_site_count_per_country, get_subgrid_list, get_roc_list, get_ngi, get_roc_contacts,
get_project_contacts)."""

from __future__ import annotations

from collections.abc import Sequence

from fedcore.registry.compat.pi_render.common import (
    Context,
    write_contact,
    write_extensions,
    write_scopes,
)
from fedcore.registry.compat.pi_xml import XmlWriter, cert_date, change_time, unix
from fedcore.registry.service.pi import AnyRow, NgiListing, PiPage, ProjectListing, SiteListing

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
        write_scopes(w, listing.scopes.get(r.id))
        write_extensions(w, listing.extensions.get(r.id))
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


def render_site_contacts(listing: SiteListing, ctx: Context) -> str:
    w = XmlWriter()
    ctx.meta(w, listing.page)
    for r in listing.page.rows:
        _site_head(w, r)
        for contact in listing.contacts.get(r.id, ()):
            write_contact(w, contact)
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
        write_scopes(w, listing.scopes.get(r.id))
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
            write_contact(w, contact)
        w.end()
    return w.document()


def render_project_contacts(listing: ProjectListing, ctx: Context) -> str:
    w = XmlWriter()
    ctx.meta(w, listing.page)
    for r in listing.page.rows:
        w.start("Project", (("ID", r.id), ("NAME", r.name)))
        for contact in listing.contacts.get(r.id, ()):
            write_contact(w, contact, working_hours=True)
        w.end()
    return w.document()
