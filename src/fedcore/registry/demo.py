"""The demo federation: a small but complete topology a newcomer can explore at once.

Four NGIs, twelve sites in every certification state (each reached through the allowed
transitions, so their history is real), services of many types with endpoints, a cross-site
service group, users with site and NGI roles, and downtimes in the past, ongoing and in the
future, of both severities. Everything goes through the service functions, so the data obeys the
same rules as data entered by people; past downtimes are declared "as of" their time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fedcore.core.db import utcnow
from fedcore.core.errors import RuleViolation
from fedcore.core.security import Principal
from fedcore.registry import service as registry
from fedcore.registry.enums import CertificationStatus as C
from fedcore.registry.enums import EntityType, RoleType
from fedcore.registry.models import Ngi, Service, Site, SiteProperty
from fedcore.registry.schemas import (
    ApiCredentialCreate,
    CertificationStatusChange,
    DowntimeCreate,
    EndpointCreate,
    NgiCreate,
    ProjectCreate,
    PropertyIn,
    RoleRequest,
    ScopeCreate,
    ServiceCreate,
    ServiceGroupCreate,
    ServiceTypeCreate,
    SiteCreate,
    UserCreate,
)

DEMO_OPERATOR = Principal(subject="fedcore-demo-loader", is_admin=True)

SCOPES = [
    ("EGI", "Resources offered to the EGI federation", False),
    ("Local", "Resources for the site's own users only", False),
    ("FedCloud", "Members of the EGI Federated Cloud", False),
    ("wlcg", "Resources pledged to WLCG (reserved)", True),
]

SERVICE_TYPES = [
    ("ARC-CE", "ARC compute element"),
    ("HTCondorCE", "HTCondor compute element"),
    ("webdav", "WebDAV storage endpoint"),
    ("SRM", "Storage Resource Manager"),
    ("Site-BDII", "Site information system (LDAP, GLUE 2)"),
    ("Top-BDII", "Top-level information system"),
    ("gLite-APEL", "APEL accounting client publishing usage records"),
    ("org.openstack.nova", "OpenStack compute (Nova) endpoint"),
    ("org.openstack.swift", "OpenStack object storage (Swift)"),
    ("eu.egi.cloud.accounting", "cASO cloud accounting publisher"),
    ("egi.aai.oidc", "OpenID Connect provider"),
    ("eu.egi.MPI", "MPI-capable compute (monitoring exception)"),
]

NGIS = [
    ("NGI_CH", "Swiss National Grid Initiative", "ops@ngi-ch.example", "Switzerland"),
    ("NGI_SI", "Slovenian NGI (SLING)", "ops@sling.example", "Slovenia"),
    ("NGI_DE", "German NGI", "ops@ngi-de.example", "Germany"),
    ("NGI_IT", "Italian Grid Infrastructure", "ops@igi.example", "Italy"),
]


@dataclass(frozen=True)
class DemoSite:
    short_name: str
    official_name: str
    ngi: str
    country: str
    domain: str
    lat: float
    lon: float
    timezone: str
    status: C
    path: tuple[C, ...]
    kind: str  # "grid", "cloud" or "core"


CERTIFY = (C.UNCERTIFIED, C.CERTIFIED)
SITES = [
    DemoSite(
        "CSCS-LCG2",
        "Swiss National Supercomputing Centre",
        "NGI_CH",
        "CH",
        "cscs.example",
        46.0250,
        8.9590,
        "Europe/Zurich",
        C.CERTIFIED,
        CERTIFY,
        "grid",
    ),
    DemoSite(
        "UNIBE-LHEP",
        "University of Bern, LHEP",
        "NGI_CH",
        "CH",
        "unibe.example",
        46.9510,
        7.4380,
        "Europe/Zurich",
        C.CERTIFIED,
        CERTIFY,
        "grid",
    ),
    DemoSite(
        "SWITCH-CLOUD",
        "SWITCHengines cloud",
        "NGI_CH",
        "CH",
        "switch.example",
        47.3769,
        8.5417,
        "Europe/Zurich",
        C.SUSPENDED,
        (*CERTIFY, C.SUSPENDED),
        "cloud",
    ),
    DemoSite(
        "ARNES",
        "Academic and Research Network of Slovenia",
        "NGI_SI",
        "SI",
        "arnes.example",
        46.0569,
        14.5058,
        "Europe/Ljubljana",
        C.CERTIFIED,
        CERTIFY,
        "grid",
    ),
    DemoSite(
        "SiGNET",
        "Jozef Stefan Institute, SiGNET",
        "NGI_SI",
        "SI",
        "ijs.example",
        46.0420,
        14.4880,
        "Europe/Ljubljana",
        C.CERTIFIED,
        CERTIFY,
        "core",
    ),
    DemoSite(
        "IZOLA-MRF",
        "Izola Marine Research Facility",
        "NGI_SI",
        "SI",
        "izolamrf.example",
        45.5414,
        13.6627,
        "Europe/Ljubljana",
        C.CANDIDATE,
        (),
        "grid",
    ),
    DemoSite(
        "FZK-LCG2",
        "Karlsruhe Institute of Technology, GridKa",
        "NGI_DE",
        "DE",
        "kit.example",
        49.0940,
        8.4330,
        "Europe/Berlin",
        C.CERTIFIED,
        CERTIFY,
        "grid",
    ),
    DemoSite(
        "DESY-HH",
        "DESY Hamburg",
        "NGI_DE",
        "DE",
        "desy.example",
        53.5760,
        9.8800,
        "Europe/Berlin",
        C.UNCERTIFIED,
        (C.UNCERTIFIED,),
        "grid",
    ),
    DemoSite(
        "GWDG-CLOUD",
        "GWDG Göttingen cloud",
        "NGI_DE",
        "DE",
        "gwdg.example",
        51.5413,
        9.9158,
        "Europe/Berlin",
        C.CERTIFIED,
        CERTIFY,
        "cloud",
    ),
    DemoSite(
        "INFN-T1",
        "INFN CNAF Tier-1",
        "NGI_IT",
        "IT",
        "cnaf.example",
        44.4949,
        11.3426,
        "Europe/Rome",
        C.CERTIFIED,
        CERTIFY,
        "grid",
    ),
    DemoSite(
        "RECAS-BARI",
        "ReCaS Bari cloud",
        "NGI_IT",
        "IT",
        "recas.example",
        41.1171,
        16.8719,
        "Europe/Rome",
        C.CERTIFIED,
        CERTIFY,
        "cloud",
    ),
    DemoSite(
        "INFN-CATANIA-OLD",
        "INFN Catania (decommissioned)",
        "NGI_IT",
        "IT",
        "ct.example",
        37.5079,
        15.0830,
        "Europe/Rome",
        C.CLOSED,
        (*CERTIFY, C.CLOSED),
        "grid",
    ),
]

SERVICES_BY_KIND: dict[str, list[tuple[str, str, list[tuple[str, str]]]]] = {
    "grid": [
        (
            "ce01",
            "ARC-CE",
            [("gridftp", "gsiftp://{h}:2811/jobs"), ("rest", "https://{h}:443/arex")],
        ),
        ("se01", "webdav", [("webdav", "davs://{h}:2880/")]),
        ("bdii", "Site-BDII", [("ldap", "ldap://{h}:2170/GLUE2DomainID={s},o=glue")]),
        ("apel", "gLite-APEL", []),
    ],
    "cloud": [
        ("keystone", "org.openstack.nova", [("nova", "https://{h}:5000/v3")]),
        ("swift", "org.openstack.swift", [("swift", "https://{h}:8080/v1")]),
        ("caso", "eu.egi.cloud.accounting", []),
    ],
    "core": [
        ("ce01", "HTCondorCE", [("condor", "condor://{h}:9619")]),
        ("topbdii", "Top-BDII", [("ldap", "ldap://{h}:2170/o=glue")]),
        ("apel", "gLite-APEL", []),
    ],
}

PEOPLE = [
    ("anna.meier@cscs.example", "Anna", "Meier", RoleType.SITE_ADMINISTRATOR, "CSCS-LCG2"),
    ("luka.novak@arnes.example", "Luka", "Novak", RoleType.SITE_OPERATIONS_MANAGER, "ARNES"),
    ("jonas.weber@kit.example", "Jonas", "Weber", RoleType.SITE_ADMINISTRATOR, "FZK-LCG2"),
    ("giulia.rossi@cnaf.example", "Giulia", "Rossi", RoleType.SITE_SECURITY_OFFICER, "INFN-T1"),
    ("marc.keller@ngi-ch.example", "Marc", "Keller", RoleType.NGI_OPERATIONS_MANAGER, "NGI_CH"),
    ("petra.zupan@sling.example", "Petra", "Zupan", RoleType.NGI_OPERATIONS_MANAGER, "NGI_SI"),
]


def is_empty(*, session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Site))


def load_demo(*, session: Session, now: datetime | None = None) -> str:
    """Load the demo federation; refuses a database that already has sites."""
    if not is_empty(session=session):
        raise RuleViolation("the database has sites already; the demo loads into an empty one")
    now = now or utcnow()
    op = DEMO_OPERATOR
    for name, description, reserved in SCOPES:
        registry.create_scope(
            session=session,
            actor=op,
            data=ScopeCreate(name=name, description=description, reserved=reserved),
        )
    registry.create_project(
        session=session, actor=op, data=ProjectCreate(name="EGI", description="EGI Foundation")
    )
    for name, description in SERVICE_TYPES:
        registry.create_service_type(
            session=session,
            actor=op,
            data=ServiceTypeCreate(
                name=name, description=description, monitoring_exception=name == "eu.egi.MPI"
            ),
        )
    ngis: dict[str, Ngi] = {}
    for name, description, email, _country in NGIS:
        ngis[name] = registry.create_ngi(
            session=session,
            actor=op,
            data=NgiCreate(
                name=name,
                description=description,
                email=email,
                rod_email=email,
                security_email=email.replace("ops@", "security@"),
                ggus_su=name.replace("NGI_", "NGI-"),
                projects=["EGI"],
                scopes=["EGI"],
            ),
        )
    sites = {s.short_name: _site(session, s) for s in SITES}
    services = [svc for spec in SITES for svc in _services(session, spec, sites[spec.short_name])]
    group = registry.create_service_group(
        session=session,
        actor=op,
        data=ServiceGroupCreate(
            name="EGI-FedCloud-Core",
            email="fedcloud@egi.example",
            monitored=True,
            description="Cloud compute endpoints of the federated cloud",
            scopes=["EGI", "FedCloud"],
            services=[s.id for s in services if s.service_type.name == "org.openstack.nova"],
        ),
    )
    _people(session, sites, ngis)
    downtimes = _downtimes(session, sites, now)
    registry.add_api_credential(
        session=session,
        actor=op,
        site_id=sites["CSCS-LCG2"].id,
        data=ApiCredentialCreate(
            kind="OIDC Subject", identifier="anna.meier@cscs.example", allow_write=True
        ),
    )
    session.flush()
    return (
        f"demo federation: {len(ngis)} NGIs, {len(sites)} sites, {len(services)} services, "
        f"1 service group ({group.name}), {len(PEOPLE)} people with roles, {downtimes} downtimes"
    )


def _site(session: Session, spec: DemoSite) -> Site:
    scopes = ["EGI", "FedCloud"] if spec.kind == "cloud" else ["EGI"]
    if spec.short_name in {"FZK-LCG2", "INFN-T1", "CSCS-LCG2"}:
        scopes.append("wlcg")
    site = registry.create_site(
        session=session,
        actor=DEMO_OPERATOR,
        data=SiteCreate(
            short_name=spec.short_name,
            official_name=spec.official_name,
            ngi=spec.ngi,
            country_code=spec.country,
            domain=spec.domain,
            latitude=spec.lat,
            longitude=spec.lon,
            timezone=spec.timezone,
            home_url=f"https://www.{spec.domain}",
            email=f"grid-admin@{spec.domain}",
            telephone="+41 00 000 00 00",
            csirt_email=f"csirt@{spec.domain}",
            alarm_email=f"alarm@{spec.domain}",
            giis_url=f"ldap://bdii.{spec.domain}:2170/GLUE2DomainID={spec.short_name},o=glue",
            description=f"{spec.official_name}: a {spec.kind} resource centre of {spec.ngi}.",
            tier="1" if spec.short_name in {"FZK-LCG2", "INFN-T1"} else "",
            infrastructure="Test" if spec.status is C.CANDIDATE else "Production",
            notify=spec.kind != "core",
            scopes=scopes,
        ),
    )
    if spec.kind == "grid":
        registry.set_properties(
            session,
            site,
            SiteProperty,
            [PropertyIn(key="HEPSPEC06_per_core", value="12.5")],
            max_count=20,
            overwrite=False,
        )
    for status in spec.path:
        registry.change_certification_status(
            session=session,
            actor=DEMO_OPERATOR,
            site_id=site.id,
            data=CertificationStatusChange(status=status, reason=_reason(status)),
        )
    return site


def _reason(status: C) -> str:
    return {
        C.UNCERTIFIED: "Site registered and reviewed by the NGI",
        C.CERTIFIED: "Certification tests passed for 3 days",
        C.SUSPENDED: "Security vulnerability not patched in time",
        C.CLOSED: "Site decommissioned",
    }.get(status, "Status change")


def _services(session: Session, spec: DemoSite, site: Site) -> list[Service]:
    created = []
    for prefix, type_name, endpoints in SERVICES_BY_KIND[spec.kind]:
        host = f"{prefix}.{spec.domain}"
        created.append(
            registry.create_service(
                session=session,
                actor=DEMO_OPERATOR,
                data=ServiceCreate(
                    hostname=host,
                    service_type=type_name,
                    site=spec.short_name,
                    host_dn=f"/DC=example/DC=grid/O={spec.ngi}/CN={host}",
                    url=f"https://{host}/",
                    host_os="AlmaLinux 9",
                    host_arch="x86_64",
                    production=spec.status is not C.CANDIDATE,
                    monitored=True,
                    scopes=["EGI"] + (["FedCloud"] if spec.kind == "cloud" else []),
                    endpoints=[
                        EndpointCreate(
                            name=f"{host}-{name}",
                            url=url.format(h=host, s=spec.short_name),
                            monitored=True,
                        )
                        for name, url in endpoints
                    ],
                ),
            )
        )
    return created


def _people(session: Session, sites: dict[str, Site], ngis: dict[str, Ngi]) -> None:
    for subject, forename, surname, role, target in PEOPLE:
        person = Principal(subject=subject)
        registry.register_user(
            session=session,
            actor=person,
            data=UserCreate(
                subject=subject,
                forename=forename,
                surname=surname,
                email=subject,
                telephone="+00 000 000 000",
                home_site=target if target in sites else None,
            ),
        )
        entity_type = role.entity_type
        entity = sites[target] if entity_type is EntityType.SITE else ngis[target]
        requested = registry.request_role(
            session=session,
            actor=person,
            data=RoleRequest(role_type=role, entity_type=entity_type, entity_id=entity.id),
        )
        registry.grant_role(session=session, actor=DEMO_OPERATOR, role_id=requested.id)


def _downtimes(session: Session, sites: dict[str, Site], now: datetime) -> int:
    """Past, ongoing and future downtimes of both severities, declared as of their own time."""
    plan = [
        (
            "CSCS-LCG2",
            "OUTAGE",
            -timedelta(days=5),
            timedelta(hours=6),
            timedelta(days=4),
            "Cooling maintenance in the machine room",
        ),
        (
            "ARNES",
            "WARNING",
            -timedelta(days=3),
            timedelta(hours=10),
            timedelta(hours=2),
            "Network switch firmware upgrade; short interruptions possible",
        ),
        (
            "FZK-LCG2",
            "OUTAGE",
            -timedelta(hours=3),
            timedelta(hours=8),
            timedelta(hours=1),
            "Emergency storage controller replacement",
        ),
        (
            "INFN-T1",
            "WARNING",
            -timedelta(hours=1),
            timedelta(hours=5),
            timedelta(minutes=30),
            "Batch system reconfiguration, jobs may queue longer",
        ),
        (
            "GWDG-CLOUD",
            "OUTAGE",
            timedelta(days=2),
            timedelta(hours=12),
            timedelta(days=3),
            "OpenStack upgrade to the next release",
        ),
        (
            "UNIBE-LHEP",
            "WARNING",
            timedelta(days=5),
            timedelta(hours=4),
            timedelta(days=6),
            "Kernel security updates, rolling reboot of worker nodes",
        ),
        (
            "RECAS-BARI",
            "OUTAGE",
            timedelta(hours=6),
            timedelta(hours=3),
            timedelta(minutes=5),
            "Power work on the building, unscheduled",
        ),
    ]
    for short_name, severity, start, length, notice, description in plan:
        site = sites[short_name]
        declared = now + start - notice
        registry.create_downtime(
            session=session,
            actor=DEMO_OPERATOR,
            now=min(declared, now),
            data=DowntimeCreate(
                severity=severity,
                description=description,
                start=now + start,
                end=now + start + length,
                services=[s.id for s in site.services[:2]],
                endpoints=[e.id for e in site.services[0].endpoints[:1]],
            ),
        )
    return len(plan)
