"""Absolute links in API answers come from PORTAL_BASE_URL, not from the Host header a client sends."""

from __future__ import annotations

import json
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from portal.app import create_app
from portal.checklist import service as checklist
from portal.settings import Settings

SPOOFED = {"Host": "evil.example"}


@pytest.fixture
def nova(db: Session, make_project, make_spec) -> None:
    project = make_project("nova")
    for n in range(3):
        spec = make_spec(f"spec-{n}", project=project)
        checklist.refresh_prefill(db, spec)
    db.flush()


def client_with(settings: Settings, session_factory: sessionmaker[Session], **overrides: object) -> FlaskClient:
    """A plain test client: the OpenAPI check knows only the host ``localhost``, and these tests send others."""
    return create_app(settings.with_overrides(**overrides), session_factory=session_factory).test_client()


def urls_in(body: object) -> list[str]:
    return re.findall(r'"(https?://[^"]*)"', json.dumps(body))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/projects",
        "/api/v1/projects/nova/specs?per_page=1&page=2",
        "/api/v1/projects/nova/specs/spec-0",
    ],
)
def test_a_spoofed_host_gets_links_to_the_configured_base(
    settings: Settings, session_factory: sessionmaker[Session], nova: None, path: str
) -> None:
    client = client_with(settings, session_factory, base_url="https://bob.example.org")

    response = client.get(path, headers=SPOOFED)

    assert response.status_code == 200
    assert "evil.example" not in response.text
    urls = urls_in(response.get_json())
    assert urls, "the answer has absolute links"
    # Gerrit and Launchpad links point elsewhere by nature; every link to the portal uses the base.
    own = [u for u in urls if "launchpad.net" not in u and "opendev.org" not in u]
    assert own and all(u.startswith("https://bob.example.org/") for u in own), own


def test_the_list_links_keep_their_query_under_the_base(
    settings: Settings, session_factory: sessionmaker[Session], nova: None
) -> None:
    client = client_with(settings, session_factory, base_url="https://bob.example.org/portal")

    links = client.get("/api/v1/projects/nova/specs?per_page=1&page=2", headers=SPOOFED).get_json()["links"]

    assert links["self"].startswith("https://bob.example.org/portal/api/v1/projects/nova/specs?")
    assert "page=2" in links["self"] and "per_page=1" in links["self"]
    assert links["next"].startswith("https://bob.example.org/portal/api/v1/projects/nova/specs?")
    assert links["prev"].startswith("https://bob.example.org/portal/api/v1/projects/nova/specs?")


def test_without_a_base_url_links_follow_the_request(
    settings: Settings, session_factory: sessionmaker[Session], nova: None
) -> None:
    """The zero-configuration demo: links use the host the browser used."""
    client = client_with(settings, session_factory)

    body = client.get("/api/v1/projects", headers={"Host": "127.0.0.1:5000"}).get_json()

    assert body["links"]["self"] == "http://127.0.0.1:5000/api/v1/projects"
    assert body["items"][0]["url"] == "http://127.0.0.1:5000/api/v1/projects/nova/specs"
