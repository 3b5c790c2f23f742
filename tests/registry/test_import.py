"""``import_documents``: GOCDB ids kept, minimal references, replacement of what a document says,
history as it is, idempotence, conflicts, operators only, sequences moved past imported ids."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.core.db import Base, utcnow
from fedcore.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from fedcore.core.security import Principal
from fedcore.registry import gocdbxml
from fedcore.registry import service as registry
from fedcore.registry.enums import EntityType, RoleStatus, RoleType
from fedcore.registry.models import (
    CertificationChange,
    Counter,
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
from fedcore.registry.schemas import (
    DowntimeCreate,
    EndpointCreate,
    NgiCreate,
    ServiceCreate,
    ServiceTypeCreate,
    SiteCreate,
)
from fedcore.registry.service.importing import ImportReport
from tests.registry.factories import ADMIN, make_actor

DOCS = "samples/registry/gocdb-docs-examples"
ARGO = "samples/registry/argo-connectors-fixtures"
DOCS_SET = [
    f"{DOCS}/{name}.xml"
    for name in (
        "get_ngi",
        "get_site",
        "get_service_types",
        "get_service",
        "get_service_group",
        "get_downtime",
        "get_user",
    )
]
ARGO_SET = [
    f"{ARGO}/{name}.xml"
    for name in (
        "sample-site",
        "sample-topofeedpaging",
        "sample-service_endpoint",
        "sample-service_endpoint_biomed",
    )
]
# Fixtures of other feeds (EUDAT registry, get_site_list, hand-made): ids re-allocated.
OTHER_FEEDS_SET = [
    f"{ARGO}/{name}.xml"
    for name in (
        "sample-service_endpoint_with_contacts",
        "sample-service_types_gocdb",
        "sample-sites_with_contacts",
        "sample-service_group_with_contacts",
        "sample-sites_biomed",
    )
]


@pytest.fixture
def operator(session: Session) -> Principal:
    return make_actor(session, ADMIN).principal


class Importer:
    def __init__(self, session: Session, operator: Principal, shared_dir: Path) -> None:
        self.session, self.operator, self.shared_dir = session, operator, shared_dir

    def __call__(self, *items: str) -> ImportReport:
        """Import sample files (relative to shared/) and inline XML documents."""
        documents = [
            gocdbxml.parse_document(item.encode(), f"inline{n}.xml")
            if item.lstrip().startswith("<")
            else gocdbxml.parse_file(self.shared_dir / item)
            for n, item in enumerate(items)
        ]
        return registry.import_documents(
            session=self.session, actor=self.operator, documents=documents
        )


@pytest.fixture
def load(session: Session, operator: Principal, shared_dir: Path) -> Importer:
    return Importer(session, operator, shared_dir)


def dump(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every registry row, table by table, in primary-key order."""
    session.flush()
    tables = [t for t in Base.metadata.sorted_tables if t.name.startswith("registry_")]
    return {
        t.name: [tuple(row) for row in session.execute(select(t).order_by(*t.primary_key.columns))]
        for t in tables
    }


SITE = """<results><SITE ID="{id}" PRIMARY_KEY="{pk}" NAME="{name}">
  <OFFICIAL_NAME>{official}</OFFICIAL_NAME><COUNTRY_CODE>CH</COUNTRY_CODE><COUNTRY>Switzerland</COUNTRY>
  <ROC>{ngi}</ROC><PRODUCTION_INFRASTRUCTURE>Production</PRODUCTION_INFRASTRUCTURE>
  <CERTIFICATION_STATUS>{status}</CERTIFICATION_STATUS><NOTIFICATIONS>FALSE</NOTIFICATIONS>
  <SCOPES><SCOPE>EGI</SCOPE></SCOPES><EXTENSIONS/>
</SITE></results>"""


def site_xml(
    id: int = 1,
    name: str = "S1",
    pk: str = "",
    status: str = "Certified",
    ngi: str = "NGI_X",
    official: str = "",
) -> str:
    return SITE.format(
        id=id, pk=pk or f"{id}G0", name=name, status=status, ngi=ngi, official=official
    )


SERVICE = """<results><SERVICE_ENDPOINT PRIMARY_KEY="{id}G0">
  <HOSTNAME>{host}</HOSTNAME><BETA>N</BETA><SERVICE_TYPE>CE</SERVICE_TYPE><CORE/>
  <IN_PRODUCTION>Y</IN_PRODUCTION><NODE_MONITORED>Y</NODE_MONITORED><NOTIFICATIONS>N</NOTIFICATIONS>
  <SITENAME>{site}</SITENAME>{country}<ROC_NAME>NGI_X</ROC_NAME><URL/>
  <ENDPOINTS>{endpoints}</ENDPOINTS>
  <SCOPES>{scopes}</SCOPES>
  <EXTENSIONS>{extensions}</EXTENSIONS>
</SERVICE_ENDPOINT></results>"""
ENDPOINT = """<ENDPOINT><ID>{id}</ID><NAME>{name}</NAME><EXTENSIONS/><URL>https://{name}</URL>
  <INTERFACENAME>CE</INTERFACENAME><ENDPOINT_MONITORED>Y</ENDPOINT_MONITORED></ENDPOINT>"""
EXTENSION = "<EXTENSION><LOCAL_ID>{id}</LOCAL_ID><KEY>{key}</KEY><VALUE>{value}</VALUE></EXTENSION>"


def service_xml(
    id: int = 5,
    host: str = "ce.example.org",
    site: str = "S1",
    endpoints: dict[int, str] | None = None,
    scopes: tuple[str, ...] = ("EGI",),
    extensions: dict[int, tuple[str, str]] | None = None,
    country: str = "<COUNTRY_NAME>Switzerland</COUNTRY_NAME><COUNTRY_CODE>CH</COUNTRY_CODE>",
) -> str:
    return SERVICE.format(
        id=id,
        host=host,
        site=site,
        country=country,
        endpoints="".join(ENDPOINT.format(id=i, name=n) for i, n in (endpoints or {}).items()),
        scopes="".join(f"<SCOPE>{s}</SCOPE>" for s in scopes),
        extensions="".join(
            EXTENSION.format(id=i, key=k, value=v) for i, (k, v) in (extensions or {}).items()
        ),
    )


def downtime_xml(body: str) -> str:
    return f"""<results><DOWNTIME ID="70" PRIMARY_KEY="700G0" CLASSIFICATION="UNSCHEDULED">
  <SEVERITY>OUTAGE</SEVERITY><DESCRIPTION>Power cut</DESCRIPTION><INSERT_DATE>1600000000</INSERT_DATE>
  <START_DATE>1600000000</START_DATE><END_DATE>1600003600</END_DATE>
  <SERVICES>{body}</SERVICES></DOWNTIME></results>"""


def affected(key: int, host: str, endpoints: str = "") -> str:
    return (
        f"<SERVICE><PRIMARY_KEY>{key}G0</PRIMARY_KEY><HOSTNAME>{host}</HOSTNAME>"
        f"<SERVICE_TYPE>CE</SERVICE_TYPE><HOSTED_BY>S1</HOSTED_BY>"
        f"<AFFECTED_ENDPOINTS>{endpoints}</AFFECTED_ENDPOINTS></SERVICE>"
    )


def test_gocdb_ids_and_keys_are_kept(session: Session, load: Importer) -> None:
    report = load(*DOCS_SET)
    site = session.get(Site, 14)
    assert site is not None
    assert (site.primary_key, site.short_name, site.ngi.name, site.ngi.id) == (
        "119G0",
        "Izola MRF",
        "NGI_SI",
        3,
    )
    assert (site.country.code, site.country.name, site.certification_status) == (
        "SI",
        "Slovenia",
        "Certified",
    )
    service = session.get(Service, 1)
    assert service is not None
    assert (service.hostname, service.site.short_name, service.service_type.name) == (
        "lodur.torchit.ch",
        "Torch",
        "Local-LFC",
    )
    assert [(e.id, e.name) for e in service.endpoints] == [(1, "sampleEndpoint")]
    assert session.get(ServiceType, 1).name == "CE"  # type: ignore[union-attr]
    assert session.get(ServiceGroup, 23).name == "NGI_AEGIS_SERVICES"  # type: ignore[union-attr]
    downtime = session.get(Downtime, 32578)
    assert downtime is not None
    assert (downtime.primary_key, downtime.classification, downtime.severity) == (
        "119G0",
        "SCHEDULED",
        "WARNING",
    )
    assert (downtime.start_at.isoformat(), downtime.inserted_at.timestamp()) == (
        "2022-06-27T00:00:00+00:00",
        1656137042,
    )
    assert [s.hostname for s in downtime.services] == ["izolamrf.co.si"]
    user = session.get(User, 8)
    assert user is not None
    assert (user.subject, user.certdn, user.home_site) == (
        "/C=00/O=00000/OU=000000/CN=Gwei Jai",
        "/C=00/O=00000/OU=000000/CN=Gwei Jai",
        site,
    )
    assert [(r.role_type, r.entity_type, r.entity_id, r.status) for r in user.roles] == [
        ("Site Operations Deputy Manager", "site", 14, RoleStatus.GRANTED),
        ("Regional Staff (ROD)", "ngi", 3, RoleStatus.GRANTED),
        ("COD Staff", "project", 1, RoleStatus.GRANTED),
    ]
    assert [p.name for p in site.ngi.projects] == ["EGI"]
    counter = session.get(Counter, "primary_key")
    assert counter is not None
    assert counter.value >= 119  # later sites and downtimes get keys after the imported ones
    assert report.lines() == [
        "ngis: 2 created, 0 updated, 0 unchanged",  # NGI_SI, and NGI_CH of the Torch service
        "projects: 1 created, 0 updated, 0 unchanged",
        "scopes: 2 created, 0 updated, 0 unchanged",
        "service types: 3 created, 0 updated, 0 unchanged",  # CE; Local-LFC, Site-BDII used
        "sites: 2 created, 0 updated, 0 unchanged",  # Izola MRF; Torch of the service
        "services: 2 created, 0 updated, 0 unchanged",  # lodur; the downtime's izolamrf.co.si
        "service groups: 1 created, 0 updated, 0 unchanged",
        "downtimes: 1 created, 0 updated, 0 unchanged",
        "users: 1 created, 0 updated, 0 unchanged",
    ]
    assert report.warnings == []


@pytest.mark.parametrize(
    "files", [DOCS_SET, ARGO_SET, OTHER_FEEDS_SET], ids=["docs", "argo", "other-feeds"]
)
def test_importing_twice_changes_nothing(
    session: Session, load: Importer, files: list[str]
) -> None:
    load(*files)
    before = dump(session)
    again = load(*files)
    assert again.changes == 0
    assert all(", 0 updated, " in line and ": 0 created" in line for line in again.lines())
    assert dump(session) == before


def test_referenced_things_are_created_with_what_the_document_says(
    session: Session, load: Importer
) -> None:
    load(f"{DOCS}/get_service.xml")
    torch = session.scalar(select(Site).where(Site.short_name == "Torch"))
    assert torch is not None
    assert (torch.ngi.name, torch.country.code, torch.country.name) == (
        "NGI_CH",
        "CH",
        "Switzerland",
    )
    assert gocdbxml.KEY.match(torch.primary_key)
    local_lfc = session.scalar(select(ServiceType).where(ServiceType.name == "Local-LFC"))
    assert local_lfc is not None
    assert local_lfc.description == ""
    scope = session.scalar(select(Scope).where(Scope.name == "Local"))
    assert scope is not None
    assert scope.reserved is False


def test_a_service_of_an_unknown_site_needs_roc_and_country(load: Importer) -> None:
    with pytest.raises(ValidationFailed) as caught:
        load(service_xml(site="NOWHERE", country=""))
    assert str(caught.value) == (
        "inline0.xml: <SERVICE_ENDPOINT> at line 1: site 'NOWHERE' is not in the registry, "
        "and ROC_NAME and COUNTRY_CODE are needed to create it"
    )


def test_a_downtime_needs_its_site(load: Importer) -> None:
    with pytest.raises(NotFound) as caught:
        load(f"{DOCS}/get_downtime.xml")
    assert str(caught.value).endswith(
        "get_downtime.xml: <DOWNTIME> at line 3: site 'Izola MRF' (HOSTED_BY) is not in the "
        "registry; import its get_site output first or together with this file"
    )


def test_a_downtime_takes_existing_services_and_creates_missing_ones(
    session: Session, load: Importer
) -> None:
    load(site_xml(), service_xml(id=5, endpoints={50: "main"}))
    endpoint = "<ENDPOINT><ID>{}</ID><NAME>{}</NAME><URL/><INTERFACENAME>CE</INTERFACENAME><ENDPOINT_MONITORED>N</ENDPOINT_MONITORED></ENDPOINT>"
    report = load(
        downtime_xml(
            affected(5, "ce.example.org", endpoint.format(50, "main"))
            + affected(6, "new.example.org", endpoint.format(60, "extra"))
        )
    )
    downtime = session.get(Downtime, 70)
    assert downtime is not None
    assert [(s.id, s.hostname) for s in downtime.services] == [
        (5, "ce.example.org"),
        (6, "new.example.org"),
    ]
    assert [(e.id, e.name, e.service_id) for e in downtime.endpoints] == [
        (50, "main", 5),
        (60, "extra", 6),
    ]
    # history as it is: an old, unscheduled, hour-long outage is kept as it was
    assert (downtime.classification, downtime.start_at.timestamp(), downtime.site.short_name) == (
        "UNSCHEDULED",
        1600000000,
        "S1",
    )
    assert report.lines() == [
        "services: 1 created, 0 updated, 0 unchanged",
        "downtimes: 1 created, 0 updated, 0 unchanged",
    ]


def test_a_key_taken_by_another_service_is_not_reused(session: Session, load: Importer) -> None:
    load(site_xml(), service_xml(id=5))
    report = load(downtime_xml(affected(5, "other.example.org")))
    downtime = session.get(Downtime, 70)
    assert downtime is not None
    (service,) = downtime.services
    assert (service.hostname, service.id > 5) == ("other.example.org", True)
    assert report.warnings == [
        f"inline0.xml: <DOWNTIME> at line 1: service 5G0 other.example.org (CE) at S1: that id "
        f"is another service's, so it is created as {service.id}G0"
    ]


def test_a_service_renamed_in_gocdb_keeps_its_key(session: Session, load: Importer) -> None:
    load(site_xml(), service_xml(id=5, host="ce.example.org"))
    report = load(service_xml(id=5, host="ce-new.example.org"))
    assert [(s.id, s.hostname) for s in session.scalars(select(Service))] == [
        (5, "ce-new.example.org")
    ]
    assert report.warnings == [
        "inline0.xml: <SERVICE_ENDPOINT> at line 1: service 5G0 ce-new.example.org (CE) at S1: "
        "5G0 was ce.example.org (CE) at S1; updated"
    ]


def test_what_a_document_says_replaces_scopes_extensions_and_endpoints(
    session: Session, load: Importer
) -> None:
    load(
        site_xml(),
        service_xml(
            endpoints={50: "a", 51: "b"},
            scopes=("EGI", "wlcg"),
            extensions={7: ("k1", "v1"), 8: ("k2", "v2")},
        ),
    )
    report = load(
        service_xml(endpoints={51: "b2", 52: "c"}, scopes=("EGI",), extensions={8: ("k2", "new")})
    )
    service = session.get(Service, 5)
    assert service is not None
    session.refresh(service)
    assert [(e.id, e.name) for e in service.endpoints] == [(51, "b2"), (52, "c")]
    assert session.get(Endpoint, 50) is None
    assert [s.name for s in service.scopes] == ["EGI"]
    assert [(p.id, p.key, p.value) for p in service.properties] == [(8, "k2", "new")]
    assert report.lines() == ["services: 0 created, 1 updated, 0 unchanged"]


def test_service_group_members_must_be_known_and_agree(session: Session, load: Importer) -> None:
    load(site_xml(), service_xml(id=5))
    group = """<results><SERVICE_GROUP ID="9" PRIMARY_KEY="9G0"><NAME>G</NAME><MONITORED>Y</MONITORED>
      <SERVICE_ENDPOINT PRIMARY_KEY="{key}G0"><HOSTNAME>{host}</HOSTNAME><SERVICE_TYPE>CE</SERVICE_TYPE>
      </SERVICE_ENDPOINT><SCOPES/><EXTENSIONS/></SERVICE_GROUP></results>"""
    with pytest.raises(NotFound, match=re.escape("service 6G0 (x.org, CE) is not in the registry")):
        load(group.format(key=6, host="x.org"))
    with pytest.raises(Conflict, match=re.escape("service 5G0 (x.org, CE) is ce.example.org (CE)")):
        load(group.format(key=5, host="x.org"))
    load(group.format(key=5, host="ce.example.org"))
    found = session.get(ServiceGroup, 9)
    assert found is not None
    assert [s.id for s in found.services] == [5]


def test_user_roles_are_replaced_and_a_pending_request_granted(
    session: Session, load: Importer, operator: Principal
) -> None:
    load(f"{DOCS}/get_site.xml", f"{DOCS}/get_ngi.xml")
    user = User(id=8, subject="/C=00/O=00000/OU=000000/CN=Gwei Jai")
    user.roles = [
        Role(role_type=RoleType.SITE_ADMINISTRATOR, entity_type=EntityType.SITE, entity_id=14,
             status=RoleStatus.GRANTED),
        Role(role_type=RoleType.COD_STAFF, entity_type=EntityType.PROJECT, entity_id=1,
             status=RoleStatus.PENDING),
    ]  # fmt: skip
    session.add_all([Project(id=1, name="EGI"), user])
    session.flush()
    report = load(f"{DOCS}/get_user.xml")
    session.refresh(user)
    assert sorted((r.role_type, r.status, r.decided_by) for r in user.roles) == [
        ("COD Staff", RoleStatus.GRANTED, operator.subject),
        ("Regional Staff (ROD)", RoleStatus.GRANTED, operator.subject),
        ("Site Operations Deputy Manager", RoleStatus.GRANTED, operator.subject),
    ]
    assert report.lines() == ["users: 0 created, 1 updated, 0 unchanged"]


def test_a_user_needs_a_known_home_site(load: Importer) -> None:
    with pytest.raises(
        NotFound, match=re.escape("site 'Izola MRF' (HOMESITE) is not in the registry")
    ):
        load(f"{DOCS}/get_user.xml")


def test_a_changed_certification_status_is_taken_and_logged(
    session: Session, load: Importer, operator: Principal
) -> None:
    load(site_xml(status="Certified"))
    # Certified -> Candidate is not on GOCDB's graph for anyone but admins: history as it is
    load(site_xml(status="Candidate"))
    site = session.get(Site, 1)
    assert site is not None
    assert site.certification_status == "Candidate"
    change = session.scalar(select(CertificationChange).where(CertificationChange.site_id == 1))
    assert change is not None
    assert (change.old_status, change.new_status, change.changed_by) == (
        "Certified",
        "Candidate",
        operator.subject,
    )
    assert change.reason == "imported from inline0.xml"


def test_an_entity_known_under_another_id_keeps_it(
    session: Session, load: Importer, shared_dir: Path
) -> None:
    load(f"{DOCS}/get_site.xml")  # creates NGI_SI from the site's ROC, under a new id
    ngi = session.scalar(select(Ngi).where(Ngi.name == "NGI_SI"))
    assert ngi is not None
    report = load(f"{DOCS}/get_ngi.xml")
    assert report.warnings == [
        f"{shared_dir / DOCS}/get_ngi.xml: <NGI> at line 3: NGI 3 ('NGI_SI') keeps the id "
        f"{ngi.id} it has in the registry"
    ]
    assert ngi.email == "ngi-si-contact@swing-grid.si"
    assert report.lines() == ["ngis: 0 created, 1 updated, 0 unchanged"]


def test_an_id_and_a_name_of_two_different_entities_conflict(load: Importer) -> None:
    load(site_xml(id=1, name="A"), site_xml(id=2, name="B"))
    with pytest.raises(Conflict) as caught:
        load(site_xml(id=1, name="B", pk="1G0"))
    assert str(caught.value) == (
        "inline0.xml: <SITE> at line 1: site 1 matches different registry entries: "
        "id 1 (short_name 'A', primary_key '1G0'); id 2 (short_name 'B', primary_key '2G0')"
    )


def test_values_must_fit_their_columns(load: Importer) -> None:
    with pytest.raises(ValidationFailed) as caught:
        load(site_xml(official="x" * 300))
    assert str(caught.value) == (
        "inline0.xml: <SITE> at line 1: official_name has 300 characters; at most 255 fit"
    )


def test_extension_values_must_fit_too(load: Importer) -> None:
    with pytest.raises(ValidationFailed) as caught:
        load(site_xml(), service_xml(extensions={7: ("k", "v" * 300)}))
    assert str(caught.value) == (
        "inline1.xml: <SERVICE_ENDPOINT> at line 1: value has 300 characters; at most 255 fit"
    )


def test_only_operators_import(session: Session, shared_dir: Path) -> None:
    member = make_actor(session, "member@fedcore.test").principal
    document = gocdbxml.parse_file(shared_dir / f"{DOCS}/get_site.xml")
    before = dump(session)
    with pytest.raises(Forbidden, match=re.escape("may not registry.import")):
        registry.import_documents(session=session, actor=member, documents=[document])
    assert dump(session) == before


def test_later_creations_get_ids_after_the_imported_ones(
    session: Session, load: Importer, operator: Principal
) -> None:
    load(*DOCS_SET)
    ngi = registry.create_ngi(session=session, actor=operator, data=NgiCreate(name="NGI_NEW"))
    service_type = registry.create_service_type(
        session=session, actor=operator, data=ServiceTypeCreate(name="New", description="d")
    )
    site = registry.create_site(
        session=session,
        actor=operator,
        data=SiteCreate(short_name="NEW", ngi="NGI_NEW", country_code="CH", scopes=["EGI"]),
    )
    service = registry.create_service(
        session=session,
        actor=operator,
        data=ServiceCreate(
            hostname="new.example.org",
            service_type="New",
            site="NEW",
            scopes=["EGI"],
            endpoints=[EndpointCreate(name="e", url="https://new.example.org")],
        ),
    )
    downtime = registry.create_downtime(
        session=session,
        actor=operator,
        data=DowntimeCreate(
            severity="OUTAGE",
            description="d",
            start=utcnow() + timedelta(days=2),
            end=utcnow() + timedelta(days=3),
            services=[service.id],
        ),
    )
    assert ngi.id > 3
    assert service_type.id > 1
    assert (site.id > 14, int(site.primary_key.removesuffix("G0")) > 119) == (True, True)
    assert service.id > 1
    assert service.endpoints[0].id > 1
    assert (downtime.id > 32578, int(downtime.primary_key.removesuffix("G0")) > 119) == (True, True)


def test_ids_that_cannot_be_kept_are_reallocated_and_found_again(
    session: Session, load: Importer, shared_dir: Path
) -> None:
    path = f"{shared_dir / ARGO}/sample-service_types_gocdb.xml"
    first = load(f"{ARGO}/sample-service_types_gocdb.xml")
    names = {t.name: t.id for t in session.scalars(select(ServiceType))}
    assert names == {
        "org.openstack.keystone": 803,
        "service.type.empty.desc": 924,
        "org.openstack.horizon": 923,
        "org.openstack.nova": 343,
        "SERVICE.TYPE.UPPERCASE": 925,
    }
    assert first.warnings == [
        f"{path}: <SERVICE_TYPE> at line 7: service type 'service.type.empty.desc': TYPE_ID "
        "'343G1' is not a GOCDB key of the form <n>G0, so it is created as 924G0",
        f"{path}: <SERVICE_TYPE> at line 19: service type 'SERVICE.TYPE.UPPERCASE': TYPE_ID "
        "'343G1' is not a GOCDB key of the form <n>G0, so it is created as 925G0",
    ]
    again = load(f"{ARGO}/sample-service_types_gocdb.xml")
    assert again.lines() == ["service types: 0 created, 0 updated, 5 unchanged"]
    assert again.warnings[0] == (
        f"{path}: <SERVICE_TYPE> at line 7: service type 'service.type.empty.desc': TYPE_ID "
        "'343G1' is not a GOCDB key of the form <n>G0; it is 924G0 in the registry"
    )


def test_an_id_another_entity_holds_is_reallocated(session: Session, load: Importer) -> None:
    types = (
        '<results><SERVICE_TYPE TYPE_ID="3G0"><SERVICE_TYPE_NAME>{}</SERVICE_TYPE_NAME>'
        "<SERVICE_TYPE_DESC>d</SERVICE_TYPE_DESC></SERVICE_TYPE></results>"
    )
    load(types.format("a"))
    report = load(types.format("b"))
    b = session.scalar(select(ServiceType).where(ServiceType.name == "b"))
    assert b is not None
    assert (b.id > 3, session.get(ServiceType, 3).name) == (True, "a")  # type: ignore[union-attr]
    assert report.warnings == [
        f"inline0.xml: <SERVICE_TYPE> at line 1: service type 'b': that id is another service "
        f"type's, so it is created as {b.id}G0"
    ]
    # within one file: the first keeps the id, the second is re-allocated
    pair = types.format("c").replace("</results>", "") + types.format("d").replace("<results>", "")
    load(pair.replace('"3G0"', '"7G0"'))
    assert session.scalar(select(ServiceType.id).where(ServiceType.name == "c")) == 7
    assert session.scalar(select(ServiceType.id).where(ServiceType.name == "d")) not in (None, 7)


def test_a_site_list_entry_keeps_a_known_sites_status(session: Session, load: Importer) -> None:
    load(site_xml(id=67, name="CNR-ILC-PISA", pk="284G0", status="Certified", ngi="NGI_IT"))
    report = load(f"{ARGO}/sample-sites_biomed.xml")
    known = session.get(Site, 67)
    new = session.get(Site, 101)
    assert known is not None
    assert new is not None
    assert (known.certification_status, known.country.code, known.giis_url[:13]) == (
        "Certified",
        "IT",
        "ldap://gridbd",
    )
    assert (new.primary_key, new.certification_status, new.infrastructure, new.ngi.name) == (
        "235G0",
        "Candidate",
        "Production",
        "NGI_FRANCE",
    )
    assert report.lines() == [
        "ngis: 1 created, 0 updated, 0 unchanged",
        "sites: 1 created, 1 updated, 0 unchanged",
    ]
    assert [w.split(": ", 2)[2] for w in report.warnings] == [
        "site 'AUVERGRID': get_site_list gives no CERTIFICATION_STATUS or "
        "PRODUCTION_INFRASTRUCTURE, so it is created as Candidate (Production), a new site's "
        "defaults"
    ]


def test_a_group_lists_one_key_with_two_hostnames(session: Session, load: Importer) -> None:
    notification = f"{ARGO}/sample-service_group_with_contacts_notification.xml"
    with pytest.raises(
        NotFound,
        match=re.escape(
            "service 23G0 (hostname1.ac.uk, eu.downloadmanager) is not in the registry"
        ),
    ):
        load(notification)
    load(
        site_xml(),
        service_xml(id=23, host="hostname1.ac.uk").replace(">CE<", ">eu.downloadmanager<"),
    )
    with pytest.raises(
        Conflict,
        match=re.escape(
            "service 23G0 (hostname2.ac.uk, eu.downloadmanager) is hostname1.ac.uk (eu.downloadmanager) in the registry"
        ),
    ):
        load(notification)
    load(service_xml(id=24, host="hostname2.ac.uk").replace(">CE<", ">eu.downloadmanager<"))
    report = load(notification)
    groups = {g.name: [s.id for s in g.services] for g in session.scalars(select(ServiceGroup))}
    assert groups == {"DOWNLOAD_MANAGER": [23], "CHEMISTRY_DOWNLOAD_MANAGER": [24]}
    assert report.warnings[-1].endswith(
        "<SERVICE_GROUP> at line 32: service 23G0 (hostname2.ac.uk, eu.downloadmanager) is "
        "24G0 in the registry"
    )
