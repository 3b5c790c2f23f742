"""Upserting users with their granted roles, and the NGIs, projects and service groups the
roles name."""

from __future__ import annotations

from typing import Any

from fedcore.registry import gocdbxml as gx
from fedcore.registry.enums import EntityType, RoleStatus
from fedcore.registry.models import Ngi, Project, Role, ServiceGroup, User
from fedcore.registry.service.importing.loader import Outcome, _entity_id, _Loader


class _PeopleLoader(_Loader):
    def user(self, rec: gx.UserRecord) -> Outcome:
        found = self.match(User, rec.id, "user", renamed=True, subject=rec.subject)
        home = self.site_named(rec.home_site, "HOMESITE") if rec.home_site.strip() else None
        wanted = [(r.role_type, r.entity_type, self.role_entity(r)) for r in rec.roles]
        user, changed = self.put(
            User,
            found,
            rec.id,
            {
                "subject": rec.subject,
                "forename": rec.forename,
                "surname": rec.surname,
                "title": rec.title,
                "email": rec.email,
                "telephone": rec.telephone,
                "working_hours_start": rec.working_hours_start,
                "working_hours_end": rec.working_hours_end,
                "certdn": rec.certdn,
                "home_site": home,
            },
            f"user {rec.subject!r}",
        )
        for role in rec.roles:
            changed |= self.linked_projects(role)
        changed |= self.set_roles(user, wanted)
        return self.outcome(found is None, changed)

    def set_roles(self, user: User, wanted: list[tuple[str, str, int]]) -> bool:
        """The user's granted roles become exactly ``wanted``; a pending request is granted."""
        roles = {(r.role_type, r.entity_type, r.entity_id): r for r in user.roles}
        changed = False
        for key, role in roles.items():
            if role.status == RoleStatus.GRANTED and key not in wanted:
                user.roles.remove(role)
                changed = True
        for key in wanted:
            found = roles.get(key)
            if found is not None and found.status == RoleStatus.GRANTED:
                continue
            role = found or Role(role_type=key[0], entity_type=key[1], entity_id=key[2])
            if found is None:
                user.roles.append(role)
            role.status = RoleStatus.GRANTED
            role.decided_at = self.now
            role.decided_by = self.actor.subject
            changed = True
        return changed

    def role_entity(self, role: gx.RoleRecord) -> int:
        """The id of what a USER_ROLE is held over; NGIs, projects and groups may be new."""
        if role.entity_type == EntityType.SITE:
            site = self.site_named(role.entity_name, "ON_ENTITY of a USER_ROLE")
            if role.entity_key and role.entity_key != site.primary_key:
                self.report.warnings.append(
                    f"site {role.entity_name!r} has the key {site.primary_key} in the registry, "
                    f"not {role.entity_key}"
                )
            return site.id
        model, kind = {
            EntityType.NGI: (Ngi, "ngis"),
            EntityType.PROJECT: (Project, "projects"),
            EntityType.SERVICE_GROUP: (ServiceGroup, "service groups"),
        }[EntityType(role.entity_type)]
        return int(self.named(model, kind, _entity_id(role), role.entity_name).id)

    def named(self, model: type[Any], kind: str, ident: int | None, name: str) -> Any:
        """A referenced NGI, project or service group, created with this id (if free) and name
        if new."""
        what = kind.rstrip("s")
        found = self.match(model, ident, what, name=name)
        if found is not None:
            return found
        return self.created(
            kind, model(id=self.fresh_id(model, ident, f"{what} {name!r}", ""), name=name)
        )

    def linked_projects(self, role: gx.RoleRecord) -> bool:
        """RECOGNISED_IN_PROJECTS: the projects of the role's NGI (or of its site's NGI)."""
        if role.entity_type == EntityType.SITE:
            ngi = self.site_named(role.entity_name, "ON_ENTITY of a USER_ROLE").ngi
        elif role.entity_type == EntityType.NGI:
            ngi = self.named(Ngi, "ngis", _entity_id(role), role.entity_name)
        else:
            return False
        changed = False
        for project_id, name in role.projects:
            project = self.named(Project, "projects", project_id, name)
            if project not in ngi.projects:
                ngi.projects.append(project)
                changed = True
        return changed
