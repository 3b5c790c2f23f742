"""The GOCDB v5 write API over HTTP, on both databases: every operation, every error code, the
credential check, and that a refused call changes nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from fedcore.registry import service as registry
from fedcore.registry.compat.gocdbpi_write import GocdbWriteRoute
from fedcore.registry.models import ApiCredential, Endpoint, Service, Site
from fedcore.registry.schemas import ApiCredentialCreate
from tests.registry.factories import Actor, Federation, make_actor

DOCS = "http://127.0.0.1:8000/docs/gocdbpi-write"


@pytest.fixture
def writer(session: Session, federation: Federation) -> Actor:
    """An API client registered as a write-enabled OIDC-subject credential of TEST-SITE."""
    actor = make_actor(session, "robot@test.example")
    registry.add_api_credential(
        session=session,
        actor=federation.operator.principal,
        site_id=federation.site.id,
        data=ApiCredentialCreate(
            kind="OIDC Subject", identifier=actor.principal.subject, allow_write=True
        ),
    )
    # A failing request rolls the session back; commit so that it rolls back to here.
    session.commit()
    return actor


class Api:
    def __init__(self, client: TestClient, actor: Actor | None) -> None:
        self.client = client
        self.actor = actor

    def __call__(
        self, method: str, path: str, body: Any = None, *, raw: str | None = None
    ) -> httpx2.Response:
        headers = self.actor.headers if self.actor else {}
        if raw is not None:
            content = raw.encode()
        elif body is not None:
            content = json.dumps(body).encode()
        else:
            content = b""
        return self.client.request(method, f"/gocdbpi/v5/{path}", content=content, headers=headers)


@pytest.fixture
def api(client: TestClient, writer: Actor) -> Api:
    return Api(client, writer)


def props(session: Session, owner: Site | Service | Endpoint) -> dict[str, str]:
    session.expire_all()
    return {p.key: p.value for p in owner.properties}


def error(response: httpx2.Response, code: int) -> str:
    assert response.status_code == code, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"Error"}
    assert body["Error"]["Code"] == code
    assert body["Error"]["API-Documentation"] == DOCS
    message: str = body["Error"]["Message"]
    return message


# --- extension properties ---------------------------------------------------------------------


def test_site_extension_properties_post_put_delete(
    api: Api, session: Session, federation: Federation
) -> None:
    site = federation.site
    path = f"site/{site.id}/ExtensionProperties"
    assert api("POST", path, {"VO": "atlas", "Tier": "2"}).status_code == 204
    assert props(session, site) == {"VO": "atlas", "Tier": "2"}
    assert "'Tier' exists already" in error(api("POST", path, {"New": "x", "Tier": "3"}), 409)
    assert props(session, site) == {"VO": "atlas", "Tier": "2"}
    assert api("PUT", path, {"Tier": "1", "Disk": "10"}).status_code == 204
    assert props(session, site) == {"VO": "atlas", "Tier": "1", "Disk": "10"}
    assert api("DELETE", path, {"Tier": "1", "Disk": ""}).status_code == 204
    assert props(session, site) == {"VO": "atlas"}
    assert api("DELETE", path).status_code == 204
    assert props(session, site) == {}


def test_delete_listed_keys_refuses_missing_or_different(
    api: Api, session: Session, federation: Federation
) -> None:
    path = f"site/{federation.site.id}/ExtensionProperties"
    api("POST", path, {"A": "1", "B": "2"})
    assert "'C'" in error(api("DELETE", path, {"A": "", "C": ""}), 404)
    assert "'B'" in error(api("DELETE", path, {"A": "1", "B": "3"}), 409)
    assert props(session, federation.site) == {"A": "1", "B": "2"}
    error(api("DELETE", path, {}), 400)


def test_key_in_url(api: Api, session: Session, federation: Federation) -> None:
    path = f"site/{federation.site.id}/ExtensionProperties/VO"
    assert api("POST", path, {"value": "atlas"}).status_code == 204
    error(api("POST", path, {"value": "cms"}), 409)
    assert api("PUT", path, {"value": "cms"}).status_code == 204
    assert props(session, federation.site) == {"VO": "cms"}
    error(api("DELETE", path, {"value": "atlas"}), 409)
    assert api("DELETE", path, {"value": "cms"}).status_code == 204
    error(api("DELETE", path), 404)
    api("PUT", path, {"value": "lhcb"})
    assert api("DELETE", path).status_code == 204
    assert props(session, federation.site) == {}
    assert "value" in error(api("PUT", path, {"VO": "x"}), 400)
    assert "value" in error(api("PUT", path), 400)


def test_documented_array_form_and_scalar_values(
    api: Api, session: Session, federation: Federation
) -> None:
    path = f"site/{federation.site.id}/ExtensionProperties"
    assert api("PUT", path, [{"isAwesome": True, "Volume": 11}]).status_code == 204
    assert api("PUT", f"{path}/Empty", [{"value": ""}]).status_code == 204
    assert props(session, federation.site) == {"isAwesome": "true", "Volume": "11", "Empty": ""}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("{not json", "not valid JSON"),
        ('[{"a": "1"}, {"b": "2"}]', "exactly one object"),
        ('"text"', "JSON object"),
        ('{"a": {"b": "c"}}', "nested"),
        ('{"bad;key": "x"}', "key"),
        ('{"ok": "quote\'s"}', "ok"),
        ('{"k": "' + "x" * 256 + '"}', "255"),
    ],
)
def test_bad_bodies_are_400_and_change_nothing(
    api: Api, session: Session, federation: Federation, raw: str, reason: str
) -> None:
    path = f"site/{federation.site.id}/ExtensionProperties"
    assert reason in error(api("PUT", path, raw=raw), 400)
    assert props(session, federation.site) == {}


def test_one_bad_property_rejects_the_whole_request(
    api: Api, session: Session, federation: Federation
) -> None:
    path = f"site/{federation.site.id}/ExtensionProperties"
    error(api("PUT", path, {"good": "1", "bad": "a;b"}), 400)
    assert props(session, federation.site) == {}


def test_property_limit(api: Api, session: Session, federation: Federation) -> None:
    path = f"site/{federation.site.id}/ExtensionProperties"
    assert "at most 20" in error(api("PUT", path, {f"k{i}": "v" for i in range(21)}), 400)
    assert props(session, federation.site) == {}


def test_service_and_endpoint_extension_properties(
    api: Api, session: Session, federation: Federation
) -> None:
    service, endpoint = federation.service, federation.endpoint
    assert api("POST", f"Service/{service.id}/ExtensionProperties", {"a": "1"}).status_code == 204
    assert (
        api("PUT", f"endpoint/{endpoint.id}/extensionproperties/b", {"value": "2"}).status_code
        == 204
    )
    assert props(session, service) == {"a": "1"}
    assert props(session, endpoint) == {"b": "2"}
    assert api("DELETE", f"ENDPOINT/{endpoint.id}/ExtensionProperties").status_code == 204
    assert props(session, endpoint) == {}


# --- service scalars --------------------------------------------------------------------------


def test_service_scalars_put_and_post(api: Api, session: Session, federation: Federation) -> None:
    service = federation.service
    base = f"service/{service.id}"
    assert api("PUT", f"{base}/description", {"value": "Compute element"}).status_code == 204
    assert api("POST", f"{base}/Host_IP_V6", {"value": "2001:db8::1"}).status_code == 204
    assert "set already" in error(api("POST", f"{base}/host_ip_v6", {"value": "::2"}), 409)
    assert api("PUT", f"{base}/HOST_IP_V6", {"value": "2001:db8::2"}).status_code == 204
    assert api("PUT", f"{base}/beta", {"value": True}).status_code == 204
    assert api("PUT", f"{base}/notify", {"value": "Y"}).status_code == 204
    assert api("PUT", f"{base}/hostname", {"value": "ce2.test.example"}).status_code == 204
    error(api("POST", f"{base}/hostname", {"value": "ce3.test.example"}), 409)
    session.expire_all()
    assert (service.description, service.host_ipv6, service.hostname) == (
        "Compute element",
        "2001:db8::2",
        "ce2.test.example",
    )
    assert service.beta
    assert service.notify


def test_service_scalar_refusals(api: Api, session: Session, federation: Federation) -> None:
    base = f"service/{federation.service.id}"
    assert "boolean" in error(api("POST", f"{base}/production", {"value": False}), 405)
    assert "cannot be deleted" in error(api("DELETE", f"{base}/description"), 405)
    assert error(api("PUT", f"{base}/hostname", {"value": "bad host!"}), 400).startswith("hostname")
    assert error(api("PUT", f"{base}/email", {"value": "nope"}), 400).startswith("email")
    error(api("PUT", f"{base}/beta", {"value": "perhaps"}), 400)
    error(api("PUT", f"{base}/url", {"value": None}), 400)
    error(api("PUT", f"{base}/url", {"value": "https://x.example", "extra": "1"}), 400)
    error(api("PUT", f"{base}/url/key", {"value": "https://x.example"}), 400)
    # EGI rule: a production CREAM-CE must stay monitored.
    assert "must be monitored" in error(api("PUT", f"{base}/monitored", {"value": False}), 409)
    session.expire_all()
    assert federation.service.monitored
    assert federation.service.hostname == "ce.test.example"


# --- endpoints of a service -------------------------------------------------------------------


def test_endpoint_post_put_delete(api: Api, session: Session, federation: Federation) -> None:
    service = federation.service
    path = f"Service/{service.id}/Endpoint"
    new = {"name": "gridftp", "url": "gsiftp://ce.test.example:2811", "interfaceName": "GridFTP"}
    assert api("POST", path, [new]).status_code == 204
    assert "already" in error(api("POST", path, new), 409)
    session.expire_all()
    created = next(e for e in service.endpoints if e.name == "gridftp")
    assert (created.interface_name, created.monitored) == ("GridFTP", service.monitored)

    assert api("PUT", path, {"name": "gridftp", "Description": "transfers"}).status_code == 204
    assert api("PUT", path, {"name": "xrootd", "url": "root://ce.test.example"}).status_code == 204
    session.expire_all()
    assert created.description == "transfers"
    xrootd = next(e for e in service.endpoints if e.name == "xrootd")
    assert xrootd.interface_name == "CREAM-CE"

    assert api("DELETE", f"{path}/{xrootd.id}").status_code == 204
    session.expire_all()
    assert sorted(e.name for e in service.endpoints) == ["ce-main", "gridftp"]


def test_endpoint_refusals(api: Api, session: Session, federation: Federation) -> None:
    path = f"Service/{federation.service.id}/Endpoint"
    assert "url" in error(api("POST", path, {"name": "no-url"}), 400)
    assert "url" in error(api("PUT", path, {"name": "no-url"}), 400)
    assert "name" in error(api("POST", path, {"url": "https://x.example"}), 400)
    assert "colour" in error(
        api("POST", path, {"name": "e", "url": "https://x", "colour": "1"}), 400
    )
    assert "EndpointID" in error(api("DELETE", path), 400)
    error(api("POST", f"{path}/5", {"name": "e", "url": "https://x.example"}), 400)
    error(api("DELETE", f"{path}/abc"), 400)
    other = federation.other_service
    session.add(Endpoint(name="other-ep", url="https://o.example", service=other))
    session.commit()
    other_id = other.endpoints[0].id
    assert "no endpoint" in error(api("DELETE", f"{path}/{other_id}"), 404)
    session.expire_all()
    assert [e.name for e in federation.service.endpoints] == ["ce-main"]


# --- endpoint scalars -------------------------------------------------------------------------


def test_endpoint_scalars(api: Api, session: Session, federation: Federation) -> None:
    endpoint = federation.endpoint
    base = f"endpoint/{endpoint.id}"
    assert api("POST", f"{base}/email", {"value": "ce@test.example"}).status_code == 204
    error(api("POST", f"{base}/email", {"value": "other@test.example"}), 409)
    error(api("POST", f"{base}/name", {"value": "renamed"}), 409)
    error(api("POST", f"{base}/monitored", {"value": False}), 405)
    assert api("PUT", f"{base}/monitored", {"value": False}).status_code == 204
    assert api("PUT", f"{base}/InterfaceName", {"value": "org.example.ce"}).status_code == 204
    assert api("PUT", f"{base}/url", {"value": "https://ce.test.example:9443"}).status_code == 204
    assert api("PUT", f"{base}/name", {"value": "ce-renamed"}).status_code == 204
    session.expire_all()
    assert (endpoint.name, endpoint.email, endpoint.interface_name, endpoint.monitored) == (
        "ce-renamed",
        "ce@test.example",
        "org.example.ce",
        False,
    )
    assert api("PUT", f"{base}/interfacename", {"value": ""}).status_code == 204
    session.expire_all()
    assert endpoint.interface_name == "CREAM-CE"
    api("PUT", f"service/{federation.service.id}/Endpoint", {"name": "two", "url": "https://t.x"})
    assert "'two'" in error(api("PUT", f"{base}/name", {"value": "two"}), 409)
    session.expire_all()
    assert endpoint.name == "ce-renamed"


# --- who may write ----------------------------------------------------------------------------


def test_callers_without_a_write_credential_are_refused(
    client: TestClient, session: Session, federation: Federation, writer: Actor
) -> None:
    site = federation.site
    registry.add_api_credential(
        session=session,
        actor=federation.operator.principal,
        site_id=site.id,
        data=ApiCredentialCreate(
            kind="OIDC Subject", identifier=federation.member.principal.subject, allow_write=False
        ),
    )
    session.commit()
    path = f"site/{site.id}/ExtensionProperties"
    body = {"VO": "atlas"}
    assert "authenticated" in error(Api(client, None)("PUT", path, body), 403)
    assert "allowed to write" in error(Api(client, federation.member)("PUT", path, body), 403)
    # Operators and site administrators need a credential too, as in GOCDB.
    error(Api(client, federation.operator)("PUT", path, body), 403)
    error(Api(client, federation.site_admin)("PUT", path, body), 403)
    # A credential of TEST-SITE does not open OTHER-SITE or its services.
    other = federation.other_service
    error(
        Api(client, writer)("PUT", f"site/{federation.other_site.id}/ExtensionProperties", body),
        403,
    )
    error(Api(client, writer)("PUT", f"service/{other.id}/description", {"value": "x"}), 403)
    bogus = client.put(
        f"/gocdbpi/v5/{path}", json=body, headers={"Authorization": "Bearer fct_unknown"}
    )
    error(bogus, 403)
    assert props(session, site) == {}
    assert props(session, federation.other_site) == {}


def test_use_of_the_credential_is_recorded(
    api: Api, session: Session, federation: Federation
) -> None:
    credential = session.scalar(
        select(ApiCredential).where(ApiCredential.identifier == "robot@test.example")
    )
    assert credential is not None
    assert credential.last_used_at is None
    api("PUT", f"site/{federation.site.id}/ExtensionProperties/VO", {"value": "atlas"})
    session.expire_all()
    assert credential.last_used_at is not None


# --- the URL ----------------------------------------------------------------------------------


def test_methods_other_than_post_put_delete_are_405(api: Api, federation: Federation) -> None:
    path = f"site/{federation.site.id}/ExtensionProperties"
    assert "GET" in error(api("GET", path), 405)
    error(api("PATCH", path, {"a": "b"}), 405)


def test_version_and_names_are_case_insensitive(
    client: TestClient, writer: Actor, session: Session, federation: Federation
) -> None:
    response = client.put(
        f"/gocdbpi/V5/SITE/{federation.site.id}/extensionPROPERTIES",
        json={"k": "v"},
        headers=writer.headers,
    )
    assert response.status_code == 204
    assert props(session, federation.site) == {"k": "v"}


def test_unsupported_entities_and_properties_are_501(api: Api, federation: Federation) -> None:
    assert "Site, Service and Endpoint" in error(
        api("PUT", f"ngi/{federation.ngi.id}/ExtensionProperties", {"a": "b"}), 501
    )
    assert "writable" in error(
        api("PUT", f"site/{federation.site.id}/email", {"value": "a@b.c"}), 501
    )
    error(api("PUT", f"service/{federation.service.id}/colour", {"value": "red"}), 501)


def test_ids_must_be_integers_of_existing_entities(api: Api) -> None:
    assert "integer" in error(api("PUT", "site/1G0/ExtensionProperties", {"a": "b"}), 400)
    for entity in ("site", "service", "endpoint"):
        error(api("PUT", f"{entity}/999999/ExtensionProperties", {"a": "b"}), 404)


def test_unexpected_failures_are_500_in_the_envelope(settings: Any) -> None:
    router = APIRouter(route_class=GocdbWriteRoute)

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError("broken")

    app = FastAPI()
    app.state.settings = settings
    app.include_router(router)
    with TestClient(app) as client:
        assert "nothing was changed" in error(client.get("/boom"), 500)


def test_other_routes_keep_problem_details(client: TestClient) -> None:
    response = client.get("/api/registry/does-not-exist")
    assert response.headers["content-type"] == "application/problem+json"


def test_openapi_documents_the_write_methods(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for tail in ("{prop}", "{prop}/{key}"):
        assert sorted(paths[f"/gocdbpi/v5/{{entity_type}}/{{entity_id}}/{tail}"]) == [
            "delete",
            "post",
            "put",
        ]
