"""OpenID Connect sign-in against a real provider on 127.0.0.1 (tests/support/oidc_provider.py)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts import service as accounts
from portal.clock import set_clock
from portal.models import AuditLog, ExternalIdentity, IdentityKind, LoginAttempt, Role, User
from tests.accounts.conftest import oidc_round_trip, path_and_query, query_of
from tests.support.factories import login
from tests.support.html import csrf_token, text_of
from tests.support.oidc_provider import CLIENT_ID, sign_in_at_provider


@pytest.fixture
def client(make_client, provider):
    return make_client(**provider.settings())


def _identity(db: Session, sub: str) -> ExternalIdentity | None:
    return db.scalar(select(ExternalIdentity).where(ExternalIdentity.subject == sub))


def test_login_page_offers_the_provider(client, provider) -> None:
    page = client.get("/login")
    assert "Sign in with 127.0.0.1" in text_of(page.text)


def test_first_sign_in_creates_the_account_from_issuer_and_sub_then_finds_it_again(client, provider, db) -> None:
    provider.set_user("sub-rey", preferred_username="Rey", email="rey@ops.example.org", email_verified=True,
                      name="Rey Operator")
    authorize, callback = oidc_round_trip(client, "sub-rey")
    asked = query_of(authorize)
    assert asked["response_type"] == "code" and asked["client_id"] == CLIENT_ID
    assert asked["code_challenge_method"] == "S256" and asked["state"] and asked["nonce"]
    assert asked["redirect_uri"] == "http://localhost/login/oidc/callback"

    done = client.get(callback)
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert "You are logged in with 127.0.0.1" in text_of(client.get("/").text)
    identity = _identity(db, "sub-rey")
    assert identity is not None and identity.kind == IdentityKind.OIDC and identity.issuer == provider.url
    user = db.get(User, identity.user_id)
    assert user is not None
    assert (user.username, user.email, user.display_name, user.password_hash) == (
        "rey", "rey@ops.example.org", "Rey Operator", None)
    # PKCE: the token request carried the verifier of the challenge sent to the provider.
    verifier = provider.token_requests[-1]["code_verifier"]
    assert base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode() == \
        asked["code_challenge"]
    login_audit = db.scalars(select(AuditLog).where(AuditLog.action == "user.login",
                                                    AuditLog.actor_id == user.id)).all()
    assert [a.details["method"] for a in login_audit] == ["oidc"]

    client.post("/logout", data={"csrf_token": csrf_token(client.get("/account").text)})
    assert client.get("/account").status_code == 302  # the BOB session ended
    _, again = oidc_round_trip(client, "sub-rey")
    assert client.get(again).status_code == 302
    assert db.scalars(select(User).where(User.username.like("rey%"))).all() == [user]


def test_a_forged_state_is_refused_before_any_token_request(client, provider, db) -> None:
    provider.set_user("sub-mallory", preferred_username="mallory")
    _, callback = oidc_round_trip(client, "sub-mallory")
    forged = callback.replace("state=", "state=forged")
    before = len(provider.token_requests)
    page = client.get(forged)
    assert page.status_code == 401
    assert "does not match the sign-in started in this browser" in text_of(page.text)
    assert len(provider.token_requests) == before
    assert _identity(db, "sub-mallory") is None
    assert db.scalar(select(LoginAttempt).where(LoginAttempt.succeeded.is_(False))) is not None


def test_an_answer_without_a_sign_in_started_in_this_browser_is_refused(make_client, client, provider) -> None:
    provider.set_user("sub-victim", preferred_username="victim")
    _, callback = oidc_round_trip(client, "sub-victim")
    other_browser = make_client(**provider.settings())
    page = other_browser.get(callback)
    assert page.status_code == 401 and "already used" in text_of(page.text)


def test_a_replayed_code_is_refused(client, make_client, provider, db) -> None:
    provider.set_user("sub-finn", preferred_username="finn")
    _, callback = oidc_round_trip(client, "sub-finn")
    assert client.get(callback).status_code == 302
    # The same answer again in the same browser: its state was used up.
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/account").text)})
    assert client.get(callback).status_code == 401
    # A stolen code pasted into a sign-in of one's own (a fresh, valid state): the provider refuses the code.
    thief = make_client(**provider.settings())
    authorize = thief.get("/login/oidc").headers["Location"]
    page = thief.get(f"/login/oidc/callback?code={query_of(callback)['code']}&state={query_of(authorize)['state']}")
    assert page.status_code == 401
    assert "refused to complete this sign-in" in text_of(page.text)
    assert thief.get("/account").status_code == 302


def test_a_token_signed_with_another_key_is_refused(client, provider, db) -> None:
    provider.set_user("sub-forged", preferred_username="forged")
    provider.tamper = "other-key"
    _, callback = oidc_round_trip(client, "sub-forged")
    page = client.get(callback)
    assert page.status_code == 401
    assert "signature does not match the provider's keys" in text_of(page.text)
    assert _identity(db, "sub-forged") is None


def test_an_expired_token_is_refused(client, provider, db) -> None:
    provider.set_user("sub-late", preferred_username="late")
    provider.tamper = "expired"
    _, callback = oidc_round_trip(client, "sub-late")
    page = client.get(callback)
    assert page.status_code == 401 and "it has expired" in text_of(page.text)
    assert _identity(db, "sub-late") is None


@pytest.mark.parametrize(("skew", "accepted"), [(timedelta(seconds=-90), True), (timedelta(minutes=-10), False)])
def test_a_small_clock_skew_is_tolerated_a_large_one_is_not(client, provider, db, skew, accepted) -> None:
    """BOB's clock behind the provider's: the token's iat is in BOB's future."""
    provider.set_user("sub-skew", preferred_username="skew")
    authorize, callback = oidc_round_trip(client, "sub-skew")
    set_clock(lambda: datetime.now(UTC) + skew)
    try:
        status = client.get(callback).status_code
    finally:
        set_clock(None)
    assert status == (302 if accepted else 401)


def test_the_email_of_a_local_account_is_not_merged_the_owner_links_it(client, provider, make_user, db) -> None:
    olga = make_user("olga")  # olga@example.org, a local account with a password
    db.flush()
    provider.set_user("sub-olga", preferred_username="olga.o", email="olga@example.org", email_verified=True)
    _, callback = oidc_round_trip(client, "sub-olga")
    page = client.get(callback)
    assert page.status_code == 401
    message = text_of(page.text)
    assert "An account here (olga) already uses the address olga@example.org" in message
    assert "log in with its password and link this identity on your account page" in message
    assert _identity(db, "sub-olga") is None

    assert login(client, "olga").status_code == 302
    account = client.get("/account")
    assert "Link your 127.0.0.1 identity" in text_of(account.text)
    start = client.post("/account/identities/oidc", data={"csrf_token": csrf_token(account.text)})
    assert start.status_code == 302
    done = client.get(path_and_query(sign_in_at_provider(start.headers["Location"], "sub-olga")))
    assert done.status_code == 302 and done.headers["Location"] == "/account"
    page = client.get("/account")
    assert "Linked olga@example.org" in text_of(page.text)
    assert _identity(db, "sub-olga").user_id == olga.id  # type: ignore[union-attr]

    client.post("/logout", data={"csrf_token": csrf_token(page.text)})
    _, callback = oidc_round_trip(client, "sub-olga")
    assert client.get(callback).status_code == 302
    assert "olga" in text_of(client.get("/account").text)


def test_an_identity_of_another_account_cannot_be_linked(client, provider, make_user, db) -> None:
    provider.set_user("sub-taken", preferred_username="taken")
    _, callback = oidc_round_trip(client, "sub-taken")
    assert client.get(callback).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/account").text)})
    make_user("poe")
    assert login(client, "poe").status_code == 302
    start = client.post("/account/identities/oidc", data={"csrf_token": csrf_token(client.get("/account").text)})
    client.get(path_and_query(sign_in_at_provider(start.headers["Location"], "sub-taken")))
    assert "already signs in to another account (taken)" in text_of(client.get("/account").text)


def test_a_disabled_user_cannot_sign_in(client, provider, db) -> None:
    provider.set_user("sub-dora", preferred_username="dora")
    _, callback = oidc_round_trip(client, "sub-dora")
    assert client.get(callback).status_code == 302
    user = db.get(User, _identity(db, "sub-dora").user_id)  # type: ignore[union-attr]
    accounts.disable_user(db, None, user)  # type: ignore[arg-type]
    db.flush()
    assert client.get("/account").status_code == 302  # the session died with the account
    _, callback = oidc_round_trip(client, "sub-dora")
    page = client.get(callback)
    assert page.status_code == 401 and "This account is disabled" in text_of(page.text)


def test_the_roles_claim_decides_role_and_duties_at_each_sign_in(make_client, provider, make_project, db) -> None:
    make_project("nova")
    client = make_client(**provider.settings(
        oidc_roles_claim="groups", oidc_group_roles={"/bob-reviewers": "reviewer", "/nova-ptl": "ptl:nova"}))
    provider.set_user("sub-rita", preferred_username="rita", groups=["/bob-reviewers", "/nova-ptl", "/other"])
    _, callback = oidc_round_trip(client, "sub-rita")
    assert client.get(callback).status_code == 302
    user = accounts.get_user_with_duties(db, "rita")
    assert user.role == Role.REVIEWER and [p.name for p in user.ptl_of] == ["nova"]
    assert user.role_source == IdentityKind.OIDC

    provider.set_user("sub-rita", preferred_username="rita", groups=["/other"])
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/account").text)})
    _, callback = oidc_round_trip(client, "sub-rita")
    assert client.get(callback).status_code == 302
    db.expire_all()
    user = accounts.get_user_with_duties(db, "rita")
    assert user.role == Role.OPERATOR and user.ptl_of == []


def test_an_unverified_email_is_not_copied(client, provider, db) -> None:
    provider.set_user("sub-unv", preferred_username="unv", email="someone@example.org", email_verified=False)
    _, callback = oidc_round_trip(client, "sub-unv")
    assert client.get(callback).status_code == 302
    assert db.get(User, _identity(db, "sub-unv").user_id).email is None  # type: ignore[union-attr]


def test_a_taken_user_name_gets_a_suffix(client, provider, make_user, db) -> None:
    make_user("kim")
    provider.set_user("sub-kim", preferred_username="kim")
    _, callback = oidc_round_trip(client, "sub-kim")
    assert client.get(callback).status_code == 302
    assert db.get(User, _identity(db, "sub-kim").user_id).username == "kim-2"  # type: ignore[union-attr]


def test_an_unreachable_provider_says_so(make_client, provider) -> None:
    client = make_client(**provider.settings(oidc_issuer="http://127.0.0.1:9", http_retries=0))
    page = client.get("/login/oidc")
    assert page.status_code == 502
    assert "The sign-in provider could not be reached" in text_of(page.text)
    assert "PORTAL_OIDC_ISSUER" in text_of(page.text)


def test_failed_answers_are_throttled_per_address(make_client, provider) -> None:
    client = make_client(**provider.settings(login_max_failures_per_address=2))
    for _ in range(2):
        assert client.get("/login/oidc/callback?code=x&state=y").status_code == 401
    page = client.get("/login/oidc/callback?code=x&state=y")
    assert page.status_code == 429 and "Too many failed logins" in text_of(page.text)


def test_a_local_account_can_remove_its_link_but_an_external_only_one_keeps_its_last(client, provider, db) -> None:
    provider.set_user("sub-only", preferred_username="only")
    _, callback = oidc_round_trip(client, "sub-only")
    assert client.get(callback).status_code == 302
    identity = _identity(db, "sub-only")
    page = client.get("/account")
    answer = client.post(f"/account/identities/{identity.id}/remove",  # type: ignore[union-attr]
                         data={"csrf_token": csrf_token(page.text)})
    assert answer.status_code == 409
    assert "only way you sign in" in text_of(answer.text)
    assert _identity(db, "sub-only") is not None
