"""Self sign-up, address confirmation and password reset, with mail through a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from portal.clock import set_clock
from portal.models import User
from tests.support.factories import PASSWORD, login
from tests.support.html import csrf_token

NEW_PASSWORD = "a-brand-new-secret-42"


def post_form(client, url: str, data: dict[str, str]):
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def sign_up(client, username: str = "newop", email: str = "newop@example.org"):
    return post_form(client, "/signup", {"username": username, "email": email, "password": PASSWORD,
                                         "confirm": PASSWORD})


def user_named(db, username: str) -> User:
    db.expire_all()
    user = db.scalar(select(User).where(User.username == username))
    assert user is not None
    return user


# --- sign-up -----------------------------------------------------------------------------------


def test_signup_is_a_404_saying_why_when_off(client, settings) -> None:
    object.__setattr__(settings, "self_signup", False)
    response = client.get("/signup")
    assert response.status_code == 404
    assert "ask your portal admin to create an account" in text(response)
    assert "Create an account" not in text(client.get("/login"))


def test_signup_mails_a_link_that_activates_the_account(client, db, inbox) -> None:
    assert "Create an account" in text(client.get("/login"))
    response = sign_up(client)
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "We mailed a confirmation link to newop@example.org" in text(page)

    user = user_named(db, "newop")
    assert user.is_active is False and user.email_verified_at is None and user.role == "operator"
    assert login(client, "newop").status_code != 302  # not before the address is confirmed

    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["To"] == "newop@example.org" and mail["Subject"] == "Confirm your address for BOB"
    # Opening the link (as a mail scanner does) changes nothing; the button on that page confirms.
    opened = client.get(inbox.link())
    assert opened.status_code == 200 and "Confirm my address" in text(opened)
    assert user_named(db, "newop").email_verified_at is None
    confirmed = post_form(client, inbox.link(), {})
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith("/login")
    assert "Your address is confirmed" in text(client.get("/login"))
    user = user_named(db, "newop")
    assert user.is_active is True and user.email_verified_at is not None
    assert login(client, "newop").status_code == 302
    assert client.get(inbox.link()).status_code == 302  # following it again is harmless: "already confirmed"


def test_signup_keeps_what_was_typed_and_says_what_is_wrong(client, db, make_user, inbox) -> None:
    make_user("taken")
    response = sign_up(client, username="taken", email="other@example.org")
    assert response.status_code == 409
    body = text(response)
    assert "User 'taken' already exists" in body
    assert 'value="other@example.org"' in body
    assert inbox.messages == []


def test_a_tampered_or_expired_confirmation_link_gets_a_clear_page(client, db, inbox) -> None:
    sign_up(client)
    link = inbox.link()
    tampered = client.get(link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb"))
    assert tampered.status_code == 400
    assert "This confirmation link is not valid" in text(tampered)
    set_clock(lambda: datetime.now(UTC) + timedelta(days=3))
    try:
        expired = client.get(link)
    finally:
        set_clock(None)
    assert expired.status_code == 400
    assert "has expired" in text(expired)
    assert user_named(db, "newop").is_active is False


def test_smtp_down_at_signup_says_so_and_the_account_is_kept(client, db, settings) -> None:
    from tests.signup.conftest import free_port

    object.__setattr__(settings, "smtp_port", free_port())  # nothing listens there
    response = sign_up(client)
    page = client.get(response.headers["Location"])
    assert "the mail could not be sent" in text(page)
    assert "Try again later" in text(page)
    assert user_named(db, "newop").email == "newop@example.org"


# --- password reset ----------------------------------------------------------------------------


def ask_reset(client, email: str):
    response = post_form(client, "/password/reset", {"email": email})
    assert response.status_code == 302, text(response)
    return text(client.get(response.headers["Location"]))


def test_reset_answers_the_same_for_unknown_and_known_addresses(client, make_user, inbox) -> None:
    make_user("alice")
    unknown = ask_reset(client, "nobody@example.org")
    known = ask_reset(client, "alice@example.org")
    assert unknown.replace("nobody@", "X@") == known.replace("alice@", "X@")
    assert "If an account has the address" in known
    assert [m["To"] for m in inbox.messages] == ["alice@example.org"]


def test_reset_link_sets_a_new_password_once(client, db, make_user, inbox) -> None:
    make_user("alice")
    ask_reset(client, "alice@example.org")
    link = inbox.link()
    short = post_form(client, link, {"password": "short", "confirm": "short"})
    assert short.status_code == 400 and "Too short: use at least 10 characters" in text(short)

    done = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert login(client, "alice", NEW_PASSWORD).status_code == 302

    again = client.get(link)
    assert again.status_code == 400 and "has been used already" in text(again)


def test_reset_link_expires_after_an_hour(client, make_user, inbox) -> None:
    make_user("alice")
    ask_reset(client, "alice@example.org")
    set_clock(lambda: datetime.now(UTC) + timedelta(minutes=61))
    try:
        response = client.get(inbox.link())
    finally:
        set_clock(None)
    assert response.status_code == 400
    assert "This password reset link has expired" in text(response)


def test_reset_requests_are_rate_limited_like_logins(client, settings, inbox) -> None:
    limit = settings.login_max_failures_per_account_and_address
    for _ in range(limit):
        ask_reset(client, "nobody@example.org")
    response = post_form(client, "/password/reset", {"email": "nobody@example.org"})
    assert response.status_code == 429
    assert "Too many password reset requests" in text(response)
    assert response.headers["Retry-After"]


@pytest.mark.parametrize("path", ["/password/reset/garbage", "/verify/garbage"])
def test_garbage_links_are_refused_with_a_page_saying_what_to_do(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert "Copy the whole link" in text(response)
