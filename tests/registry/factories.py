"""A small federation built through the service functions, and actors holding real tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from fedcore.core.db import utcnow
from fedcore.core.security import Principal, create_api_token, principal_for
from fedcore.registry import service as registry
from fedcore.registry.enums import EntityType, RoleStatus, RoleType
from fedcore.registry.models import Downtime, Endpoint, Ngi, Role, Service, Site, User
from fedcore.registry.schemas import (
    DowntimeCreate,
    EndpointCreate,
    NgiCreate,
    ProjectCreate,
    ScopeCreate,
    ServiceCreate,
    ServiceTypeCreate,
    SiteCreate,
)

ADMIN = "operator@fedcore.test"


@dataclass
class Actor:
    principal: Principal
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Federation:
    ngi: Ngi
    other_ngi: Ngi
    site: Site
    other_site: Site
    service: Service
    endpoint: Endpoint
    other_service: Service
    downtime: Downtime
    operator: Actor
    ngi_manager: Actor
    site_admin: Actor
    member: Actor


def make_actor(session: Session, subject: str) -> Actor:
    row, raw = create_api_token(session=session, subject=subject)
    return Actor(principal_for(subject, ADMIN, token_id=row.id), raw)


def grant(
    session: Session, subject: str, role: RoleType, target_type: EntityType, target_id: int
) -> None:
    user = registry.get_user_by_subject(session=session, subject=subject)
    if user is None:
        user = User(
            subject=subject, forename=subject.split("@")[0].title(), surname="Tester", email=subject
        )
        session.add(user)
        session.flush()
    session.add(
        Role(
            user=user,
            role_type=role,
            entity_type=target_type,
            entity_id=target_id,
            status=RoleStatus.GRANTED,
        )
    )
    session.flush()


def build_federation(session: Session) -> Federation:
    operator = make_actor(session, ADMIN)
    op = operator.principal
    for name, reserved in [("EGI", False), ("Local", False), ("wlcg", True)]:
        registry.create_scope(
            session=session, actor=op, data=ScopeCreate(name=name, reserved=reserved)
        )
    registry.create_project(session=session, actor=op, data=ProjectCreate(name="EGI"))
    ngi = registry.create_ngi(
        session=session,
        actor=op,
        data=NgiCreate(name="NGI_TEST", email="ops@ngi.test", projects=["EGI"], scopes=["EGI"]),
    )
    other_ngi = registry.create_ngi(
        session=session,
        actor=op,
        data=NgiCreate(name="NGI_OTHER", projects=["EGI"], scopes=["EGI"]),
    )
    for name in ("CREAM-CE", "Site-BDII", "gLite-APEL"):
        registry.create_service_type(
            session=session,
            actor=op,
            data=ServiceTypeCreate(name=name, description=f"{name} service"),
        )
    site = registry.create_site(
        session=session,
        actor=op,
        data=SiteCreate(
            short_name="TEST-SITE",
            official_name="Test Site",
            ngi="NGI_TEST",
            country_code="CH",
            scopes=["EGI"],
            email="site@test.example",
            domain="test.example",
        ),
    )
    other_site = registry.create_site(
        session=session,
        actor=op,
        data=SiteCreate(
            short_name="OTHER-SITE", ngi="NGI_OTHER", country_code="SI", scopes=["EGI"]
        ),
    )
    service = registry.create_service(
        session=session,
        actor=op,
        data=ServiceCreate(
            hostname="ce.test.example",
            service_type="CREAM-CE",
            site="TEST-SITE",
            scopes=["EGI"],
            host_dn="/DC=org/DC=test/CN=ce.test.example",
            endpoints=[
                EndpointCreate(name="ce-main", url="https://ce.test.example:8443", monitored=True)
            ],
        ),
    )
    other_service = registry.create_service(
        session=session,
        actor=op,
        data=ServiceCreate(
            hostname="bdii.other.example",
            service_type="Site-BDII",
            site="OTHER-SITE",
            scopes=["EGI"],
        ),
    )
    now = utcnow()
    downtime = registry.create_downtime(
        session=session,
        actor=op,
        data=DowntimeCreate(
            severity="OUTAGE",
            description="Kernel upgrade",
            start=now + timedelta(days=3),
            end=now + timedelta(days=3, hours=4),
            services=[service.id],
        ),
    )
    ngi_manager = make_actor(session, "ngi.manager@fedcore.test")
    grant(
        session,
        ngi_manager.principal.subject,
        RoleType.NGI_OPERATIONS_MANAGER,
        EntityType.NGI,
        ngi.id,
    )
    site_admin = make_actor(session, "site.admin@fedcore.test")
    grant(
        session, site_admin.principal.subject, RoleType.SITE_ADMINISTRATOR, EntityType.SITE, site.id
    )
    member = make_actor(session, "member@fedcore.test")
    return Federation(
        ngi,
        other_ngi,
        site,
        other_site,
        service,
        service.endpoints[0],
        other_service,
        downtime,
        operator,
        ngi_manager,
        site_admin,
        member,
    )
