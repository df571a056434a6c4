"""Logging in and out through the real forms: sessions, throttling, redirects after login, passwords, profile."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from portal.accounts import passwords
from portal.accounts import service as accounts
from portal.app import create_app
from portal.clock import set_clock
from portal.errors import AuthenticationRequired, InvalidInput
from portal.models import LoginAttempt, User, UserSession
from portal.settings import Settings
from tests.support.factories import PASSWORD, login
from tests.support.html import csrf_token, text_of

COOKIE = "portal_session"
NEW_PASSWORD = "a brand new passphrase"


class Clock:
    """The real time plus an offset the test can move forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def clock() -> Iterator[Clock]:
    clock = Clock()
    set_clock(clock.now)
    try:
        yield clock
    finally:
        set_clock(None)


def make_app(settings: Settings, session_factory: sessionmaker[Session], **overrides: object) -> Flask:
    """Another worker of the same portal: its own app object, the same database."""
    return create_app(settings.with_overrides(**overrides), session_factory=session_factory)


def post_login(client: FlaskClient, username: str, password: str, **kwargs: object) -> TestResponse:
    """Submit the login form as a browser would: fetch it (for its CSRF token), then post it."""
    page = client.get("/login")
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf_token(page.text)}, **kwargs
    )


def alerts(response: TestResponse) -> list[str]:
    """The flash messages shown on a page."""
    return [text_of(m) for m in re.findall(r'<div class="alert[^"]*">(.*?)</div>', response.text, flags=re.S)]


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None, "no session cookie was set"
    return cookie.value


def browser_with(app: Flask, cookie: str) -> FlaskClient:
    """A fresh browser that only carries ``cookie`` (e.g. one copied from another machine)."""
    other = app.test_client()
    other.set_cookie(COOKIE, cookie)
    return other


def redirected_to_login(response: TestResponse) -> bool:
    return response.status_code == 302 and urlsplit(response.location).path == "/login"


def logout(client: FlaskClient) -> TestResponse:
    page = client.get("/account")
    return client.post("/logout", data={"csrf_token": csrf_token(page.text)}, follow_redirects=True)


# --- logging in and out -------------------------------------------------------------------------


def test_login_redirects_home_and_the_page_shows_who_is_logged_in(client: FlaskClient, make_user) -> None:
    make_user("alice", display_name="Alice Operator")

    response = login(client, "alice")

    assert response.status_code == 302
    assert urlsplit(response.location).path == "/"
    home = text_of(client.get("/").text)
    assert "Welcome, Alice Operator. You are logged in." in home
    assert "Alice Operator operator" in home  # the navigation shows the name and role
    assert "Log out" in home and "Log in" not in home


def test_login_by_email_address_works(client: FlaskClient, make_user) -> None:
    make_user("alice")

    response = post_login(client, "Alice@Example.org", PASSWORD)

    assert response.status_code == 302
    assert client.get("/account").status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_clear_message(
    client: FlaskClient, db: Session, make_user
) -> None:
    make_user("alice")

    wrong_password = post_login(client, "alice", "not the password at all")
    unknown_user = post_login(client, "nobody", "not the password at all")

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert alerts(wrong_password) == alerts(unknown_user) == ["Wrong user name or password. Check both and try again."]
    assert client.get("/account").status_code == 302  # still logged out
    assert db.scalar(select(func.count()).select_from(UserSession)) == 0


def test_inactive_user_cannot_log_in_even_with_the_right_password(client: FlaskClient, db: Session, make_user) -> None:
    user = make_user("alice")
    user.is_active = False
    db.flush()

    response = post_login(client, "alice", PASSWORD)

    assert response.status_code == 401
    assert alerts(response) == ["This account is disabled. Ask a portal admin if you need it back."]
    assert redirected_to_login(client.get("/account"))
    # Without the password nobody learns that the account exists or is disabled.
    assert alerts(post_login(client, "alice", "a wrong password!")) == [
        "Wrong user name or password. Check both and try again."
    ]


def test_disabling_a_user_ends_their_logins(client: FlaskClient, db: Session, make_user) -> None:
    user = make_user("alice")
    login(client, "alice")
    assert client.get("/account").status_code == 200

    user.is_active = False
    db.flush()

    assert redirected_to_login(client.get("/account"))


def test_login_form_without_csrf_token_is_refused_and_nothing_is_stored(
    client: FlaskClient, db: Session, make_user
) -> None:
    make_user("alice")

    response = client.post("/login", data={"username": "alice", "password": PASSWORD})

    assert response.status_code == 400
    assert "nothing was saved" in response.text
    assert "reload the page and submit it again" in response.text
    assert db.scalar(select(func.count()).select_from(LoginAttempt)) == 0
    assert db.scalar(select(func.count()).select_from(UserSession)) == 0
    assert redirected_to_login(client.get("/account"))


def test_empty_login_form_says_what_is_missing(client: FlaskClient) -> None:
    page = client.get("/login")

    response = client.post("/login", data={"username": "", "password": "", "csrf_token": csrf_token(page.text)})

    assert response.status_code == 400
    assert alerts(response) == ["Not logged in: enter your user name (or email address) and your password."]
    assert "This field is required." in text_of(response.text)


def test_logout_shows_a_confirmation_and_logs_out(client: FlaskClient, make_user) -> None:
    make_user("alice")
    login(client, "alice")

    page = logout(client)

    assert "You are logged out." in text_of(page.text)
    assert "Log in" in text_of(page.text)
    assert redirected_to_login(client.get("/account"))


# --- sessions: a copied cookie stops working --------------------------------------------------


def test_copied_cookie_stops_working_after_logout(app: Flask, client: FlaskClient, make_user) -> None:
    make_user("alice")
    login(client, "alice")
    copied = session_cookie(client)
    assert browser_with(app, copied).get("/account").status_code == 200  # the copy works while logged in

    logout(client)

    assert redirected_to_login(browser_with(app, copied).get("/account"))
    replayed = browser_with(app, copied).get("/account", follow_redirects=True)
    assert "Please log in to see that page." in text_of(replayed.text)


def test_password_change_ends_other_logins_but_keeps_this_browser(app: Flask, client: FlaskClient, make_user) -> None:
    make_user("alice")
    login(client, "alice")
    copied = session_cookie(client)
    laptop = app.test_client()
    login(laptop, "alice")
    assert laptop.get("/account").status_code == 200

    page = client.get("/account")
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
              "csrf_token": csrf_token(page.text)},
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert "Password changed. Every other login of yours, on any browser, is now logged out." in text_of(response.text)
    assert client.get("/account").status_code == 200  # the browser that changed it stays logged in
    assert redirected_to_login(browser_with(app, copied).get("/account"))  # an older copy of its cookie does not
    assert redirected_to_login(laptop.get("/account"))
    assert post_login(app.test_client(), "alice", PASSWORD).status_code == 401
    assert post_login(app.test_client(), "alice", NEW_PASSWORD).status_code == 302


def test_wrong_current_password_changes_nothing(client: FlaskClient, db: Session, make_user) -> None:
    user = make_user("alice")
    old_hash = user.password_hash
    login(client, "alice")
    page = client.get("/account")

    response = client.post(
        "/account/password",
        data={"current_password": "not my password", "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
              "csrf_token": csrf_token(page.text)},
    )

    assert response.status_code == 400
    assert "The current password is wrong; nothing was changed." in text_of(response.text)
    db.refresh(user)
    assert user.password_hash == old_hash
    assert client.get("/account").status_code == 200


def test_guessing_the_current_password_on_the_account_page_is_throttled(
    settings: Settings, session_factory: sessionmaker[Session], make_user
) -> None:
    """A stolen session must not become an unthrottled password oracle."""
    make_user("alice")
    client = make_app(settings, session_factory, login_max_failures_per_account=3).test_client()
    login(client, "alice")

    statuses = []
    for guess in ("guess number 1", "guess number 2", "guess number 3", PASSWORD):
        page = client.get("/account")
        statuses.append(client.post(
            "/account/password",
            data={"current_password": guess, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                  "csrf_token": csrf_token(page.text)},
        ))

    assert [r.status_code for r in statuses] == [400, 400, 400, 429]
    assert "Too many failed logins. Wait 15 minutes and try again" in text_of(statuses[-1].text)
    assert int(statuses[-1].headers["Retry-After"]) > 0


def test_a_login_expires_after_the_configured_hours(client: FlaskClient, make_user, clock: Clock) -> None:
    make_user("alice")
    login(client, "alice")
    clock.advance(hours=11, minutes=59)
    assert client.get("/account").status_code == 200

    clock.advance(minutes=2)  # past session_hours (12): the server refuses it even if the cookie is kept

    assert redirected_to_login(client.get("/account"))


def test_a_new_session_is_started_at_login(app: Flask, client: FlaskClient, make_user) -> None:
    make_user("alice")
    client.get("/login")
    with client.session_transaction() as before:
        before["planted"] = "set before login"
        pre_login_csrf = before["csrf_token"]

    login(client, "alice")

    with client.session_transaction() as after:
        assert "planted" not in after  # nothing from before the login survives
        assert after.get("csrf_token") != pre_login_csrf
        first_id = after["_user_id"]
    logout(client)
    login(client, "alice")
    with client.session_transaction() as again:
        assert again["_user_id"] != first_id


def test_logged_in_user_visiting_login_goes_home(client: FlaskClient, make_user) -> None:
    make_user("alice")
    login(client, "alice")

    response = client.get("/login")

    assert response.status_code == 302 and urlsplit(response.location).path == "/"


# --- throttling -----------------------------------------------------------------------------------


def test_sixth_bad_attempt_from_the_same_address_is_refused_even_with_the_right_password(
    client: FlaskClient, db: Session, make_user, clock: Clock
) -> None:
    make_user("alice")
    for attempt in range(5):
        assert post_login(client, "alice", f"wrong password {attempt}").status_code == 401

    response = post_login(client, "alice", PASSWORD)

    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 14 * 60 < retry_after <= 15 * 60
    assert alerts(response) == [
        "Too many failed logins. Wait 15 minutes and try again, or ask an admin to reset your password."
    ]
    assert redirected_to_login(client.get("/account"))

    clock.advance(seconds=retry_after)
    assert post_login(client, "alice", PASSWORD).status_code == 302


def test_a_stranger_elsewhere_cannot_lock_the_owner_out(client: FlaskClient, make_user) -> None:
    """Failures count per account *and* address first: the guesser is stopped, the owner is not."""
    make_user("alice")
    stranger = {"REMOTE_ADDR": "203.0.113.9"}
    for attempt in range(5):
        assert post_login(client, "alice", f"guess {attempt}", environ_base=stranger).status_code == 401
    assert post_login(client, "alice", "guess 6", environ_base=stranger).status_code == 429
    assert post_login(client, "alice", PASSWORD, environ_base=stranger).status_code == 429

    owner = post_login(client, "alice", PASSWORD, environ_base={"REMOTE_ADDR": "192.0.2.10"})

    assert owner.status_code == 302 and urlsplit(owner.location).path == "/"


def test_the_per_account_ceiling_holds_across_addresses(
    settings: Settings, session_factory: sessionmaker[Session], make_user
) -> None:
    """Guessing from many addresses still ends, for everybody: the documented price of the ceiling."""
    make_user("alice")
    client = make_app(settings, session_factory, login_max_failures_per_account=6).test_client()
    for host in range(3):
        for attempt in range(2):
            guesser = {"REMOTE_ADDR": f"203.0.113.{host}"}
            assert post_login(client, "alice", f"guess {attempt}", environ_base=guesser).status_code == 401

    owner = post_login(client, "alice", PASSWORD, environ_base={"REMOTE_ADDR": "192.0.2.10"})

    assert owner.status_code == 429
    assert "Too many failed logins. Wait 15 minutes" in alerts(owner)[0]
    # Another account is not affected.
    make_user("bob")
    assert post_login(client, "bob", PASSWORD, environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 302


def test_failures_by_user_name_and_by_email_count_for_the_same_account(client: FlaskClient, make_user) -> None:
    make_user("alice")
    for attempt in range(3):
        post_login(client, "alice", f"wrong password {attempt}")
    for attempt in range(2):
        post_login(client, "ALICE@example.org", f"wrong password {attempt}")

    assert post_login(client, "alice", PASSWORD).status_code == 429


def test_per_address_limit_holds_across_accounts(
    settings: Settings, session_factory: sessionmaker[Session], make_user
) -> None:
    make_user("alice")
    client = make_app(settings, session_factory, login_max_failures_per_address=3).test_client()
    for name in ("bob", "carol", "dave"):
        assert post_login(client, name, "guessing").status_code == 401

    response = post_login(client, "alice", PASSWORD)

    assert response.status_code == 429
    assert "Too many failed logins. Wait 15 minutes" in alerts(response)[0]
    # Another address is not affected.
    assert post_login(client, "alice", PASSWORD, environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 302


def test_limits_hold_across_two_workers_sharing_the_database(
    settings: Settings, session_factory: sessionmaker[Session], make_user
) -> None:
    make_user("alice")
    worker_a = make_app(settings, session_factory).test_client()
    worker_b = make_app(settings, session_factory).test_client()
    for attempt in range(3):
        assert post_login(worker_a, "alice", f"wrong {attempt}").status_code == 401
    for attempt in range(2):
        assert post_login(worker_b, "alice", f"wrong {attempt}").status_code == 401

    assert post_login(worker_a, "alice", PASSWORD).status_code == 429
    assert post_login(worker_b, "alice", PASSWORD).status_code == 429


def test_successful_logins_are_not_counted(client: FlaskClient, app: Flask, make_user) -> None:
    make_user("alice")
    for _ in range(7):  # more than the limit of 5
        browser = app.test_client()
        assert post_login(browser, "alice", PASSWORD).status_code == 302

    # Failures before a success do not add up with failures after it.
    for attempt in range(4):
        assert post_login(client, "alice", f"wrong {attempt}").status_code == 401
    assert post_login(app.test_client(), "alice", PASSWORD).status_code == 302
    for attempt in range(4):
        assert post_login(client, "alice", f"wrong again {attempt}").status_code == 401
    assert post_login(client, "alice", PASSWORD).status_code == 302


def test_rotating_x_forwarded_for_does_not_reset_the_limit_without_trusted_proxies(
    settings: Settings, session_factory: sessionmaker[Session], make_user
) -> None:
    make_user("alice")
    client = make_app(settings, session_factory, proxy_hops=0, login_max_failures_per_address=3).test_client()
    for i, name in enumerate(("bob", "carol", "dave")):
        post_login(client, name, "guessing", headers={"X-Forwarded-For": f"203.0.113.{i}"})

    response = post_login(client, "erin", "guessing", headers={"X-Forwarded-For": "198.51.100.99"})

    assert response.status_code == 429
    assert post_login(client, "alice", PASSWORD, headers={"X-Forwarded-For": "198.51.100.100"}).status_code == 429


def test_with_one_trusted_proxy_the_forwarded_address_is_the_client(
    settings: Settings, session_factory: sessionmaker[Session], make_user
) -> None:
    make_user("alice")
    client = make_app(settings, session_factory, proxy_hops=1, login_max_failures_per_address=3).test_client()
    for name in ("bob", "carol", "dave"):
        post_login(client, name, "guessing", headers={"X-Forwarded-For": "203.0.113.5"})

    assert post_login(client, "alice", PASSWORD, headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 429
    assert post_login(client, "alice", PASSWORD, headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 302


# --- redirect after login -----------------------------------------------------------------------

HOSTILE_NEXT = [
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "http:evil.example",
    "/%2F%2Fevil.example",
    "javascript:alert(1)",
    "%09//evil.example",
    "\t//evil.example",
    "/%5C%5Cevil.example",
    "///evil.example",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_never_redirects_off_site(client: FlaskClient, make_user, target: str) -> None:
    make_user("alice")
    page = client.get("/login", query_string={"next": target})
    assert "evil.example" not in page.text  # not even carried in the form's action

    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )

    assert response.status_code == 302
    location = urlsplit(response.location)
    assert location.netloc in ("", "localhost")
    assert location.path == "/"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_hostile_next_written_in_the_address_bar_is_ignored(client: FlaskClient, make_user, target: str) -> None:
    """The same values typed raw into the URL, so the server decodes them once."""
    make_user("alice")

    response = login(client, "alice", next_url=target)

    assert response.status_code == 302
    assert urlsplit(response.location).netloc in ("", "localhost")
    assert urlsplit(response.location).path == "/"


def test_a_page_on_this_site_is_kept_after_login(client: FlaskClient, make_user) -> None:
    make_user("alice")
    page = client.get("/login", query_string={"next": "/projects/nova?state=approved"})

    response = client.post(
        "/login",
        query_string={"next": "/projects/nova?state=approved"},
        data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )

    assert response.status_code == 302
    assert response.location == "/projects/nova?state=approved"


def test_login_required_page_comes_back_after_login(client: FlaskClient, make_user) -> None:
    make_user("alice")
    to_login = client.get("/account")
    assert redirected_to_login(to_login)

    form_page = client.get(to_login.location)
    action = re.search(r'<form method="post" action="([^"]+)"', form_page.text)
    assert action is not None
    response = client.post(
        action.group(1).replace("&amp;", "&"),
        data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_token(form_page.text)},
    )

    assert response.location == "/account"


# --- passwords ------------------------------------------------------------------------------------


def test_production_hash_is_argon2id_with_the_rfc_9106_parameters(db: Session) -> None:
    user = accounts.create_user(db, None, "prod", email="prod@example.org", role="operator",
                                password=PASSWORD, hasher=passwords.hasher(False))

    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in user.password_hash
    assert passwords.verify_password(user.password_hash, PASSWORD)
    assert not passwords.verify_password(user.password_hash, PASSWORD + "!")


def test_a_long_passphrase_works(client: FlaskClient, make_user) -> None:
    passphrase = "the quick brown fox jumps over the lazy dog while operators sleep soundly at night"
    assert len(passphrase) > 64
    make_user("alice", password=passphrase)

    assert post_login(client, "alice", passphrase).status_code == 302
    assert client.get("/account").status_code == 200


def test_a_long_passphrase_must_match_in_full(client: FlaskClient, make_user) -> None:
    passphrase = "x" * 70 + " and then the rest"
    make_user("alice", password=passphrase)

    assert post_login(client, "alice", passphrase[:64]).status_code == 401
    assert post_login(client, "alice", passphrase).status_code == 302


def test_too_short_password_is_rejected_naming_the_minimum(db: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        accounts.create_user(db, None, "shorty", email="shorty@example.org", role="operator",
                             password="short", hasher=passwords.hasher(True))

    assert caught.value.message == f"The password is too short: use at least {passwords.MIN_LENGTH} characters."
    assert db.scalar(select(User).where(User.username == "shorty")) is None


def test_too_short_new_password_on_the_account_page(client: FlaskClient, db: Session, make_user) -> None:
    user = make_user("alice")
    old_hash = user.password_hash
    login(client, "alice")
    page = client.get("/account")

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "short", "confirm": "short",
              "csrf_token": csrf_token(page.text)},
    )

    assert response.status_code == 400
    errors = re.search(r'id="new_password-errors">(.*?)</div>', response.text, flags=re.S)
    assert errors is not None and f"at least {passwords.MIN_LENGTH} characters" in errors.group(1)
    assert "The password was not changed: fix the fields marked below." in text_of(response.text)
    db.refresh(user)
    assert user.password_hash == old_hash


def test_cheap_hash_is_upgraded_at_the_next_login(db: Session, make_user, settings: Settings) -> None:
    user = make_user("alice")  # hashed with the cheap test parameters
    assert user.password_hash is not None and not user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    limits = accounts.LoginLimits()

    accounts.authenticate(db, "alice", PASSWORD, address="192.0.2.1", limits=limits, hasher=passwords.hasher(False))

    db.refresh(user)
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    again = accounts.authenticate(db, "alice", PASSWORD, address="192.0.2.1", limits=limits,
                                  hasher=passwords.hasher(False))
    assert again.id == user.id


def test_wrong_password_does_not_touch_the_stored_hash(db: Session, make_user) -> None:
    user = make_user("alice")
    before = user.password_hash
    db.commit()  # a failed login rolls back its caller's transaction (it holds nothing to keep)

    with pytest.raises(AuthenticationRequired, match="Wrong user name or password"):
        accounts.authenticate(db, "alice", "a wrong guess", address="192.0.2.1", limits=accounts.LoginLimits(),
                              hasher=passwords.hasher(False))

    db.refresh(user)
    assert user.password_hash == before


# --- the account page -----------------------------------------------------------------------------


def test_profile_update_is_saved_and_confirmed(client: FlaskClient, db: Session, make_user) -> None:
    user = make_user("alice")
    login(client, "alice")
    page = client.get("/account")

    response = client.post(
        "/account/profile",
        data={"display_name": "Alice from Ops", "timezone": "Europe/Paris", "csrf_token": csrf_token(page.text)},
        follow_redirects=True,
    )

    assert response.status_code == 200
    shown = text_of(response.text)
    assert "Profile saved." in shown
    assert "Alice from Ops operator" in shown  # the navigation uses the new name
    assert re.search(r'<option selected value="Europe/Paris">|<option value="Europe/Paris" selected>', response.text)
    db.refresh(user)
    assert (user.display_name, user.timezone) == ("Alice from Ops", "Europe/Paris")


def test_unknown_time_zone_is_refused(client: FlaskClient, db: Session, make_user) -> None:
    user = make_user("alice")
    login(client, "alice")
    page = client.get("/account")

    response = client.post(
        "/account/profile",
        data={"display_name": "Alice", "timezone": "Mars/Olympus", "csrf_token": csrf_token(page.text)},
    )

    assert response.status_code == 400
    assert "The profile was not saved: fix the fields marked below." in text_of(response.text)
    db.refresh(user)
    assert user.timezone == "UTC" and user.display_name == ""


def test_profile_form_ignores_fields_it_does_not_declare(client: FlaskClient, db: Session, make_user) -> None:
    user = make_user("alice")
    login(client, "alice")
    page = client.get("/account")

    client.post(
        "/account/profile",
        data={"display_name": "Alice", "timezone": "UTC", "role": "admin", "is_admin": "1", "username": "x",
              "email": "mallory@example.org", "is_active": "0", "password_hash": "x", "id": "999",
              "csrf_token": csrf_token(page.text)},
    )

    db.refresh(user)
    assert (user.username, user.role, user.email, user.is_active) == ("alice", "operator", "alice@example.org", True)
    assert db.get(User, 999) is None
    assert user.display_name == "Alice"
    assert passwords.verify_password(user.password_hash, PASSWORD, testing=True)
    assert "role operator" in text_of(client.get("/account").text)


def test_dates_are_shown_in_the_users_time_zone(client: FlaskClient, db: Session, make_user) -> None:
    user = make_user("alice")
    set_clock(lambda: datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    try:
        accounts.create_api_token(db, user, "laptop")
        db.flush()
    finally:
        set_clock(None)
    login(client, "alice")
    assert "2026-01-15 12:00 UTC" in text_of(client.get("/account").text)

    page = client.get("/account")
    client.post("/account/profile",
                data={"display_name": "", "timezone": "America/New_York", "csrf_token": csrf_token(page.text)})

    shown = text_of(client.get("/account").text)
    assert "2026-01-15 07:00 EST" in shown
    assert "12:00 UTC" not in shown


def test_account_page_needs_a_login(client: FlaskClient) -> None:
    response = client.get("/account", follow_redirects=True)

    assert "Please log in to see that page." in text_of(response.text)
    assert response.request.path == "/login"

