"""``fedcore aai ...`` commands: signing keys, clients and service accounts, accounts, VOs,
groups and members.

Client commands run as the configured operator (``FEDCORE_ADMIN_SUBJECT``), so a client created
here is approved at once. Commands that create a client or a secret print the client as one JSON
object on the last line of standard output (the secret is shown only then); bad input ends the
command with one ``error:`` line on standard error and exit code 2, having changed nothing.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from fedcore.aai.enums import SHORT_GRANTS, ClientStatus
from fedcore.aai.models import Client
from fedcore.aai.schemas import ClientCreate, ClientRead, ClientUpdate, grant_choices
from fedcore.aai.schemas_vo import MembershipRead, VoCreate, VoRead
from fedcore.aai.service import (
    accounts,
    clients,
    enrolment,
    groups,
    housekeeping,
    keys,
    memberships,
    vos,
)
from fedcore.core.cli import cli_session, configured_operator, fail
from fedcore.core.config import Settings, get_settings
from fedcore.core.db import isoformat_z
from fedcore.core.security import Principal

app = typer.Typer(help="Federated AAI (OpenID provider).", no_args_is_help=True)
client_app = typer.Typer(help="OIDC clients and service accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="Signing keys of the OpenID provider.", no_args_is_help=True)
account_app = typer.Typer(help="Accounts of people.", no_args_is_help=True)
app.add_typer(client_app, name="client")
app.add_typer(keys_app, name="keys")
app.add_typer(account_app, name="account")
vo_app = typer.Typer(help="Virtual organisations (VOs).", no_args_is_help=True)
group_app = typer.Typer(help="Groups of a VO.", no_args_is_help=True)
member_app = typer.Typer(help="Members of a VO's groups.", no_args_is_help=True)
app.add_typer(vo_app, name="vo")
app.add_typer(group_app, name="group")
app.add_typer(member_app, name="member")

ClientId = Annotated[str, typer.Argument(metavar="CLIENT_ID", help="the client's client_id")]
Reason = Annotated[str, typer.Option(help="why; shown to the client's owner")]


def _operator(settings: Settings) -> Principal:
    return configured_operator(settings, "client commands run")


def client_document(client: Client, secret: str | None = None) -> dict[str, Any]:
    """The client as JSON (``ClientRead``), with the secret right after the id when given."""
    document = ClientRead.model_validate(client).model_dump(mode="json", exclude_none=True)
    if secret is None:
        return document
    return {"client_id": client.client_id, "client_secret": secret, **document}


def _table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        typer.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _time(value: datetime | None) -> str:
    return isoformat_z(value) if value else "-"


@client_app.command("create")
def client_create(
    name: Annotated[str, typer.Option(help="what people see on the consent screen")] = "",
    grant: Annotated[
        list[str] | None,
        typer.Option(help=f"a grant type, repeated for more: {grant_choices()}"),
    ] = None,
    public: Annotated[
        bool, typer.Option("--public", help="no secret (a command-line or browser app)")
    ] = False,
    redirect_uri: Annotated[
        list[str] | None, typer.Option(help="https, or http on a loopback host; repeatable")
    ] = None,
    post_logout_redirect_uri: Annotated[
        list[str] | None, typer.Option(help="where logout may return to; repeatable")
    ] = None,
    scope: Annotated[
        str | None, typer.Option(help='scopes the client may ask for, e.g. "openid profile"')
    ] = None,
    no_pkce: Annotated[
        bool, typer.Option("--no-pkce", help="do not require PKCE (confidential clients only)")
    ] = False,
    description: Annotated[str, typer.Option(help="what the client is")] = "",
    entitlements_in_token: Annotated[
        bool,
        typer.Option(
            "--entitlements-in-token",
            help="put the subject's entitlements in the access tokens when the scope asks for "
            "them (resource servers see them without asking userinfo)",
        ),
    ] = False,
) -> None:
    """Create an approved client; prints it as one JSON object on the last line, with the
    client_secret of a confidential client (shown only this once)."""
    settings = get_settings()
    operator = _operator(settings)
    fields: dict[str, Any] = {
        "name": name,
        "description": description,
        "public": public,
        "grant_types": grant or [],
        "pkce_required": not no_pkce,
        "redirect_uris": redirect_uri or [],
        "post_logout_redirect_uris": post_logout_redirect_uri or [],
        "entitlements_in_token": entitlements_in_token,
    }
    if scope is not None:
        fields["scopes"] = scope
    with cli_session(settings) as session:
        client, secret = clients.register_client(
            session=session, settings=settings, actor=operator, data=ClientCreate(**fields)
        )
        document = client_document(client, secret)
    typer.echo(json.dumps(document))


@client_app.command("update")
def client_update(
    client_id: ClientId,
    name: Annotated[str | None, typer.Option(help="a new name")] = None,
    description: Annotated[str | None, typer.Option(help="a new description")] = None,
    scope: Annotated[
        str | None, typer.Option(help='the scopes it may ask for, e.g. "openid profile"')
    ] = None,
    entitlements_in_token: Annotated[
        bool | None,
        typer.Option(
            "--entitlements-in-token/--no-entitlements-in-token",
            help="whether its access tokens carry the subject's entitlements when the scope "
            "asks for them",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Change a client; what is not given stays as it is. Prints the client as one JSON object
    on the last line."""
    settings = get_settings()
    operator = _operator(settings)
    changes: dict[str, Any] = {
        "name": name,
        "description": description,
        "scopes": scope,
        "entitlements_in_token": entitlements_in_token,
    }
    with cli_session(settings) as session:
        client = clients.update_client(
            session=session,
            settings=settings,
            actor=operator,
            client_id=client_id,
            data=ClientUpdate(**changes),
        )
        document = client_document(client)
    typer.echo(json.dumps(document))


@client_app.command("list")
def client_list(
    status: Annotated[
        str | None, typer.Option(help="only clients with this status: " + ", ".join(ClientStatus))
    ] = None,
) -> None:
    """Every client, pending first."""
    settings = get_settings()
    operator = _operator(settings)
    if status is not None and status not in ClientStatus.__members__.values():
        fail(f"status: {status!r} is not a client status; use {', '.join(ClientStatus)}")
    with cli_session(settings) as session:
        rows = [
            [
                c.client_id,
                c.status,
                "public" if c.public else "confidential",
                ",".join(SHORT_GRANTS.get(g, g) for g in c.grant_types),
                c.name,
                c.owner_subject,
            ]
            for c in clients.list_clients(
                session=session,
                actor=operator,
                status=ClientStatus(status) if status is not None else None,
            )
        ]
    _table(["CLIENT_ID", "STATUS", "TYPE", "GRANTS", "NAME", "OWNER"], rows)


@client_app.command("show")
def client_show(client_id: ClientId) -> None:
    """The client as JSON (never its secret)."""
    settings = get_settings()
    operator = _operator(settings)
    with cli_session(settings) as session:
        client = clients.show_client(session=session, actor=operator, client_id=client_id)
        document = client_document(client)
    typer.echo(json.dumps(document, indent=2))


def _decide(client_id: str, status: ClientStatus, reason: str) -> None:
    settings = get_settings()
    operator = _operator(settings)
    with cli_session(settings) as session:
        clients.decide_client(
            session=session, actor=operator, client_id=client_id, status=status, reason=reason
        )
    typer.echo(f"client {client_id} {status}")


@client_app.command("approve")
def client_approve(client_id: ClientId, reason: Reason = "") -> None:
    """Approve a pending, rejected or suspended client: it may use the provider."""
    _decide(client_id, ClientStatus.APPROVED, reason)


@client_app.command("reject")
def client_reject(client_id: ClientId, reason: Reason = "") -> None:
    """Reject a pending client."""
    _decide(client_id, ClientStatus.REJECTED, reason)


@client_app.command("suspend")
def client_suspend(client_id: ClientId, reason: Reason = "") -> None:
    """Suspend an approved client: its tokens' grants are revoked and it gets no new ones."""
    _decide(client_id, ClientStatus.SUSPENDED, reason)


@client_app.command("rotate-secret")
def client_rotate_secret(client_id: ClientId) -> None:
    """A new secret for a confidential client (the old one stops working); prints the client
    as one JSON object on the last line, with the new client_secret."""
    settings = get_settings()
    operator = _operator(settings)
    with cli_session(settings) as session:
        client, secret = clients.rotate_client_secret(
            session=session, actor=operator, client_id=client_id
        )
        document = client_document(client, secret)
    typer.echo(json.dumps(document))


@client_app.command("delete")
def client_delete(client_id: ClientId) -> None:
    """Delete a client, its consents and its grants."""
    settings = get_settings()
    operator = _operator(settings)
    with cli_session(settings) as session:
        clients.delete_client(session=session, actor=operator, client_id=client_id)
    typer.echo(f"client {client_id} deleted")


@client_app.command("entitlements")
def client_entitlements(
    client_id: ClientId,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="an entitlement URN, repeated for more; replaces the list"),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="remove every entitlement")] = False,
) -> None:
    """Show a service account's entitlements, or replace them (--set) or remove them (--clear);
    prints the entitlements it holds, one per line."""
    settings = get_settings()
    operator = _operator(settings)
    if set_ and clear:
        fail("entitlements: give --set or --clear, not both")
    with cli_session(settings) as session:
        if set_ or clear:
            client = clients.set_service_entitlements(
                session=session, actor=operator, client_id=client_id, entitlements=set_ or []
            )
        else:
            client = clients.show_client(session=session, actor=operator, client_id=client_id)
        held = list(client.entitlements)
    for entitlement in held:
        typer.echo(entitlement)


@keys_app.command("rotate")
def keys_rotate(
    alg: Annotated[
        str | None, typer.Option(help="RS256 or ES256; default: FEDCORE_SIGNING_ALG")
    ] = None,
) -> None:
    """Publish a new signing key; it signs after FEDCORE_KEY_PUBLISH_LEAD seconds, and the
    current key stays published until every token it signed has expired."""
    settings = get_settings()
    with cli_session(settings) as session:
        key = keys.rotate_keys(session=session, settings=settings, alg=alg)
        line = f"key {key.kid} ({key.alg}) published, signs from {isoformat_z(key.active_from)}"
    typer.echo(line)


@keys_app.command("list")
def keys_list() -> None:
    """Every signing key in the database, oldest first."""
    with cli_session() as session:
        rows = [
            [
                k.kid,
                k.alg,
                _time(k.created_at),
                _time(k.active_from),
                _time(k.retired_at),
                _time(k.expires_at),
            ]
            for k in keys.list_keys(session=session)
        ]
    _table(["KID", "ALG", "CREATED", "ACTIVE_FROM", "RETIRED_AT", "EXPIRES_AT"], rows)


@app.command("prune")
def prune() -> None:
    """Delete expired signing keys, tokens, codes, e-mail links and old sign-in sessions (run it
    daily); prints how many of each as JSON on the last line."""
    with cli_session() as session:
        counts = housekeeping.prune_expired(session=session)
    typer.echo(json.dumps(counts))


def _read_password(password_file: Path | None) -> str:
    """The password from the file, or from standard input (asked for twice on a terminal);
    one trailing line break is not part of it."""
    if password_file is not None:
        try:
            text = password_file.read_text()
        except (OSError, UnicodeError) as exc:
            fail(f"password_file: cannot read {str(password_file)!r} ({exc})")
    elif sys.stdin.isatty():
        text = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        text = sys.stdin.read()
    return text.removesuffix("\n").removesuffix("\r")


@account_app.command("create")
def account_create(
    email: Annotated[str, typer.Option(help="the sign-in address (counts as verified)")] = "",
    given_name: Annotated[str, typer.Option(help="the person's given name")] = "",
    family_name: Annotated[str, typer.Option(help="the person's family name")] = "",
    password_file: Annotated[
        Path | None,
        typer.Option(help="read the password from this file; default: standard input"),
    ] = None,
) -> None:
    """Create a local account with a verified address (the person accepts the acceptable-use
    policy at the first sign-in); prints it as one JSON object on the last line, with its
    voperson_id."""
    settings = get_settings()
    password = _read_password(password_file)
    with cli_session(settings) as session:
        account = accounts.sign_up(
            session=session,
            settings=settings,
            email=email,
            password=password,
            given_name=given_name,
            family_name=family_name,
            accept_aup=False,
            by_operator=True,
        )
        document = {
            "voperson_id": account.voperson_id,
            "email": account.email,
            "name": account.name,
            "email_verified": account.email_verified,
        }
    typer.echo(json.dumps(document))


GroupPath = Annotated[
    str, typer.Argument(metavar="VO[/PATH]", help="a VO name, or VO/GROUP/... for a subgroup")
]
Subject = Annotated[
    str, typer.Argument(metavar="SUBJECT", help="an account's or a service account's sub")
]


def _parse_time(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{field}: {value!r} is not an ISO 8601 time such as 2027-01-31T00:00:00Z")
    if parsed.tzinfo is None:
        fail(f"{field}: {value!r} has no time zone; end it with Z for UTC")
    return parsed


@vo_app.command("create")
def vo_create(
    name: Annotated[str, typer.Argument(metavar="NAME", help="DNS-style, e.g. vo.example.org")],
    manager: Annotated[
        str, typer.Option(help="the first VO manager: an account's or a service account's sub")
    ],
    description: Annotated[str, typer.Option(help="what the VO is for")] = "",
    discipline: Annotated[str, typer.Option(help="its scientific discipline")] = "",
    homepage: Annotated[str, typer.Option(help="its home page (http(s) URL)")] = "",
    aup_url: Annotated[str, typer.Option(help="its acceptable-use policy (http(s) URL)")] = "",
    contact: Annotated[
        list[str] | None, typer.Option(help="a contact e-mail address; repeatable")
    ] = None,
) -> None:
    """Create an active VO with its root group and first manager; prints it as one JSON object
    on the last line."""
    settings = get_settings()
    operator = _operator(settings)
    with cli_session(settings) as session:
        data = VoCreate(
            name=name,
            description=description,
            discipline=discipline,
            homepage=homepage,
            aup_url=aup_url,
            contacts=contact or [],
        )
        vo = vos.register_vo(session=session, actor=operator, data=data, manager=manager)
        document = {
            **VoRead.model_validate(vo).model_dump(mode="json"),
            "managers": vos.managers(session, vo),
        }
    typer.echo(json.dumps(document))


@vo_app.command("list")
def vo_list() -> None:
    """Every VO (also pending, suspended and deleted ones), by name."""
    with cli_session() as session:
        rows = [
            [vo.name, vo.status, ",".join(vos.managers(session, vo)), vo.description]
            for vo in vos.list_vos(session=session, include_hidden=True)
        ]
    _table(["NAME", "STATUS", "MANAGERS", "DESCRIPTION"], rows)


@group_app.command("create")
def group_create(
    path: Annotated[str, typer.Argument(metavar="VO/PATH", help="e.g. vo.example.org/cloud")],
    description: Annotated[str, typer.Option(help="what the group is for")] = "",
) -> None:
    """Create a subgroup (its parent must exist) with the role member."""
    settings = get_settings()
    operator = _operator(settings)
    with cli_session(settings) as session:
        group = groups.create_group(
            session=session, actor=operator, path=path, description=description
        )
        created = group.path
    typer.echo(f"group {created} created")


@group_app.command("role-add")
def group_role_add(
    path: GroupPath,
    role: Annotated[str, typer.Argument(metavar="ROLE", help="e.g. vm_operator")],
    description: Annotated[str, typer.Option(help="what the role allows")] = "",
) -> None:
    """Define a role in a VO's root group or a subgroup (every group has member)."""
    settings = get_settings()
    operator = _operator(settings)
    with cli_session(settings) as session:
        group = groups.get_group(session=session, path=path)
        groups.add_role(
            session=session, actor=operator, group=group, name=role, description=description
        )
        where = group.path
    typer.echo(f"role {role} defined in {where}")


@member_app.command("add")
def member_add(
    path: GroupPath,
    subject: Subject,
    role: Annotated[
        list[str] | None, typer.Option(help="a role of the group, repeatable; default: member")
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option(help="ISO 8601 expiry; a VO membership: at most 365 days, the default"),
    ] = None,
    reason: Annotated[str, typer.Option(help="why; kept in the audit log")] = "",
) -> None:
    """Add a member to a VO or to a subgroup (they must be a member of its parent); prints the
    membership as one JSON object on the last line."""
    settings = get_settings()
    operator = _operator(settings)
    expires_at = _parse_time(expires, "expires")
    with cli_session(settings) as session:
        group = groups.get_group(session=session, path=path)
        membership = memberships.add_member(
            session=session,
            actor=operator,
            group=group,
            subject=subject,
            roles=role or [groups.DEFAULT_ROLE],
            expires_at=expires_at,
            reason=reason,
        )
        document = {
            "group": group.path,
            **MembershipRead.model_validate(membership).model_dump(mode="json"),
        }
    typer.echo(json.dumps(document))


@member_app.command("remove")
def member_remove(
    path: GroupPath,
    subject: Subject,
    reason: Annotated[str, typer.Option(help="why; kept in the audit log")] = "",
) -> None:
    """Remove a member from a VO or subgroup and every group below it."""
    settings = get_settings()
    operator = _operator(settings)
    with cli_session(settings) as session:
        group = groups.get_group(session=session, path=path)
        memberships.remove_member(
            session=session, actor=operator, group=group, subject=subject, reason=reason
        )
        removed = group.path
    typer.echo(f"{subject} removed from {removed}")


@member_app.command("remind")
def member_remind(
    days: Annotated[
        int, typer.Option(min=1, help="remind of memberships that expire within this many days")
    ] = enrolment.REMINDER_DAYS,
) -> None:
    """E-mail every person whose membership expires soon and who was not reminded of it yet
    (run it daily); prints how many as JSON."""
    settings = get_settings()
    with cli_session(settings) as session:
        sent = enrolment.send_expiry_reminders(session=session, settings=settings, days=days)
    typer.echo(json.dumps({"reminded": sent}))


@member_app.command("expire")
def member_expire() -> None:
    """Mark memberships past their expiry ``expired``, with an audit event by ``system`` (run it
    daily); prints how many as JSON."""
    with cli_session() as session:
        expired = enrolment.expire_memberships(session=session)
    typer.echo(json.dumps({"expired": expired}))
