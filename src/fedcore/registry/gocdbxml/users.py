"""Reader of users and their roles (get_user)."""

from __future__ import annotations

from lxml import etree

from fedcore.registry.enums import EntityType, RoleType
from fedcore.registry.gocdbxml.records import RoleRecord, UserRecord
from fedcore.registry.gocdbxml.values import INTEGER, _Doc, _Element, _integer, _key, _tags

ROLE_TAGS = _tags("USER_ROLE ON_ENTITY ENTITY_TYPE PRIMARY_KEY RECOGNISED_IN_PROJECTS")
USER_TAGS = _tags(
    "FORENAME SURNAME TITLE DESCRIPTION GOCDB_PORTAL_URL EMAIL TEL WORKING_HOURS_START "
    "WORKING_HOURS_END CERTDN EGICHECKIN IRISIAM SSOUSERNAME APPROVED ACTIVE HOMESITE USER_ROLE"
)


def _role(document: _Doc, node: etree._Element) -> RoleRecord:
    el = _Element(document, node, ROLE_TAGS)
    role_type = el.choice("USER_ROLE", RoleType)
    entity_type = el.choice("ENTITY_TYPE", EntityType)
    if RoleType(role_type).entity_type != entity_type:
        el.fail(f"a {role_type} role is not held over a {entity_type}")
    key = el.text("PRIMARY_KEY").strip()
    # a site is named by its key <n>G0; an NGI, project or service group by its integer id
    if key and (entity_type == EntityType.SITE or not INTEGER.match(key)):
        _key(el, "PRIMARY_KEY", key)
    projects: list[tuple[int, str]] = []
    holder = el.node("RECOGNISED_IN_PROJECTS")
    if holder is not None:
        for child in _Element(document, holder, {"PROJECT"}).nodes("PROJECT"):
            project = _Element(document, child, ())
            project_id = _integer(project, "ID", project.attribute("ID"))
            projects.append((project_id, project.text_of(child, "PROJECT")))
    return RoleRecord(
        role_type=role_type,
        entity_type=entity_type,
        entity_name=el.text("ON_ENTITY", required=True),
        entity_key=key,
        projects=tuple(projects),
    )


def _user(document: _Doc, node: etree._Element) -> UserRecord:
    el = _Element(document, node, USER_TAGS)
    key = el.attribute("ID").strip()
    primary_key = el.element.get("PRIMARY_KEY")
    if primary_key is not None and primary_key.strip() != key:
        el.fail(f"PRIMARY_KEY {primary_key!r} differs from ID {key!r}")
    roles = tuple(_role(document, n) for n in el.nodes("USER_ROLE"))
    triples = [(r.role_type, r.entity_type, r.entity_name) for r in roles]
    if len(set(triples)) != len(triples):
        el.fail("a USER_ROLE is given twice")
    record = UserRecord(
        source=el.source,
        id=_key(el, "ID", key),
        forename=el.text("FORENAME"),
        surname=el.text("SURNAME"),
        title=el.text("TITLE"),
        email=el.text("EMAIL"),
        telephone=el.text("TEL"),
        working_hours_start=el.text("WORKING_HOURS_START"),
        working_hours_end=el.text("WORKING_HOURS_END"),
        certdn=el.text("CERTDN"),
        egi_checkin=el.text("EGICHECKIN"),
        iris_iam=el.text("IRISIAM"),
        home_site=el.text("HOMESITE"),
        roles=roles,
    )
    if not record.subject.strip():
        el.fail("the user has no identifier (CERTDN, EGICHECKIN or IRISIAM)")
    return record
