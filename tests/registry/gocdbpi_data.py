"""Registry rows equivalent to GOCDB's documented PI examples
(``shared/samples/registry/gocdb-docs-examples``), written straight as model rows so that every
field the examples show is set (some have no create-API field, e.g. a site's primary key)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.core.security import create_api_token
from fedcore.registry.enums import EntityType, RoleStatus, RoleType
from fedcore.registry.models import (
    CertificationChange,
    Country,
    Downtime,
    Endpoint,
    Ngi,
    Project,
    Role,
    Scope,
    Service,
    ServiceGroup,
    ServiceType,
    Site,
    User,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def get_or_create(session: Session, model: type, **fields: object) -> object:
    column, value = next(iter(fields.items()))
    row = session.scalar(select(model).where(getattr(model, column) == value))
    if row is None:
        row = model(**fields)
        session.add(row)
        session.flush()
    return row


@dataclass
class DocsData:
    izola: Site
    torch: Site
    lfc: Service
    bdii: Service
    downtime: Downtime
    group: ServiceGroup
    user: User
    ngi: Ngi
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def build_docs_data(session: Session) -> DocsData:
    egi_scope = get_or_create(session, Scope, name="EGI")
    local = get_or_create(session, Scope, name="Local")
    egi = get_or_create(session, Project, name="EGI")
    slovenia = get_or_create(session, Country, code="SI", name="Slovenia")
    switzerland = get_or_create(session, Country, code="CH", name="Switzerland")
    ngi_si = Ngi(
        name="NGI_SI",
        description="An NGI based in Slovenia.",
        email="ngi-si-contact@swing-grid.si",
        helpdesk_email="ngi-si-helpdesk@swing-grid.si",
        security_email="ngi-si-security@swing-grid.si",
        projects=[egi],
        scopes=[egi_scope],
    )
    ngi_ch = Ngi(name="NGI_CH", email="ngi-ch@example.ch", projects=[egi], scopes=[egi_scope])
    izola = Site(
        primary_key="119G0",
        short_name="Izola MRF",
        official_name="Izola Marine Research Facility",
        description="Slovenia's hub for all things ocean research.",
        home_url="http://www.izolamrf.co.si",
        email="contact@izolamrf.si",
        telephone="+386 45 310 1393",
        giis_url="ldap://grid.izolamrf.si:0000/ds-vo-name=IzolaMRF,o=grid",
        country=slovenia,
        ngi=ngi_si,
        infrastructure="Test",
        certification_status="Certified",
        certification_changed_at=at("2022-09-13 09:21:26"),
        timezone="UTC",
        latitude=45.541431,
        longitude=13.662742,
        csirt_email="csirt@izolamrf.si",
        csirt_tel="+386 41 000 2994",
        notify=False,
        domain="izolamrf.si",
        ip_range="0.0.0.0/255.255.255.255",
        scopes=[egi_scope],
    )
    torch = Site(
        primary_key="200G0",
        short_name="Torch",
        country=switzerland,
        ngi=ngi_ch,
        infrastructure="Production",
        certification_status="Certified",
        certification_changed_at=at("2013-01-29 17:13:08"),
        scopes=[egi_scope],
    )
    session.add_all([ngi_si, ngi_ch, izola, torch])
    lfc_type = get_or_create(session, ServiceType, name="Local-LFC", description="LFC")
    bdii_type = get_or_create(session, ServiceType, name="Site-BDII", description="BDII")
    lfc = Service(
        hostname="lodur.torchit.ch",
        host_dn="/DC=com/DC=quovadisglobal/DC=grid/DC=Torch/CN=lodur.torchit.ch",
        host_os="SL5",
        host_arch="64 bit",
        beta=False,
        service_type=lfc_type,
        host_ip="130.59.111.49",
        production=False,
        monitored=False,
        notify=False,
        site=torch,
        scopes=[local],
        endpoints=[Endpoint(name="sampleEndpoint", interface_name="Local-LFC")],
    )
    bdii = Service(
        hostname="izolamrf.co.si",
        service_type=bdii_type,
        site=izola,
        scopes=[egi_scope],
        endpoints=[Endpoint(name="bdii4.izolamrf.si", interface_name="Site-BDII")],
    )
    session.add_all([lfc, bdii])
    session.flush()
    downtime = Downtime(
        primary_key="113653G0",
        description="The service will be at risk",
        severity="WARNING",
        classification="SCHEDULED",
        inserted_at=at("2022-06-25 06:04:02"),
        start_at=at("2022-06-27 00:00:00"),
        end_at=at("2023-07-01 00:00:00"),
        site_id=izola.id,
        services=[bdii],
    )
    group = ServiceGroup(
        name="NGI_AEGIS_SERVICES",
        description="NGI_AEGIS Core Services",
        monitored=True,
        email="grid-admin@ipb.ac.rs",
        scopes=[egi_scope],
    )
    user = User(
        subject="gwei.jai@izolamrf.si",
        forename="Gwei",
        surname="Jai",
        email="Gwei.Jai@izolamrf.si",
        telephone="+44 040 3636 3600",
        certdn="/C=00/O=00000/OU=000000/CN=Gwei Jai",
        home_site=izola,
    )
    session.add_all([downtime, group, user])
    session.flush()
    for role_type, entity_type, entity_id in [
        (RoleType.SITE_OPERATIONS_DEPUTY_MANAGER, EntityType.SITE, izola.id),
        (RoleType.REGIONAL_STAFF_ROD, EntityType.NGI, ngi_si.id),
        (RoleType.COD_STAFF, EntityType.PROJECT, egi.id),  # type: ignore[attr-defined]
    ]:
        session.add(
            Role(
                user=user,
                role_type=role_type,
                entity_type=entity_type,
                entity_id=entity_id,
                status=RoleStatus.GRANTED,
            )
        )
    session.add(
        CertificationChange(
            site_id=izola.id,
            old_status="Uncertified",
            new_status="Certified",
            changed_by="/C=UK/O=eScience/OU=CLRC/L=RAL/CN=Gwei Jai",
            changed_at=at("2022-09-13 09:21:26"),
            reason="Site is ready",
        )
    )
    session.flush()
    _, token = create_api_token(session=session, subject=user.subject)
    return DocsData(izola, torch, lfc, bdii, downtime, group, user, ngi_si, token)
