"""Publisher bindings: a subject (typically a service account's) allowed to publish a site's
records. The site is the registry's short name; its administrators and operators manage them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fedcore.accounting.models import Publisher
from fedcore.accounting.permissions import administers_site, permissions
from fedcore.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from fedcore.core.security import Principal
from fedcore.registry import service as registry_service

MAX_SUBJECT = 1000


def _require_manager(session: Session, actor: Principal, site: str) -> None:
    if not permissions.allows(
        "accounting.publisher.manage", session=session, actor=actor, target=site
    ):
        raise Forbidden(
            f"{actor.subject} may not manage the publishers of site {site}", field="site"
        )


def add_publisher(*, session: Session, actor: Principal, site: str, subject: str) -> Publisher:
    """Bind ``subject`` to publish for ``site``, which must exist in the registry."""
    subject = subject.strip()
    if not subject or len(subject) > MAX_SUBJECT:
        raise ValidationFailed(f"must be 1-{MAX_SUBJECT} characters", field="subject")
    registry_site = registry_service.get_site_by_name(session=session, short_name=site.strip())
    _require_manager(session, actor, registry_site.short_name)
    publisher = Publisher(site=registry_site.short_name, subject=subject, created_by=actor.subject)
    try:
        with session.begin_nested():
            session.add(publisher)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"{subject} already publishes for site {registry_site.short_name}", field="subject"
        ) from exc
    return publisher


def list_publishers(
    *, session: Session, actor: Principal, site: str | None = None
) -> list[Publisher]:
    """The bindings the actor may see, of one site or of all: operators see every binding, a
    site's administrators those of their sites."""
    statement = select(Publisher).order_by(Publisher.site, Publisher.subject)
    if site is not None:
        _require_manager(session, actor, site)
        return list(session.scalars(statement.where(Publisher.site == site)))
    rows = list(session.scalars(statement))
    if actor.is_admin:
        return rows
    managed = {
        name for name in {row.site for row in rows} if administers_site(session, actor, name)
    }
    return [row for row in rows if row.site in managed]


def remove_publisher(*, session: Session, actor: Principal, publisher_id: int) -> None:
    """Remove a binding; the subject's records stay, it just publishes no more."""
    publisher = session.get(Publisher, publisher_id)
    if publisher is None:
        raise NotFound(f"no publisher binding {publisher_id}", field="publisher_id")
    _require_manager(session, actor, publisher.site)
    session.delete(publisher)
    session.flush()
