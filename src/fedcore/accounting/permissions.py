"""Who may do what in accounting (actions ``accounting.<entity>.<verb>``).

Operators (``Principal.is_admin``) pass every check. Besides them:

* ``accounting.message.publish`` (target: a site's short name): the host DN of one of the
  site's registry services whose type is an accounting service type
  (``FEDCORE_ACCOUNTING_SERVICE_TYPES``), as APEL's list of valid DNs from GOCDB, and every
  subject bound to the site in ``accounting_publisher``.
* ``accounting.publisher.manage`` (target: a site's short name): whoever administers the site
  in the registry (site roles over it, NGI roles over its NGI).
* ``accounting.report.read_users`` (target: :class:`UserRows`): per-user rows are personal
  data, shown to the site's administrators for the site's rows and to a VO's managers for the
  VO's rows. A user's own rows are the reports' concern: they need the user's DNs.
* ``accounting.sync.read`` (target: a site's short name): the site's sync status, for whoever
  administers the site in the registry.
* ``accounting.message.read`` (target: a site's short name): the messages whose records of the
  site are stored, whoever published them, for whoever administers the site in the registry.
* ``accounting.summaries.rebuild`` and ``accounting.data_quality.read``: operators only.

Anybody, anonymous callers included, reads aggregate reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from fedcore.aai.service import vos
from fedcore.accounting.models import Publisher
from fedcore.core.config import Settings, get_settings
from fedcore.core.errors import NotFound
from fedcore.core.security import PermissionTable, Principal
from fedcore.registry import service as registry_service

permissions = PermissionTable("accounting")


@dataclass(frozen=True, slots=True)
class UserRows:
    """The per-user rows a report asks for: those of one site, or of one VO."""

    site: str | None = None
    vo: str | None = None


def accounting_service_types(settings: Settings) -> frozenset[str]:
    """The registry service types whose host DN publishes a site's records."""
    return frozenset(
        name.strip() for name in settings.accounting_service_types.split(",") if name.strip()
    )


def publishes_for(*, session: Session, settings: Settings, subject: str, site: str) -> bool:
    """Whether ``subject``, not being an operator, may publish ``site``'s records."""
    host_dn_sites = registry_service.host_dn_sites(
        session=session, host_dn=subject, service_types=accounting_service_types(settings)
    )
    if site in host_dn_sites:
        return True
    bound = exists().where(Publisher.site == site, Publisher.subject == subject)
    return bool(session.scalar(select(bound)))


def administers_site(session: Session, actor: Principal, site: str) -> bool:
    """Whether ``actor`` administers the registry site named ``site`` (False if unknown)."""
    try:
        found = registry_service.get_site_by_name(session=session, short_name=site)
    except NotFound:
        return False
    return registry_service.can_edit_site(session=session, actor=actor, site=found)


def _manages_vo(session: Session, actor: Principal, name: str) -> bool:
    try:
        vo = vos.get_vo(session=session, name=name)
    except NotFound:
        return False
    return actor.subject in vos.managers(session, vo)


def _publisher(session: Session, actor: Principal, site: str) -> bool:
    return publishes_for(session=session, settings=get_settings(), subject=actor.subject, site=site)


def _operators(_session: Session, _actor: Principal, _target: Any) -> bool:
    return False  # operators pass before any rule (PermissionTable.allows)


def _user_rows(session: Session, actor: Principal, rows: UserRows) -> bool:
    return (rows.site is not None and administers_site(session, actor, rows.site)) or (
        rows.vo is not None and _manages_vo(session, actor, rows.vo)
    )


permissions.rule("accounting.message.publish")(_publisher)
permissions.rule("accounting.publisher.manage", "accounting.sync.read", "accounting.message.read")(
    administers_site
)
permissions.rule("accounting.report.read_users")(_user_rows)
permissions.rule("accounting.summaries.rebuild", "accounting.data_quality.read")(_operators)
