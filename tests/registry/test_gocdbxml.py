"""Reading GOCDB PI XML into records: method detection, values, and errors that name the file,
the element, its line and the reason."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from fedcore.core.errors import ValidationFailed
from fedcore.registry import gocdbxml
from fedcore.registry.gocdbxml import (
    AffectedService,
    EndpointRecord,
    Extension,
    SiteRecord,
    parse_document,
)

DOCS = "samples/registry/gocdb-docs-examples"
ARGO = "samples/registry/argo-connectors-fixtures"


def parse(xml: str, name: str = "test.xml") -> gocdbxml.Document:
    return parse_document(xml.encode(), name)


def refused(xml: str) -> str:
    with pytest.raises(ValidationFailed) as caught:
        parse(xml)
    return str(caught.value)


@pytest.mark.parametrize(
    ("sample", "method", "count"),
    [
        (f"{DOCS}/get_ngi.xml", "get_ngi", 1),
        (f"{DOCS}/get_site.xml", "get_site", 1),
        (f"{DOCS}/get_service_types.xml", "get_service_types", 1),
        (f"{DOCS}/get_service.xml", "get_service_endpoint", 1),
        (f"{DOCS}/get_service_group.xml", "get_service_group", 1),
        (f"{DOCS}/get_downtime.xml", "get_downtime", 1),
        (f"{DOCS}/get_downtime_nested_services.xml", "get_downtime_nested_services", 1),
        (f"{DOCS}/get_user.xml", "get_user", 1),
        (f"{ARGO}/sample-site.xml", "get_site", 3),
        (f"{ARGO}/sample-topofeedpaging.xml", "get_site", 2),
        (f"{ARGO}/sample-service_endpoint.xml", "get_service_endpoint", 4),
        (f"{ARGO}/sample-service_endpoint_biomed.xml", "get_service_endpoint", 2),
        (f"{ARGO}/sample-gocdb_downtimes.xml", "get_downtime", 3),
    ],
)
def test_samples_are_recognised(shared_dir: Path, sample: str, method: str, count: int) -> None:
    document = gocdbxml.parse_file(shared_dir / sample)
    assert (document.method, len(document.records)) == (method, count)
    assert document.name == str(shared_dir / sample)


def test_site_values(shared_dir: Path) -> None:
    (site,) = gocdbxml.parse_file(shared_dir / f"{DOCS}/get_site.xml").records
    assert isinstance(site, SiteRecord)
    assert (site.id, site.primary_key, site.short_name) == (14, "119G0", "Izola MRF")
    assert (site.country_code, site.country, site.ngi) == ("SI", "Slovenia", "NGI_SI")
    assert (site.infrastructure, site.certification_status) == ("Test", "Certified")
    assert (site.latitude, site.longitude, site.notify) == (45.541431, 13.662742, False)
    assert (site.domain, site.ip_range, site.ipv6_range) == (
        "izolamrf.si",
        "0.0.0.0/255.255.255.255",
        "",
    )
    assert (site.scopes, site.extensions, site.alarm_email) == (("EGI",), (), "")
    assert site.source.line == 3


def test_service_values_endpoints_and_extensions(shared_dir: Path) -> None:
    records = gocdbxml.parse_file(shared_dir / f"{ARGO}/sample-service_endpoint.xml").records
    ral, aai = records[1], records[3]
    assert (ral.id, ral.hostname, ral.service_type, ral.site) == (
        782,
        "arc-ce01.gridpp.rl.ac.uk",
        "gLite-APEL",
        "RAL-LCG2",
    )
    assert (ral.production, ral.monitored, ral.notify, ral.beta) == (True, True, False, False)
    assert ral.extensions == (
        Extension(
            494, "InformationSystem", "https://www.gridpp.rl.ac.uk/RAL-LCG2/RAL-LCG2_CE.json"
        ),
    )
    assert (ral.description, ral.email) == (None, None)  # not rendered: "not given"
    assert aai.endpoints[0] == EndpointRecord(
        id=6879,
        name="OIDC provider configuration",
        url="https://aai.egi.eu/auth/realms/egi/.well-known/openid-configuration",
        interface_name="egi.aai.oidc.cfg",
        monitored=True,
        email=None,
        extensions=(),
    )


def test_downtime_dates_are_unix_seconds_in_utc(shared_dir: Path) -> None:
    (downtime,) = gocdbxml.parse_file(shared_dir / f"{DOCS}/get_downtime.xml").records
    assert (downtime.id, downtime.primary_key, downtime.classification) == (
        32578,
        "119G0",
        "SCHEDULED",
    )
    assert downtime.start_at == datetime(2022, 6, 27, tzinfo=UTC)
    assert downtime.end_at == datetime(2023, 7, 1, tzinfo=UTC)
    assert downtime.inserted_at == datetime.fromtimestamp(1656137042, UTC)
    assert downtime.services == (
        AffectedService(None, "izolamrf.co.si", "Site-BDII", "Izola MRF", ()),
    )


def test_nested_downtime_services_carry_their_keys(shared_dir: Path) -> None:
    (downtime,) = gocdbxml.parse_file(
        shared_dir / f"{DOCS}/get_downtime_nested_services.xml"
    ).records
    assert downtime.primary_key == "113653G0"
    assert [(s.id, s.hostname, s.service_type) for s in downtime.services] == [
        (119, "bdii.ipb.ac.rs", "Top-BDII"),
        (119, "voms.ipb.ac.rs", "VOMS"),
    ]


def test_user_roles_and_projects(shared_dir: Path) -> None:
    (user,) = gocdbxml.parse_file(shared_dir / f"{DOCS}/get_user.xml").records
    assert (user.id, user.subject, user.home_site) == (
        8,
        "/C=00/O=00000/OU=000000/CN=Gwei Jai",
        "Izola MRF",
    )
    assert [(r.role_type, r.entity_type, r.entity_name, r.entity_key) for r in user.roles] == [
        ("Site Operations Deputy Manager", "site", "Izola MRF", "119G0"),
        ("Regional Staff (ROD)", "ngi", "NGI_SI", "3"),
        ("COD Staff", "project", "EGI", "1"),
    ]
    assert user.roles[0].projects == ((1, "EGI"),)


DOWNTIME_ROW = """<DOWNTIME ID="{id}" PRIMARY_KEY="{pk}G0" CLASSIFICATION="UNSCHEDULED">
    <PRIMARY_KEY>{pk}G0</PRIMARY_KEY><HOSTNAME>{host}</HOSTNAME><SERVICE_TYPE>CE</SERVICE_TYPE>
    <HOSTED_BY>S1</HOSTED_BY><SEVERITY>{severity}</SEVERITY><DESCRIPTION>d</DESCRIPTION>
    <INSERT_DATE>100</INSERT_DATE><START_DATE>{start}</START_DATE><END_DATE>300</END_DATE>
    <FORMATED_START_DATE>1970-01-01 00:03</FORMATED_START_DATE>
  </DOWNTIME>"""


def downtime_row(
    id: int = 5, pk: int = 9, host: str = "a.example", severity: str = "OUTAGE", start: str = "200"
) -> str:
    return DOWNTIME_ROW.format(id=id, pk=pk, host=host, severity=severity, start=start)


def test_flat_downtime_rows_merge_into_one_record() -> None:
    document = parse(
        f"<results>{downtime_row()}{downtime_row(host='b.example')}{downtime_row(id=6, pk=10)}</results>"
    )
    first, second = document.records
    assert [s.hostname for s in first.services] == ["a.example", "b.example"]
    assert [s.hostname for s in second.services] == ["a.example"]


def test_flat_downtime_rows_must_agree() -> None:
    message = refused(
        f"<results>{downtime_row()}\n{downtime_row(host='b', severity='WARNING')}</results>"
    )
    assert message == (
        "test.xml: <DOWNTIME> at line 7: downtime 5 differs from its entry at line 1 in more "
        "than the affected service"
    )


def test_meta_block_of_paged_output_is_skipped(shared_dir: Path) -> None:
    document = gocdbxml.parse_file(shared_dir / f"{ARGO}/sample-topofeedpaging.xml")
    assert [r.short_name for r in document.records] == ["FZ-JUELICH", "IGME-GR"]


def test_empty_results_import_nothing() -> None:
    assert parse("<results><meta><count>0</count></meta></results>").records == ()


SITE = """<results>
  <SITE ID="{id}" PRIMARY_KEY="{pk}" NAME="S1">
    <ROC>NGI_X</ROC><COUNTRY_CODE>CH</COUNTRY_CODE>
    <PRODUCTION_INFRASTRUCTURE>Production</PRODUCTION_INFRASTRUCTURE>
    <CERTIFICATION_STATUS>{status}</CERTIFICATION_STATUS>
    <LATITUDE>{lat}</LATITUDE><NOTIFICATIONS>{notify}</NOTIFICATIONS>{extra}
    <SCOPES/><EXTENSIONS/>
  </SITE>
</results>"""


def site(
    id: str = "1",
    pk: str = "7G0",
    status: str = "Certified",
    lat: str = "1.5",
    notify: str = "TRUE",
    extra: str = "",
) -> str:
    return SITE.format(id=id, pk=pk, status=status, lat=lat, notify=notify, extra=extra)


def test_a_minimal_site_parses() -> None:
    (record,) = parse(site()).records
    assert (record.id, record.primary_key, record.notify, record.latitude) == (1, "7G0", True, 1.5)


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<results><SITE>", "test.xml: not well-formed XML: "),
        (
            "<sites/>",
            "test.xml: <sites> at line 1: the root element must be <results> (GOCDB PI output)",
        ),
        (
            '<!DOCTYPE results [<!ENTITY x SYSTEM "file:///etc/passwd">]><results>&x;</results>',
            "test.xml: a DOCTYPE is not allowed in a GOCDB PI document",
        ),
        (
            "<results>\n<error>Unsupported parameter: x</error></results>",
            "test.xml: <error> at line 2: the document is a PI error: Unsupported parameter: x",
        ),
        ("<results><ROC/></results>", "test.xml: <ROC> at line 1: not an importable record"),
        (
            "<results><NGI ID='1' NAME='A'><NAME>A</NAME></NGI><SITE/></results>",
            "test.xml: <SITE> at line 1: <SITE> mixed with <NGI> records",
        ),
        (
            site(id="2147483648"),
            "test.xml: <SITE> at line 2: ID: 2147483648 is larger than 2147483647",
        ),
        (
            f"<results>{downtime_row(start='99999999999999')}</results>",
            "test.xml: <DOWNTIME> at line 1: START_DATE: 99999999999999 is not a usable Unix time",
        ),
        (
            site(extra="<PRIMARY_KEY>8G0</PRIMARY_KEY>", pk="x"),
            "test.xml: <SITE> at line 2: PRIMARY_KEY '8G0' differs from the PRIMARY_KEY attribute 'x'",
        ),
        (
            site(status="Approved"),
            "test.xml: <SITE> at line 2: CERTIFICATION_STATUS: 'Approved' is not one of Candidate, Uncertified, Certified, Suspended, Closed",
        ),
        (site(lat="north"), "test.xml: <SITE> at line 2: LATITUDE: 'north' is not a number"),
        (site(lat="91"), "test.xml: <SITE> at line 2: LATITUDE: 91 is outside -90..90"),
        (
            site(notify="yes"),
            "test.xml: <SITE> at line 2: NOTIFICATIONS: 'yes' is not a flag (Y, N, TRUE, FALSE, True, False, true or false)",
        ),
        (
            site(extra="\n<PORTAL_URL/>"),
            "test.xml: <PORTAL_URL> at line 7: unexpected element inside <SITE>",
        ),
        (
            site(extra="<NOTIFY>Y</NOTIFY>"),
            "test.xml: <NOTIFICATIONS> at line 6: <NOTIFICATIONS> is given twice",
        ),
        (
            site(extra="<TIMEZONE>Mars/Olympus</TIMEZONE>"),
            "test.xml: <SITE> at line 2: TIMEZONE: 'Mars/Olympus' is not an IANA time zone name",
        ),
        (site(extra="<ROC>NGI_Y</ROC>"), "test.xml: <ROC> at line 6: <ROC> is given twice"),
        (
            site(extra="<TIER><X/></TIER>"),
            "test.xml: <TIER> at line 6: must hold text, not elements",
        ),
        (
            site().replace(
                "<EXTENSIONS/>",
                "<EXTENSIONS><EXTENSION><LOCAL_ID>1</LOCAL_ID><KEY>k</KEY></EXTENSION>"
                "<EXTENSION><LOCAL_ID>2</LOCAL_ID><KEY>k</KEY></EXTENSION></EXTENSIONS>",
            ),
            "test.xml: <EXTENSION> at line 7: KEY 'k' is given twice",
        ),
        (
            site().replace("<ROC>NGI_X</ROC>", ""),
            "test.xml: <SITE> at line 2: ROC is missing or empty",
        ),
        (
            site().replace('PRIMARY_KEY="7G0" ', ""),
            "test.xml: <SITE> at line 2: attribute PRIMARY_KEY is missing",
        ),
        (
            site(extra="<PRIMARY_KEY>8G0</PRIMARY_KEY>"),
            "test.xml: <SITE> at line 2: PRIMARY_KEY '8G0' differs from the PRIMARY_KEY attribute '7G0'",
        ),
        (
            '<results><SITE ID="1" PRIMARY_KEY="1G0" NAME="A" ROC="X" COUNTRY_CODE="CH" TIER="1"/></results>',
            "test.xml: <SITE> at line 1: unexpected attribute TIER of a get_site_list SITE",
        ),
        (
            '<results><SITE ID="x" PRIMARY_KEY="1G0" NAME="A" ROC="X" COUNTRY_CODE="CH"/></results>',
            "test.xml: <SITE> at line 1: ID: 'x' is not an integer id",
        ),
        (
            f"<results>{downtime_row(start='yesterday')}</results>",
            "test.xml: <DOWNTIME> at line 1: START_DATE: 'yesterday' is not a Unix time in seconds",
        ),
        (
            f"<results>{downtime_row(start='400')}</results>",
            "test.xml: <DOWNTIME> at line 1: END_DATE is before START_DATE",
        ),
        (
            f"<results>{downtime_row().replace('1970-01-01 00:03', '01/01/1970')}</results>",
            "test.xml: <DOWNTIME> at line 1: FORMATED_START_DATE: '01/01/1970' is not a date of the form YYYY-MM-DD HH:MM",
        ),
        (
            f"<results>{downtime_row().replace('UNSCHEDULED', 'PLANNED')}</results>",
            "test.xml: <DOWNTIME> at line 1: CLASSIFICATION: 'PLANNED' is not one of SCHEDULED, UNSCHEDULED",
        ),
        (
            f"<results>{downtime_row().replace('<HOSTED_BY>S1</HOSTED_BY>', '')}</results>",
            "test.xml: <DOWNTIME> at line 1: HOSTED_BY is missing or empty",
        ),
        (
            '<results><DOWNTIME ID="1" PRIMARY_KEY="1G0" CLASSIFICATION="SCHEDULED">'
            "<REMINDER_START_DOWNTIME/></DOWNTIME></results>",
            "test.xml: <DOWNTIME> at line 1: get_downtime_to_broadcast output is not imported; use get_downtime",
        ),
        (
            f"<results>{downtime_row()}<DOWNTIME ID='2' PRIMARY_KEY='2G0' CLASSIFICATION='SCHEDULED'><SERVICES/></DOWNTIME></results>",
            "test.xml: <DOWNTIME> at line 6: nested and non-nested downtimes mixed in one document",
        ),
        (
            '<results><SERVICE_TYPE TYPE_ID="3G0"><SERVICE_TYPE_NAME>a</SERVICE_TYPE_NAME></SERVICE_TYPE>\n'
            '<SERVICE_TYPE TYPE_ID="3G0"><SERVICE_TYPE_NAME>a</SERVICE_TYPE_NAME><SERVICE_TYPE_DESC>d</SERVICE_TYPE_DESC></SERVICE_TYPE></results>',
            "test.xml: <SERVICE_TYPE> at line 2: id 3 is given differently at test.xml: <SERVICE_TYPE> at line 1",
        ),
        (
            '<results><EGEE_USER ID="8G0"><CERTDN/></EGEE_USER></results>',
            "test.xml: <EGEE_USER> at line 1: the user has no identifier (CERTDN, EGICHECKIN or IRISIAM)",
        ),
        (
            '<results><EGEE_USER ID="8G0"><CERTDN>/CN=a</CERTDN><USER_ROLE><USER_ROLE>COD Staff</USER_ROLE>'
            "<ON_ENTITY>S1</ON_ENTITY><ENTITY_TYPE>site</ENTITY_TYPE></USER_ROLE></EGEE_USER></results>",
            "test.xml: <USER_ROLE> at line 1: a COD Staff role is not held over a site",
        ),
    ],
)
def test_bad_documents_say_where_and_why(xml: str, message: str) -> None:
    assert refused(xml).startswith(message)


def test_entities_are_not_expanded_even_without_a_doctype_check() -> None:
    # The parser itself never resolves entities nor fetches anything (defence in depth).
    parser = gocdbxml._PARSER
    root = etree.fromstring(
        b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]><r>&x;</r>', parser
    )
    assert root.text is None


def test_a_site_from_another_registry_is_read_with_warnings(shared_dir: Path) -> None:
    # EUDAT registry flavour: non-integer ID, hexadecimal key, DPMT_URL, "not set", no SCOPES.
    path = shared_dir / ARGO / "sample-sites_with_contacts.xml"
    document = gocdbxml.parse_file(path)
    infn = document.records[0]
    assert isinstance(infn, SiteRecord)
    assert (infn.id, infn.primary_key, infn.short_name) == (None, None, "INFN")
    assert infn.renumbered == (
        "ID 'infn' is not an integer id; PRIMARY_KEY '28aa65bd20e047cabb0d474427dadfc2' is not "
        "a GOCDB key of the form <n>G0"
    )
    assert (infn.telephone, infn.csirt_email, infn.email) == ("", "", "name1.surname1@ba.infn.it")
    assert (infn.timezone, infn.latitude, infn.notify, infn.scopes) == ("", None, None, None)
    assert infn.infrastructure == "DICE"
    assert infn.extensions == (Extension(None, "state", "internal"),)
    assert [w.removeprefix(f"{path}: ") for w in document.warnings] == [
        "<DPMT_URL> at line 7 (and 1 more): the EUDAT registry's link to its data-project tool "
        "is not stored; ignored",
        "<CONTACT_TEL> at line 11 (and 1 more): 'not set' read as empty",
        "<CSIRT_EMAIL> at line 20 (and 1 more): 'not set' read as empty",
        "<SITE> at line 3 (and 1 more): PRODUCTION_INFRASTRUCTURE 'DICE' is not one of "
        "Production, Test, SC, PPS; kept as it is",
        "<SITE> at line 3 (and 1 more): SCOPES is not given; the registry's scopes are left as "
        "they are",
    ]


@pytest.mark.parametrize(
    ("spelling", "value"),
    [
        ("Y", True),
        ("TRUE", True),
        ("True", True),
        ("true", True),
        ("N", False),
        ("False", False),
        ("", None),
    ],
)
def test_flags_in_every_spelling_argo_accepts(spelling: str, value: bool | None) -> None:
    (record,) = parse(site(notify=spelling)).records
    assert isinstance(record, SiteRecord)
    assert record.notify is value


def test_notify_is_read_as_notifications_and_ignored_in_groups(shared_dir: Path) -> None:
    (record,) = parse(
        site(notify="").replace("<NOTIFICATIONS></NOTIFICATIONS>", "<NOTIFY>Y</NOTIFY>")
    ).records
    assert isinstance(record, SiteRecord)
    assert record.notify is True
    path = shared_dir / ARGO / "sample-service_group_with_contacts_notification.xml"
    document = gocdbxml.parse_file(path)
    assert (
        f"{path}: <NOTIFY> at line 7 (and 1 more): a service group has no notification flag in fedcore; ignored"
        in document.warnings
    )
    first, second = document.records
    assert [(m.id, m.hostname) for m in (*first.members, *second.members)] == [
        (23, "hostname1.ac.uk"),
        (23, "hostname2.ac.uk"),
    ]


@pytest.mark.parametrize(
    ("sample", "records", "renumbered"),
    [
        (
            "sample-service_endpoint_with_contacts.xml",
            3,
            {25: "PRIMARY_KEY '19G1' is not a GOCDB key of the form <n>G0"},
        ),
        (
            "sample-service_types_gocdb.xml",
            5,
            {
                7: "TYPE_ID '343G1' is not a GOCDB key of the form <n>G0",
                19: "TYPE_ID '343G1' is not a GOCDB key of the form <n>G0",
            },
        ),
        (
            "sample-service_group_with_contacts.xml",
            2,
            {
                3: "PRIMARY_KEY 'dd097f7c14214b43866a549e788b026a' is not a GOCDB key of the form <n>G0",
                56: "PRIMARY_KEY 'aa91c86bcbce44a6abb6662d7f42e612' is not a GOCDB key of the form <n>G0",
            },
        ),
        ("sample-sites_biomed.xml", 2, {}),
    ],
)
def test_argo_fixtures_of_other_feeds_are_read_with_ids_to_renumber(
    shared_dir: Path, sample: str, records: int, renumbered: dict[int, str]
) -> None:
    document = gocdbxml.parse_file(shared_dir / ARGO / sample)
    assert len(document.records) == records
    assert {
        r.source.line: r.renumbered for r in document.records if getattr(r, "renumbered", "")
    } == renumbered
    for record in document.records:
        assert (record.id is None) == (record.source.line in renumbered)


def test_a_get_site_list_entry() -> None:
    document = parse(
        '<results><SITE ID="67" PRIMARY_KEY="284G0" NAME="CNR" COUNTRY="Italy" '
        'COUNTRY_CODE="IT" ROC="NGI_IT" SUBGRID="" GIIS_URL="ldap://x"/></results>'
    )
    assert document.method == "get_site_list"
    assert document.records == (
        gocdbxml.SiteListRecord(
            gocdbxml.Source("test.xml", "SITE", 1),
            67,
            "284G0",
            "CNR",
            "IT",
            "Italy",
            "NGI_IT",
            "",
            "ldap://x",
        ),
    )


def test_the_same_id_for_two_names_is_left_to_the_importer() -> None:
    types = (
        '<results><SERVICE_TYPE TYPE_ID="3G0"><SERVICE_TYPE_NAME>a</SERVICE_TYPE_NAME></SERVICE_TYPE>'
        '<SERVICE_TYPE TYPE_ID="3G0"><SERVICE_TYPE_NAME>b</SERVICE_TYPE_NAME></SERVICE_TYPE></results>'
    )
    assert [(r.id, r.name) for r in parse(types).records] == [(3, "a"), (3, "b")]


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match=f"^{tmp_path}/none.xml: cannot be read: "):
        gocdbxml.parse_file(tmp_path / "none.xml")


def test_check_documents_compares_ids_across_files() -> None:
    a = parse(site(), "a.xml")
    same = parse(site(), "b.xml")
    other = parse(site(status="Closed"), "c.xml")
    gocdbxml.check_documents([a, same])
    with pytest.raises(ValidationFailed) as caught:
        gocdbxml.check_documents([a, same, other])
    assert (
        str(caught.value)
        == "c.xml: <SITE> at line 2: id 1 is given differently at a.xml: <SITE> at line 2"
    )
