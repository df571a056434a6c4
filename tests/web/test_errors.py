"""Error pages and /healthz: friendly HTML for people, JSON under /api/, right status codes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.app import create_app
from portal.settings import Settings
from tests.support.html import text_of
from tests.support.openapi_check import ValidatingClient

UNREACHABLE_DATABASE = "postgresql+psycopg://x:y@127.0.0.1:1/none"  # loopback port 1: refused at once
SECRET = "s3cr3t-detail-in-the-exception"


def body_text(html: str) -> str:
    return text_of(html.split('<main id="main"', 1)[1].split("</main>", 1)[0])


def plain_client(app: Flask) -> FlaskClient:
    """A client without the OpenAPI check, for API paths the document rightly does not describe."""
    return FlaskClient(app, app.response_class)


def assert_no_internals(html: str) -> None:
    for leak in ("Traceback", 'File "', "RuntimeError", SECRET, "sqlalchemy", "psycopg", "x:y@"):
        assert leak not in html, f"{leak!r} leaked into the error page"


@pytest.fixture
def failing_app(app: Flask) -> Flask:
    """The app with two routes that fail the way a bug would."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom() -> str:
        raise RuntimeError(SECRET)

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    return app


@pytest.fixture
def offline_app(tmp_path: Path) -> Iterator[Flask]:
    """An app whose database cannot be reached."""
    app = create_app(Settings.for_testing(tmp_path / "instance", UNREACHABLE_DATABASE))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield app
    app.extensions["portal"].engine.dispose()


# --- HTML ---------------------------------------------------------------------------


def test_unknown_address_is_a_friendly_404_page(client):
    response = client.get("/no/such/page")

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    text = body_text(html)
    assert "Page not found." in text
    assert "It may have been renamed; try the project list or check the address." in text
    assert "Error 404." in text
    assert 'href="/"' in html and "Go to the project list" in text
    assert_no_internals(html)


def test_post_to_a_page_that_only_reads_is_a_friendly_405(client):
    response = client.post("/", data={"x": "1"})

    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    html = response.get_data(as_text=True)
    text = body_text(html)
    assert "Method not allowed." in text
    assert "Use the links and buttons on the site." in text
    assert "Error 405." in text
    assert_no_internals(html)


def test_a_bug_is_a_friendly_500_without_traceback(failing_app):
    response = failing_app.test_client().get("/boom")

    assert response.status_code == 500
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    text = body_text(html)
    assert "Internal error." in text
    assert "Something went wrong on our side." in text
    assert "tell your portal admin if it keeps happening" in text
    assert "Go to the project list" in text
    assert_no_internals(html)


def test_error_pages_keep_the_site_navigation(client):
    html = client.get("/no/such/page").get_data(as_text=True)

    assert "Skip to main content" in html
    assert '<nav class="navbar' in html
    assert "Log in" in text_of(html)


# --- JSON under /api/ -------------------------------------------------------------------


def test_unknown_api_address_is_a_json_404(app):
    response = plain_client(app).get("/api/v1/no-such-endpoint")

    assert response.status_code == 404
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == "not_found"
    assert "/api/v1/openapi.json" in error["message"]
    assert set(response.get_json()) == {"error"}


def test_unknown_project_in_the_api_is_a_json_404_naming_the_known_ones(client, make_project):
    make_project("nova")

    response = client.get("/api/v1/projects/glance/specs")

    assert response.status_code == 404
    assert response.get_json() == {"error": {
        "code": "not_found",
        "message": "No project named 'glance'. Known projects: nova. "
        "Register it first with `portal projects add glance`.",
    }}


def test_wrong_method_in_the_api_is_a_json_405(client):
    response = client.post("/api/v1/projects", json={})

    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    error = response.get_json()["error"]
    assert error["code"] == "method_not_allowed"
    assert error["message"].startswith("Method not allowed.")
    assert "/api/v1/openapi.json" in error["message"]


def test_a_bug_in_the_api_is_a_json_500_without_details(failing_app):
    response = plain_client(failing_app).get("/api/v1/boom")

    assert response.status_code == 500
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == "internal_error"
    assert "nothing was saved" in error["message"] and "Try again" in error["message"]
    assert SECRET not in response.get_data(as_text=True)


# --- health and an unreachable database ----------------------------------------------------


def test_healthz_is_ok_with_the_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json()["status"] == "ok" and response.get_json()["database"] == "ok"


def test_healthz_is_503_when_the_database_is_unreachable(offline_app):
    response = offline_app.test_client().get("/healthz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["database"] == "unreachable"
    assert "PORTAL_DATABASE_URL" in body["message"]
    assert "x:y@" not in response.get_data(as_text=True)


def test_a_page_with_the_database_down_says_so_and_when_to_retry(offline_app):
    response = offline_app.test_client().get("/")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    html = response.get_data(as_text=True)
    text = body_text(html)
    assert "The database is unavailable. Try again in a minute" in text
    assert "tell your portal admin" in text
    assert_no_internals(html)


def test_the_api_with_the_database_down_answers_json_503(offline_app):
    offline_app.test_client_class = ValidatingClient  # the 503 is part of the API description too
    response = offline_app.test_client().get("/api/v1/projects")

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"
    assert "Try again in a minute" in response.get_json()["error"]["message"]
