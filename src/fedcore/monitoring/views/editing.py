"""Editing pages of monitoring: profiles (``/monitoring/profiles/``) and report definitions
(``/monitoring/reports/``), each a list of documents versioned by date with the forms that add
one. Anyone reads them; operators write, through the same service functions as the REST API.

A form's change runs in a savepoint (:meth:`fedcore.core.forms.Post.submit`): bad input (JSON that does not parse, a
document the engine refuses) comes back as the page again, answered 422 with the message next
to the field and nothing stored; a change that went through redirects (post/redirect/get).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from fedcore.core.db import utcnow
from fedcore.core.deps import CurrentPrincipal, DbSession
from fedcore.core.errors import NotFound, ValidationFailed
from fedcore.core.forms import Errors, Post, Posted, Rename
from fedcore.core.security import Principal
from fedcore.core.templating import render
from fedcore.monitoring import service
from fedcore.monitoring.enums import ProfileKind
from fedcore.monitoring.models import Profile, Report
from fedcore.monitoring.permissions import permissions
from fedcore.monitoring.schemas import (
    ProfileCreate,
    ProfileUpdate,
    ReportCreate,
    ReportUpdate,
    Targets,
)
from fedcore.monitoring.service.profiles import version_at
from fedcore.monitoring.service.reports import ENDPOINT_GROUP_TYPES
from fedcore.monitoring.states import load_operations_profile

router = APIRouter()

FIRST_SEGMENT = re.compile(r"[^.\[]+")
DEFAULT_TOPOLOGY = {"group": {"type": "NGI", "group": {"type": "SITES"}}}


# --- forms ----------------------------------------------------------------------------------


def form_field(fields: Rename = str) -> Rename:
    """The form field showing a service's field: the one ``fields`` names for it, else its
    first segment, e.g. ``document`` for ``document.operations[0]`` (the rest of the place
    then leads the message, see :func:`fedcore.core.forms.attempt`)."""

    def name(field: str) -> str:
        renamed = fields(field)
        if renamed != field:
            return renamed
        match = FIRST_SEGMENT.match(field)
        return match.group(0) if match else "form"

    return name


def parse_json(text: str, field: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"not JSON: {exc}", field=field) from None


def pretty(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)


def may_write(session: Session, principal: Principal, action: str) -> bool:
    return permissions.allows(action, session=session, actor=principal)


# --- profiles -------------------------------------------------------------------------------


def profile_path(kind: str, name: str) -> str:
    return f"/monitoring/profiles/{quote(kind)}/{quote(name)}"


def _kind(kind: str) -> ProfileKind:
    if kind not in ProfileKind.__members__.values():
        raise NotFound(
            f"unknown profile kind {kind!r} (known: {', '.join(ProfileKind)})", field="kind"
        )
    return ProfileKind(kind)


def document_values(post: Post, *names: str) -> dict[str, str]:
    """The form's fields, ``document`` being the uploaded file's text when one was chosen."""
    values = post.texts(*names, "document")
    values["document"] = post.upload("document_file") or values["document"]
    return values


def parse_document(text: str) -> dict[str, Any]:
    if not text:
        raise ValidationFailed("paste the profile's JSON or choose a file", field="document")
    document = parse_json(text, "document")
    if not isinstance(document, dict):
        raise ValidationFailed("expected a JSON object", field="document")
    return document


def _render_profiles(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "monitoring/profiles.html",
        status_code=status_code,
        kinds={kind: service.list_profiles(session=session, kind=kind) for kind in ProfileKind},
        kind_choices=[(kind.value, kind.value) for kind in ProfileKind],
        today=utcnow().date(),
        version_at=version_at,
        profile_path=profile_path,
        may_write=may_write(session, principal, "monitoring.profile.write"),
        values=values or {"valid_from": utcnow().date().isoformat()},
        errors=errors or {},
    )


@router.get("/profiles/")
def profile_list(request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    return _render_profiles(request, session, principal)


@router.post("/profiles/")
def profile_create(post: Posted) -> Response:
    values = document_values(post, "kind", "name", "valid_from")

    def change() -> Profile:
        if values["kind"] not in ProfileKind.__members__.values():
            raise ValidationFailed("choose the kind of profile", field="kind")
        kind = ProfileKind(values["kind"])
        data = ProfileCreate(
            name=values["name"],
            valid_from=values["valid_from"],
            document=parse_document(values["document"]),
        )
        return service.create_profile(
            session=post.session, actor=post.principal, kind=kind, data=data
        )

    return post.submit(
        change,
        again=partial(_render_profiles, post.request, post.session, post.principal, values=values),
        done=lambda p: (f"The {p.kind} profile {p.name} is created.", profile_path(p.kind, p.name)),
        fields=form_field(),
    )


@dataclass(frozen=True)
class TruthTableView:
    name: str
    states: tuple[str, ...]
    rows: list[list[str]]


def truth_tables(document: dict[str, Any]) -> list[TruthTableView]:
    """Each operation of a stored operations profile as a table of states by states."""
    loaded = load_operations_profile(document)
    return [
        TruthTableView(
            name, loaded.states, [[table(a, b) for b in loaded.states] for a in loaded.states]
        )
        for name, table in loaded.operations.items()
    ]


def _render_profile(
    request: Request,
    session: Session,
    principal: Principal,
    kind: str,
    name: str,
    shown: date | None = None,
    *,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    profile = service.get_profile(session=session, kind=_kind(kind), name=name)
    today = utcnow().date()
    current = version_at(profile.versions, today) or profile.versions[0]
    version = current
    if shown is not None:
        matching = [v for v in profile.versions if v.valid_from == shown]
        if not matching:
            raise NotFound(f"{kind} profile {name!r} has no version from {shown}", field="version")
        version = matching[0]
    return render(
        request,
        "monitoring/profile.html",
        status_code=status_code,
        profile=profile,
        version=version,
        current=current,
        document=pretty(version.document),
        tables=truth_tables(version.document) if profile.kind == ProfileKind.OPERATIONS else [],
        path=profile_path(profile.kind, profile.name),
        may_write=may_write(session, principal, "monitoring.profile.write"),
        values=values or {"valid_from": today.isoformat(), "document": pretty(current.document)},
        errors=errors or {},
    )


@router.get("/profiles/{kind}/{name}")
def profile_page(
    request: Request,
    kind: str,
    name: str,
    session: DbSession,
    principal: CurrentPrincipal,
    version: date | None = None,
) -> Response:
    return _render_profile(request, session, principal, kind, name, version)


@router.post("/profiles/{kind}/{name}/versions")
def profile_add_version(post: Posted, kind: str, name: str) -> Response:
    values = document_values(post, "valid_from")

    def change() -> Profile:
        data = ProfileUpdate(
            valid_from=values["valid_from"], document=parse_document(values["document"])
        )
        return service.update_profile(
            session=post.session, actor=post.principal, kind=_kind(kind), name=name, data=data
        )

    return post.submit(
        change,
        again=partial(
            _render_profile, post.request, post.session, post.principal, kind, name, values=values
        ),
        done=lambda p: (
            f"The version of {p.name} from {values['valid_from']} is stored.",
            f"{profile_path(p.kind, p.name)}?version={values['valid_from']}",
        ),
        fields=form_field(),
    )


# --- report definitions ---------------------------------------------------------------------

REPORT_FIELDS = (
    "valid_from",
    "description",
    "topology_schema",
    "filter_tags",
    *(f"profile_{kind}" for kind in ProfileKind),
    "availability",
    "reliability",
    "weights",
    "service_group_supergroup",
    "disabled",
)


def report_path(name: str) -> str:
    return f"/monitoring/reports/{quote(name)}/versions"


def report_values(document: dict[str, Any], valid_from: date) -> dict[str, str]:
    """A report version's document as the form shows it."""
    named = service.profile_names(document)
    weights = document.get("weights") or {}
    return {
        "valid_from": valid_from.isoformat(),
        "description": document.get("description", ""),
        "topology_schema": pretty(document["topology_schema"]),
        "filter_tags": pretty(document.get("filter_tags", [])),
        **{f"profile_{kind}": named.get(kind, "") for kind in ProfileKind},
        "availability": f"{document['thresholds']['availability']:g}",
        "reliability": f"{document['thresholds']['reliability']:g}",
        "weights": weights.get("property", ""),
        "service_group_supergroup": document.get("service_group_supergroup", ""),
        "disabled": "on" if document.get("disabled") else "",
    }


@dataclass(frozen=True)
class ReportForm:
    """What a report form sends, as the service's fields; ``fields`` renames the service's
    field names (``profiles[1]`` is the second profile chosen) to the form's."""

    post: Post
    values: dict[str, str]

    @property
    def kinds(self) -> list[ProfileKind]:
        return [kind for kind in ProfileKind if self.values[f"profile_{kind}"]]

    def fields(self, field: str) -> str:
        match = re.match(r"profiles\[(\d+)\]", field)
        if match and int(match.group(1)) < len(self.kinds):
            return f"profile_{self.kinds[int(match.group(1))]}"
        return field

    def data(self, targets: dict[str, Any]) -> dict[str, Any]:
        values = self.values
        return {
            "valid_from": values["valid_from"],
            "description": values["description"],
            "topology_schema": parse_json(values["topology_schema"] or "null", "topology_schema"),
            "filter_tags": parse_json(values["filter_tags"] or "[]", "filter_tags"),
            "profiles": [{"type": kind, "name": values[f"profile_{kind}"]} for kind in self.kinds],
            "thresholds": Targets.model_validate(
                {
                    **targets,
                    "availability": values["availability"],
                    "reliability": values["reliability"],
                }
            ),
            "weights": {"property": values["weights"]} if values["weights"] else None,
            "service_group_supergroup": values["service_group_supergroup"],
            "disabled": values["disabled"] == "on",
        }


def report_form(post: Post, *names: str) -> ReportForm:
    return ReportForm(post, post.texts(*names, *REPORT_FIELDS))


def _profile_choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    return {
        kind: [(p.name, p.name) for p in service.list_profiles(session=session, kind=kind)]
        for kind in ProfileKind
    }


def _report_context(session: Session, principal: Principal) -> dict[str, Any]:
    return {
        "profile_choices": _profile_choices(session),
        "group_types": ENDPOINT_GROUP_TYPES,
        "may_write": may_write(session, principal, "monitoring.report.write"),
        "report_path": report_path,
        "version_at": version_at,
        "today": utcnow().date(),
    }


def _render_reports(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    defaults = {
        "valid_from": utcnow().date().isoformat(),
        "topology_schema": pretty(DEFAULT_TOPOLOGY),
        "filter_tags": "[]",
        "availability": "80",
        "reliability": "85",
    }
    return render(
        request,
        "monitoring/report_definitions.html",
        status_code=status_code,
        reports=service.list_reports(session=session),
        values=values or defaults,
        errors=errors or {},
        **_report_context(session, principal),
    )


@router.get("/reports/")
def report_definitions(
    request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    return _render_reports(request, session, principal)


@router.post("/reports/")
def report_create(post: Posted) -> Response:
    form = report_form(post, "name")

    def change() -> Report:
        data = ReportCreate.model_validate(
            {"name": form.values["name"], **form.data(Targets().model_dump())}
        )
        return service.create_report(session=post.session, actor=post.principal, data=data)

    return post.submit(
        change,
        again=partial(
            _render_reports, post.request, post.session, post.principal, values=form.values
        ),
        done=lambda r: (f"The report {r.name} is created.", report_path(r.name)),
        fields=form_field(form.fields),
    )


def _render_report(
    request: Request,
    session: Session,
    principal: Principal,
    name: str,
    *,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    report = service.get_report(session=session, name=name)
    today = utcnow().date()
    current = version_at(report.versions, today) or report.versions[0]
    return render(
        request,
        "monitoring/report_versions.html",
        status_code=status_code,
        report=report,
        current=current,
        versions=[(v, pretty(v.document)) for v in reversed(report.versions)],
        values=values or report_values(current.document, today),
        errors=errors or {},
        **_report_context(session, principal),
    )


@router.get("/reports/{report}/versions")
def report_versions(
    request: Request, report: str, session: DbSession, principal: CurrentPrincipal
) -> Response:
    return _render_report(request, session, principal, report)


@router.post("/reports/{report}/versions")
def report_add_version(post: Posted, report: str) -> Response:
    form = report_form(post)

    def change() -> Report:
        valid_from = ReportUpdate(valid_from=form.values["valid_from"]).valid_from
        before = service.report_on(session=post.session, name=report, day=valid_from)
        data = ReportUpdate.model_validate(form.data(before.version.document["thresholds"]))
        return service.update_report(
            session=post.session, actor=post.principal, name=report, data=data
        )

    return post.submit(
        change,
        again=partial(
            _render_report, post.request, post.session, post.principal, report, values=form.values
        ),
        done=lambda r: (
            f"The version of {r.name} from {form.values['valid_from']} is stored.",
            report_path(r.name),
        ),
        fields=form_field(form.fields),
    )
