"""Web hardening on every route: session cookie flags, security headers, CSRF on every POST form, 405s."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.routing import IntegerConverter, Rule
from werkzeug.test import TestResponse

from portal.accounts import service as accounts
from portal.app import create_app
from portal.db.base import Base
from portal.models import ApiToken, User
from portal.settings import Settings
from tests.support.factories import PASSWORD, login
from tests.support.html import csrf_token, text_of

CSRF_MESSAGE = "Your form had expired or did not come from this site, so nothing was saved. " \
               "Go back, reload the page and submit it again."
# Values a POST form on the site might read; without a CSRF token none of them may be used.
TEMPTING_FORM = {
    "display_name": "Changed by a forged form",
    "timezone": "Europe/Paris",
    "name": "forged-token",
    "current_password": PASSWORD,
    "new_password": "forged new password",
    "confirm": "forged new password",
    "username": "alice",
    "password": PASSWORD,
    "body": "A forged comment.",
    "priority": "high",
    "state": "addressed",
}


@pytest.fixture
def seeded(db: Session, make_user, make_project, make_spec) -> dict[str, Any]:
    """A user with an API token, a project and a spec: real values for every path parameter."""
    user = make_user("alice")
    project = make_project("nova")
    spec = make_spec(name="live-migrate-faster", project=project)
    token, _ = accounts.create_api_token(db, user, "laptop")
    db.flush()
    return {"user": user, "project_name": project.name, "spec_name": spec.name, "token_id": token.id}


def static_file(app: Flask, rule: Rule) -> str:
    """A file that really exists in the static folder the rule serves."""
    blueprint = rule.endpoint.rpartition(".")[0]
    folder = app.blueprints[blueprint].static_folder if blueprint else app.static_folder
    assert folder is not None
    for root, _dirs, files in sorted(os.walk(folder)):
        for name in sorted(files):
            return str(Path(root, name).relative_to(folder))
    raise AssertionError(f"no file under {folder}")


def build_url(app: Flask, rule: Rule, values: dict[str, Any]) -> str:
    """The rule's URL with its parameters filled from test data (unknown ones with a plausible value)."""
    args: dict[str, Any] = {}
    for name in rule.arguments:
        if name == "filename":
            args[name] = static_file(app, rule)
        elif name in values:
            args[name] = values[name]
        else:
            converter = rule._converters.get(name)  # noqa: SLF001 (werkzeug keeps no public accessor)
            args[name] = 1 if isinstance(converter, IntegerConverter) else "x"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **args)


def rules(app: Flask) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda r: r.rule)


def parse_csp(header: str) -> dict[str, list[str]]:
    policy: dict[str, list[str]] = {}
    for directive in header.split(";"):
        parts = directive.split()
        if parts:
            policy[parts[0].lower()] = parts[1:]
    return policy


def security_header_problems(response: TestResponse) -> list[str]:
    """What is missing from a response's security headers (empty when all is well)."""
    problems = []
    csp_header = response.headers.get("Content-Security-Policy")
    if not csp_header:
        return ["no Content-Security-Policy"]
    csp = parse_csp(csp_header)
    if csp.get("object-src") != ["'none'"]:
        problems.append(f"object-src is {csp.get('object-src')}")
    if csp.get("base-uri") != ["'none'"]:
        problems.append(f"base-uri is {csp.get('base-uri')}")
    if "frame-ancestors" not in csp:
        problems.append("no frame-ancestors")
    script_src = csp.get("script-src", csp.get("default-src"))
    if script_src is None:
        problems.append("neither script-src nor default-src")
    elif "'unsafe-inline'" in script_src or "'unsafe-eval'" in script_src:
        problems.append(f"script-src allows {script_src}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if response.headers.get("Referrer-Policy") not in (
        "no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"
    ):
        problems.append(f"Referrer-Policy is {response.headers.get('Referrer-Policy')!r}")
    return problems


def database_state(db: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove a request changed nothing."""
    db.expire_all()
    return {table.name: sorted(map(tuple, db.execute(select(table)).all()), key=repr)
            for table in Base.metadata.sorted_tables}


# --- cookies --------------------------------------------------------------------------------------


def cookie_attributes(response: TestResponse, name: str) -> dict[str, str]:
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        if first.split("=", 1)[0] == name:
            parsed = {"value": first.split("=", 1)[1]}
            for attribute in attributes:
                key, _, value = attribute.partition("=")
                parsed[key.lower()] = value
            return parsed
    raise AssertionError(f"no {name} cookie in {response.headers.getlist('Set-Cookie')}")


def test_session_cookie_over_http_is_httponly_lax_and_not_secure(client: FlaskClient, make_user) -> None:
    make_user("alice")

    response = login(client, "alice")

    cookie = cookie_attributes(response, "portal_session")
    assert "httponly" in cookie
    assert cookie["samesite"] == "Lax"
    assert "secure" not in cookie  # the http://127.0.0.1 demo must keep working
    assert cookie["path"] == "/"
    assert "domain" not in cookie
    expires = parsedate_to_datetime(cookie["expires"])
    assert timedelta(hours=11) < expires - datetime.now(UTC) <= timedelta(hours=12, minutes=1)
    assert "Strict-Transport-Security" not in response.headers


def test_over_https_the_cookie_is_secure_host_prefixed_and_hsts_is_sent(
    settings: Settings, session_factory: sessionmaker[Session], make_user
) -> None:
    make_user("alice")
    client = create_app(settings.with_overrides(https=True), session_factory=session_factory).test_client()
    site = "https://localhost"

    page = client.get("/login", base_url=site)
    response = client.post(
        "/login", base_url=site, headers={"Referer": f"{site}/login"},
        data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )

    assert response.status_code == 302
    cookie = cookie_attributes(response, "__Host-portal_session")
    assert "secure" in cookie and "httponly" in cookie
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/" and "domain" not in cookie  # what the __Host- prefix requires
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert client.get("/account", base_url=site).status_code == 200


def test_over_https_a_form_posted_from_another_site_is_refused(
    settings: Settings, session_factory: sessionmaker[Session], db: Session, make_user
) -> None:
    make_user("alice")
    client = create_app(settings.with_overrides(https=True), session_factory=session_factory).test_client()
    page = client.get("/login", base_url="https://localhost")
    before = database_state(db)

    response = client.post(
        "/login", base_url="https://localhost", headers={"Referer": "https://evil.example/phish"},
        data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )

    assert response.status_code == 400
    assert CSRF_MESSAGE in text_of(response.text)
    assert database_state(db) == before


# --- security headers everywhere ------------------------------------------------------------------


def fetch(client: FlaskClient, url: str) -> TestResponse:
    response = client.get(url)
    response.get_data()  # read it all, then release the file a static response holds open
    response.close()
    return response


def walk_get(app: Flask, client: FlaskClient, values: dict[str, Any]) -> dict[str, TestResponse]:
    """GET every route of the app (and a few that do not exist)."""
    responses = {}
    for rule in rules(app):
        url = build_url(app, rule, values)
        responses[f"GET {url} ({rule.endpoint})"] = fetch(client, url)
    for url in ("/no/such/page", "/api/v1/no-such-thing", "/static/no-such-file.css"):
        responses[f"GET {url}"] = fetch(client, url)
    return responses


def test_every_route_sends_the_security_headers_logged_out(app: Flask, seeded: dict[str, Any]) -> None:
    client = app.test_client()  # plain client: this test is about headers, the API tests check the JSON shapes

    responses = walk_get(app, client, seeded)

    problems = {url: p for url, r in responses.items() if (p := security_header_problems(r))}
    assert problems == {}
    statuses = {r.status_code for r in responses.values()}
    assert {200, 302, 404, 405} <= statuses  # pages, redirects to login, missing things and POST-only routes
    assert any(url.startswith("GET /static/") and r.status_code == 200 for url, r in responses.items())
    assert any(url.startswith("GET /api/") and r.status_code == 200 for url, r in responses.items())


def test_every_route_sends_the_security_headers_logged_in(app: Flask, seeded: dict[str, Any]) -> None:
    client = app.test_client()
    login(client, "alice")

    responses = walk_get(app, client, seeded)

    problems = {url: p for url, r in responses.items() if (p := security_header_problems(r))}
    assert problems == {}
    assert responses["GET /account (accounts.account)"].status_code == 200
    # Pages for a logged-in user are private: no cache may keep them.
    assert responses["GET /account (accounts.account)"].headers["Cache-Control"] == "no-store"


def test_error_page_has_the_headers_and_no_traceback(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    app = create_app(settings, session_factory=session_factory)

    @app.get("/test-only/boom")
    def boom() -> str:
        raise RuntimeError("secret internals: password=hunter2")

    response = app.test_client().get("/test-only/boom")

    assert response.status_code == 500
    assert security_header_problems(response) == []
    shown = text_of(response.text)
    assert "Something went wrong on our side." in shown
    assert "hunter2" not in response.text and "Traceback" not in response.text


# --- CSRF on every POST form ----------------------------------------------------------------------


def post_rules(app: Flask) -> list[Rule]:
    return [r for r in rules(app) if "POST" in (r.methods or set()) and not r.rule.startswith("/api/")]


def test_every_post_form_refuses_a_request_without_csrf_token(
    app: Flask, client: FlaskClient, db: Session, seeded: dict[str, Any]
) -> None:
    login(client, "alice")
    targets = post_rules(app)
    assert {r.endpoint for r in targets} >= {
        "accounts.login", "accounts.logout", "accounts.profile", "accounts.password",
        "accounts.create_token", "accounts.revoke_token",
    }

    # RFC 8058: a mail client POSTs the one-click unsubscribe link without a session, so that one view is
    # guarded by its signed token instead of CSRF (tests/alerts/test_unsubscribe.py). It is the only one.
    exempt = {r.endpoint for r in targets if r.endpoint == "alerts.unsubscribe"}
    assert exempt == {"alerts.unsubscribe"}
    for rule in targets:
        url = build_url(app, rule, seeded)
        before = database_state(db)

        response = client.post(url, data=TEMPTING_FORM)
        if rule.endpoint in exempt:
            assert response.status_code == 400, url  # "x" is no signed token: refused, nothing changed
            assert database_state(db) == before
            continue

        assert response.status_code == 400, url
        assert CSRF_MESSAGE in text_of(response.text), url
        assert database_state(db) == before, f"POST {url} without a CSRF token changed the database"
        assert client.get("/account").status_code == 200, f"POST {url} without a CSRF token logged the user out"

    # The same form with the token does change things: the refusals above were the token's doing.
    page = client.get("/account")
    saved = client.post("/account/profile", data={**TEMPTING_FORM, "csrf_token": csrf_token(page.text)})
    assert saved.status_code == 302
    assert db.scalar(select(User.display_name).where(User.username == "alice")) == "Changed by a forged form"


def test_a_csrf_token_from_another_session_is_refused(app: Flask, db: Session, seeded: dict[str, Any],
                                                      make_user) -> None:
    make_user("mallory")
    mallory = app.test_client()
    login(mallory, "mallory")
    mallory_token = csrf_token(mallory.get("/account").text)
    alice = app.test_client()
    login(alice, "alice")
    before = database_state(db)

    response = alice.post("/account/tokens", data={"name": "planted", "csrf_token": mallory_token})

    assert response.status_code == 400
    assert CSRF_MESSAGE in text_of(response.text)
    assert database_state(db) == before


def test_get_on_a_post_only_route_is_405_and_changes_nothing(
    app: Flask, client: FlaskClient, db: Session, seeded: dict[str, Any]
) -> None:
    login(client, "alice")
    readable = {r.rule for r in rules(app) if "GET" in (r.methods or set())}
    # Write-only addresses (an address that also answers GET, like the API checklist, is not one).
    post_only = [r for r in rules(app) if "GET" not in (r.methods or set()) and r.rule not in readable]
    assert {r.endpoint for r in post_only} >= {"accounts.logout", "accounts.revoke_token"}

    for rule in post_only:
        url = build_url(app, rule, seeded)
        before = database_state(db)

        response = client.get(url)

        assert response.status_code == 405, url
        assert {"POST", "PUT", "PATCH", "DELETE"} & set(response.headers["Allow"].split(", ")), url
        if not url.startswith("/api/"):
            assert "This address does not accept that kind of request." in text_of(response.text), url
        assert database_state(db) == before, url
    assert client.get("/account").status_code == 200  # GET /logout did not log out
    token = db.get(ApiToken, seeded["token_id"])
    assert token is not None and token.revoked_at is None
