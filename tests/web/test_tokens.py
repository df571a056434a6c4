"""Personal API tokens: created on the account page and shown once, used as Bearer tokens, revoked."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from portal import permissions
from portal.accounts import service as accounts
from portal.app import create_app
from portal.http.auth import actor, permission_required
from portal.models import ApiToken
from portal.settings import Settings
from tests.support.factories import login
from tests.support.html import csrf_token, text_of

SECRET_RE = re.compile(r"bob_[A-Za-z0-9_-]{40,}")


def create_token(client: FlaskClient, name: str) -> TestResponse:
    page = client.get("/account")
    return client.post("/account/tokens", data={"name": name, "csrf_token": csrf_token(page.text)})


def secret_in(response: TestResponse) -> str:
    found = SECRET_RE.findall(response.text)
    assert len(set(found)) == 1, f"expected one token secret on the page, found {found}"
    return found[0]


def revoke(client: FlaskClient, token_id: int) -> TestResponse:
    page = client.get("/account")
    return client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(page.text)})


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_new_token_is_shown_once_and_then_only_by_its_prefix(client: FlaskClient, db: Session, make_user) -> None:
    user = make_user("alice")
    login(client, "alice")

    created = create_token(client, "ci-sync")

    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    assert "Copy it now: this is the only time it is shown." in text_of(created.text)
    secret = secret_in(created)
    stored = db.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert stored.name == "ci-sync"
    assert secret not in (stored.token_hash, stored.prefix) and stored.token_hash != secret
    assert secret.startswith(stored.prefix)

    account = client.get("/account")
    shown = text_of(account.text)
    assert "ci-sync" in shown
    assert f"{stored.prefix}…" in shown
    assert secret not in account.text
    assert SECRET_RE.search(account.text) is None
    assert secret not in client.get("/").text


def test_token_without_a_name_is_not_created(client: FlaskClient, db: Session, make_user) -> None:
    make_user("alice")
    login(client, "alice")

    response = create_token(client, "   ")

    assert response.status_code == 400
    assert "No token was created: give it a name." in text_of(response.text)
    assert db.scalars(select(ApiToken)).all() == []


def test_token_authenticates_api_requests_and_its_use_is_shown(client: FlaskClient, make_user, make_project) -> None:
    make_user("alice")
    make_project("nova")
    login(client, "alice")
    secret = secret_in(create_token(client, "laptop"))
    assert re.search(r"laptop.*?never", text_of(client.get("/account").text))

    response = client.get("/api/v1/projects", headers=bearer(secret))

    assert response.status_code == 200
    assert [p["name"] for p in response.json["items"]] == ["nova"]
    row = re.search(r"laptop bob_\S+… (\S+ \S+ \S+) (\S+ \S+ \S+|never)", text_of(client.get("/account").text))
    assert row is not None and row.group(2) != "never"  # "Last used" now has a date


def test_revoked_token_is_refused_with_a_message_saying_what_to_do(
    client: FlaskClient, db: Session, make_user
) -> None:
    make_user("alice")
    login(client, "alice")
    secret = secret_in(create_token(client, "old-laptop"))
    token_id = db.scalars(select(ApiToken.id)).one()
    assert client.get("/api/v1/projects", headers=bearer(secret)).status_code == 200

    revoked = revoke(client, token_id)
    assert revoked.status_code == 302
    assert "Token 'old-laptop' revoked: requests using it are now refused." in text_of(
        client.get(revoked.location).text
    )

    response = client.get("/api/v1/projects", headers=bearer(secret))
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert "Create a new one on your account page" in response.json["error"]["message"]
    assert "You have no active tokens." in text_of(client.get("/account").text)


@pytest.mark.parametrize(
    "header",
    ["Token abcdef", "Bearer", "Bearer    ", "Basic YWxpY2U6c2VjcmV0", "bob_justthesecret"],
)
def test_malformed_authorization_header_gets_a_json_401(client: FlaskClient, header: str) -> None:
    response = client.get("/api/v1/projects", headers={"Authorization": header})

    assert response.status_code == 401
    assert response.json["error"] == {
        "code": "unauthorized",
        "message": "Send the token as 'Authorization: Bearer <token>'.",
    }


def test_unknown_token_gets_a_json_401(client: FlaskClient) -> None:
    response = client.get("/api/v1/projects", headers=bearer("bob_" + "x" * 43))

    assert response.status_code == 401
    assert response.json["error"]["message"] == "Unknown or revoked API token. Create a new one on your account page."


def test_token_of_a_disabled_user_stops_working(client: FlaskClient, db: Session, make_user) -> None:
    user = make_user("alice")
    _, secret = accounts.create_api_token(db, user, "script")
    db.flush()
    assert client.get("/api/v1/projects", headers=bearer(secret)).status_code == 200

    user.is_active = False
    db.flush()

    assert client.get("/api/v1/projects", headers=bearer(secret)).status_code == 401


def test_one_user_cannot_revoke_another_users_token(
    app: Flask, client: FlaskClient, db: Session, make_user
) -> None:
    bob = make_user("bob")
    bobs_token, bobs_secret = accounts.create_api_token(db, bob, "bob-ci")
    db.flush()
    make_user("mallory")
    login(client, "mallory")

    response = revoke(client, bobs_token.id)

    assert response.status_code == 404
    assert "No such token on your account; it may already be gone." in text_of(response.text)
    db.refresh(bobs_token)
    assert bobs_token.revoked_at is None
    assert client.get("/api/v1/projects", headers=bearer(bobs_secret)).status_code == 200


def test_the_api_ignores_a_login_cookie(settings: Settings, session_factory: sessionmaker[Session], db: Session,
                                        make_user) -> None:
    """The API skips CSRF checks, so only a token (never a browser's cookie) may act there."""
    user = make_user("alice")
    _, secret = accounts.create_api_token(db, user, "script")
    db.flush()
    app = create_app(settings, session_factory=session_factory)

    def whoami() -> dict[str, str]:
        who = actor()
        return {"user": who.username if who else ""}

    # Probes: the same view under /api/ and on a page path, behind the real role check.
    app.add_url_rule("/api/test-probe/whoami", "api_probe", permission_required(permissions.signed_in)(whoami))
    app.add_url_rule("/test-probe/whoami", "page_probe", permission_required(permissions.signed_in)(whoami))
    client = app.test_client()
    login(client, "alice")

    assert client.get("/test-probe/whoami").json == {"user": "alice"}
    refused = client.get("/api/test-probe/whoami")
    assert refused.status_code == 401
    assert refused.json["error"]["message"] == "Log in (or send an API token) to do this."
    assert client.get("/api/v1/projects", headers=bearer(secret)).status_code == 200


@pytest.mark.browser
def test_token_page_works_in_a_browser_under_the_csp(live_server, page) -> None:  # type: ignore[no-untyped-def]
    """Chromium enforces the CSP: creating a token and selecting it for copying must still work."""
    from playwright.sync_api import expect

    from portal.accounts import passwords
    from tests.support.factories import PASSWORD

    live_server.seed(lambda db: accounts.create_user(
        db, None, "alice", email="alice@example.org", role="operator", password=PASSWORD,
        hasher=passwords.hasher(testing=True),
    ))
    problems: list[str] = []  # CSP refusals and script errors are console errors; failed loads are responses
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)

    page.goto(live_server.url + "/account")
    page.get_by_label("User name or email").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    page.get_by_label("Token name").fill("laptop")
    page.get_by_role("button", name="Create token").click()

    expect(page.get_by_role("heading", name="Token “laptop” created")).to_be_visible()
    secret_box = page.get_by_label("Your token")
    secret = secret_box.input_value()
    assert SECRET_RE.fullmatch(secret)
    secret_box.focus()
    assert page.evaluate("() => window.getSelection().toString() || document.activeElement.value.substring("
                         "document.activeElement.selectionStart, document.activeElement.selectionEnd)") == secret
    page.get_by_role("link", name="Back to your account").click()
    expect(page.get_by_role("cell", name="laptop", exact=True)).to_be_visible()
    assert secret not in page.content()
    assert problems == []
