"""Who may publish a site's accounting records, the signer's sites, and publisher bindings."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from fedcore.aai.schemas_vo import VoCreate
from fedcore.aai.service import vos
from fedcore.accounting.permissions import UserRows, permissions
from fedcore.accounting.service.authorisation import may_publish, sites_for_signer
from fedcore.accounting.service.publishers import (
    add_publisher,
    list_publishers,
    remove_publisher,
)
from fedcore.core.config import Settings
from fedcore.core.errors import Conflict, FedcoreError, Forbidden, NotFound, ValidationFailed
from fedcore.registry import service as registry
from fedcore.registry.schemas import ServiceCreate
from tests.registry.factories import ADMIN, Federation

APEL_DN = "/C=CH/O=Test/CN=apel.test.example"
BOUND = "apel-publisher@clients.fedcore.test"


def register_service(
    session: Session, federation: Federation, *, site: str, service_type: str, host_dn: str
) -> None:
    registry.create_service(
        session=session,
        actor=federation.operator.principal,
        data=ServiceCreate(
            hostname=f"{service_type.lower()}.{site.lower()}.example",
            service_type=service_type,
            site=site,
            scopes=["EGI"],
            host_dn=host_dn,
        ),
    )


def publishes(session: Session, settings: Settings, subject: str, site: str) -> bool:
    return may_publish(session=session, settings=settings, subject=subject, site=site)


def test_operators_publish_for_any_site_even_unknown(
    session: Session, settings: Settings, federation: Federation
) -> None:
    assert publishes(session, settings, ADMIN, "TEST-SITE")
    assert publishes(session, settings, ADMIN, "NOT-IN-THE-REGISTRY")
    assert not publishes(session, settings, federation.member.principal.subject, "TEST-SITE")


def test_host_dn_of_a_sites_accounting_service_publishes_for_that_site_only(
    session: Session, settings: Settings, federation: Federation
) -> None:
    register_service(
        session, federation, site="TEST-SITE", service_type="gLite-APEL", host_dn=APEL_DN
    )
    assert publishes(session, settings, APEL_DN, "TEST-SITE")
    assert not publishes(session, settings, APEL_DN, "OTHER-SITE")
    assert sites_for_signer(session, settings, APEL_DN) == {"TEST-SITE"}
    assert sites_for_signer(session, settings, "/C=CH/O=Test/CN=unknown.example") == set()


def test_a_dn_registered_at_two_sites_signs_for_both(
    session: Session, settings: Settings, federation: Federation
) -> None:
    for site in ("TEST-SITE", "OTHER-SITE"):
        register_service(session, federation, site=site, service_type="gLite-APEL", host_dn=APEL_DN)
    assert sites_for_signer(session, settings, APEL_DN) == {"TEST-SITE", "OTHER-SITE"}


def test_only_the_configured_service_types_publish(
    session: Session, settings: Settings, federation: Federation
) -> None:
    ce_dn = federation.service.host_dn  # a CREAM-CE of TEST-SITE
    assert not publishes(session, settings, ce_dn, "TEST-SITE")
    assert sites_for_signer(session, settings, ce_dn) == set()
    settings.accounting_service_types = " gLite-APEL , CREAM-CE ,"
    assert publishes(session, settings, ce_dn, "TEST-SITE")
    assert sites_for_signer(session, settings, ce_dn) == {"TEST-SITE"}


def test_a_bound_subject_publishes_for_its_site_until_removed(
    session: Session, settings: Settings, federation: Federation
) -> None:
    admin = federation.site_admin.principal
    binding = add_publisher(session=session, actor=admin, site=" TEST-SITE ", subject=BOUND)
    assert (binding.site, binding.subject, binding.created_by) == (
        "TEST-SITE",
        BOUND,
        admin.subject,
    )
    assert publishes(session, settings, BOUND, "TEST-SITE")
    assert not publishes(session, settings, BOUND, "OTHER-SITE")
    assert sites_for_signer(session, settings, BOUND) == set()  # signing needs the registry
    remove_publisher(session=session, actor=admin, publisher_id=binding.id)
    assert not publishes(session, settings, BOUND, "TEST-SITE")


@pytest.mark.parametrize("who", ["site_admin", "ngi_manager", "operator"])
def test_the_sites_administrators_and_operators_manage_its_publishers(
    session: Session, federation: Federation, who: str
) -> None:
    actor = getattr(federation, who).principal
    binding = add_publisher(session=session, actor=actor, site="TEST-SITE", subject=BOUND)
    assert list_publishers(session=session, actor=actor, site="TEST-SITE") == [binding]
    remove_publisher(session=session, actor=actor, publisher_id=binding.id)
    assert list_publishers(session=session, actor=actor, site="TEST-SITE") == []


def test_others_may_not_manage_a_sites_publishers(session: Session, federation: Federation) -> None:
    binding = add_publisher(
        session=session, actor=federation.operator.principal, site="OTHER-SITE", subject=BOUND
    )
    for actor in (federation.site_admin.principal, federation.member.principal):
        with pytest.raises(Forbidden) as refused:
            add_publisher(session=session, actor=actor, site="OTHER-SITE", subject="x@test")
        assert refused.value.field == "site"
        assert "OTHER-SITE" in refused.value.detail
        with pytest.raises(Forbidden):
            remove_publisher(session=session, actor=actor, publisher_id=binding.id)
        with pytest.raises(Forbidden):
            list_publishers(session=session, actor=actor, site="OTHER-SITE")


def test_listing_without_a_site_shows_the_bindings_of_the_sites_one_administers(
    session: Session, federation: Federation
) -> None:
    operator = federation.operator.principal
    mine = add_publisher(session=session, actor=operator, site="TEST-SITE", subject=BOUND)
    other = add_publisher(session=session, actor=operator, site="OTHER-SITE", subject=BOUND)
    assert list_publishers(session=session, actor=operator) == [other, mine]
    assert list_publishers(session=session, actor=federation.site_admin.principal) == [mine]
    assert list_publishers(session=session, actor=federation.member.principal) == []


@pytest.mark.parametrize(
    ("site", "subject", "error", "field"),
    [
        ("NO-SUCH-SITE", BOUND, NotFound, "site"),
        ("TEST-SITE", "   ", ValidationFailed, "subject"),
        ("TEST-SITE", "x" * 1001, ValidationFailed, "subject"),
    ],
)
def test_a_binding_needs_a_registry_site_and_a_subject(
    session: Session,
    federation: Federation,
    site: str,
    subject: str,
    error: type[FedcoreError],
    field: str,
) -> None:
    with pytest.raises(error) as refused:
        add_publisher(
            session=session, actor=federation.operator.principal, site=site, subject=subject
        )
    assert refused.value.field == field


def test_a_binding_is_made_once_and_removed_once(session: Session, federation: Federation) -> None:
    operator = federation.operator.principal
    binding = add_publisher(session=session, actor=operator, site="TEST-SITE", subject=BOUND)
    with pytest.raises(Conflict) as duplicate:
        add_publisher(session=session, actor=operator, site="TEST-SITE", subject=BOUND)
    assert duplicate.value.field == "subject"
    remove_publisher(session=session, actor=operator, publisher_id=binding.id)
    with pytest.raises(NotFound) as gone:
        remove_publisher(session=session, actor=operator, publisher_id=binding.id)
    assert gone.value.field == "publisher_id"


def test_per_user_rows_go_to_the_sites_administrators_and_the_vos_managers(
    session: Session, federation: Federation
) -> None:
    manager = federation.member.principal
    vos.register_vo(session=session, actor=manager, data=VoCreate(name="vo.test.example"))

    def reads(who: str, rows: UserRows) -> bool:
        actor = getattr(federation, who).principal
        return permissions.allows(
            "accounting.report.read_users", session=session, actor=actor, target=rows
        )

    assert reads("site_admin", UserRows(site="TEST-SITE"))
    assert not reads("site_admin", UserRows(site="OTHER-SITE"))
    assert not reads("site_admin", UserRows(site="NO-SUCH-SITE"))
    assert reads("member", UserRows(vo="vo.test.example"))
    assert not reads("member", UserRows(vo="no.such.vo"))
    assert not reads("member", UserRows(site="TEST-SITE"))
    assert not reads("site_admin", UserRows(vo="vo.test.example"))
    assert reads("operator", UserRows())
