"""XML of get_user and access_test."""

from __future__ import annotations

from fedcore.registry.compat.pi_render.common import Context
from fedcore.registry.compat.pi_xml import XmlWriter
from fedcore.registry.service.pi import UserListing


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
