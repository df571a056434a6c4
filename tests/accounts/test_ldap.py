"""LDAP sign-in through the ordinary login form, against a real slapd on 127.0.0.1 (tests/support/slapd.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts import ldap
from portal.accounts import service as accounts
from portal.models import AuditLog, ExternalIdentity, IdentityKind, LoginAttempt, Role, User
from portal.settings import Settings
from tests.support.factories import PASSWORD, login
from tests.support.html import csrf_token, text_of
from tests.support.slapd import PASSWORDS, PEOPLE, Directory, dn_of


@pytest.fixture
def directory(slapd_directory: Directory) -> Directory:
    return slapd_directory


@pytest.fixture
def browser(make_client, directory):
    """A new browser (no cookies) on the app with this directory configured."""
    return lambda: make_client(**directory.settings())


@pytest.fixture
def client(browser):
    return browser()


def _config(directory: Directory, tmp_path, **changes: object) -> ldap.DirectoryConfig:
    config = ldap.DirectoryConfig.from_settings(Settings.for_testing(tmp_path, **directory.settings(**changes)))
    assert config is not None
    return config


def _user(db: Session, username: str) -> User | None:
    db.expire_all()
    return db.scalar(select(User).where(User.username == username))


def test_first_sign_in_over_ldaps_creates_the_account_with_its_mapped_role(client, directory, db) -> None:
    response = login(client, "alice", PASSWORDS["alice"])
    assert response.status_code == 302
    assert "Welcome, Alice Example" in text_of(client.get("/").text)
    user = _user(db, "alice")
    assert user is not None and user.password_hash is None
    assert (user.email, user.role, user.role_source) == ("alice@corp.example.org", Role.REVIEWER, IdentityKind.LDAP)
    identity = db.scalar(select(ExternalIdentity).where(ExternalIdentity.user_id == user.id))
    assert identity is not None
    assert (identity.kind, identity.issuer, identity.subject) == (IdentityKind.LDAP, "127.0.0.1",
                                                                  dn_of("alice").lower())
    audit = db.scalars(select(AuditLog).where(AuditLog.action == "user.login", AuditLog.actor_id == user.id)).all()
    assert [a.details["method"] for a in audit] == ["ldap"]
    assert all(PASSWORDS["alice"] not in str(a.details) for a in db.scalars(select(AuditLog)))


@pytest.mark.parametrize("mode", ["starttls", "plain"])
def test_ldap_urls_use_starttls_and_plain_binds_only_when_allowed(make_client, directory, db, mode) -> None:
    if mode == "starttls":
        client = make_client(**directory.settings(ldap_url=directory.ldap_url))
    else:
        client = make_client(**directory.settings(ldap_url=directory.ldap_url, ldap_allow_plain=True, ldap_ca_file=""))
    assert login(client, "bruno", PASSWORDS["bruno"]).status_code == 302


def test_starttls_really_checks_the_certificate(make_client, directory) -> None:
    """Without the test CA, the ldap:// URL fails at StartTLS: TLS is not optional."""
    client = make_client(**directory.settings(ldap_url=directory.ldap_url, ldap_ca_file=""))
    page = login(client, "bruno", PASSWORDS["bruno"])
    assert page.status_code == 503 and "The directory is unreachable" in text_of(page.text)


def test_a_wrong_password_is_refused_and_counted(client, directory, db) -> None:
    page = login(client, "alice", "not her password")
    assert page.status_code == 401
    assert "Wrong user name or password" in text_of(page.text)
    assert db.scalar(select(LoginAttempt).where(LoginAttempt.username == "alice",
                                                LoginAttempt.succeeded.is_(False))) is not None
    assert _user(db, "alice") is None


@pytest.mark.parametrize("typed", ["al*", "*", "alice)(uid=*", "*)(|(uid=*", "alice\\2a", "alice)(|(objectClass=*)"])
def test_filter_injection_finds_nobody(client, directory, db, typed) -> None:
    """Unescaped, ``al*`` would match alice and her password would sign in; escaped it is a literal name."""
    page = login(client, typed, PASSWORDS["alice"])
    assert page.status_code == 401
    assert _user(db, "alice") is None


def test_the_filter_is_escaped(directory, tmp_path) -> None:
    config = _config(directory, tmp_path)
    assert ldap.user_filter(config, "al*)(uid=*") == r"(uid=al\2a\29\28uid=\2a)"
    assert ldap.authenticate(config, "alice", "") is None  # an empty password is never sent as a bind


def test_a_disabled_user_cannot_sign_in(client, browser, directory, db) -> None:
    assert login(client, "bruno", PASSWORDS["bruno"]).status_code == 302
    accounts.disable_user(db, None, _user(db, "bruno"))  # type: ignore[arg-type]
    db.flush()
    page = login(browser(), "bruno", PASSWORDS["bruno"])
    assert page.status_code == 401 and "This account is disabled" in text_of(page.text)


def test_group_mapping_changes_on_next_sign_in(client, browser, directory, db) -> None:
    assert login(client, "dan", PASSWORDS["dan"]).status_code == 302
    assert _user(db, "dan").role == Role.OPERATOR  # type: ignore[union-attr]
    directory.add_member("bob-admins", "dan")
    try:
        assert login(browser(), "dan", PASSWORDS["dan"]).status_code == 302
        assert _user(db, "dan").role == Role.ADMIN  # type: ignore[union-attr]
    finally:
        directory.remove_member("bob-admins", "dan")
    assert login(browser(), "dan", PASSWORDS["dan"]).status_code == 302
    assert _user(db, "dan").role == Role.OPERATOR  # type: ignore[union-attr]


def test_member_of_and_ptl_mapping(make_client, directory, make_project, db) -> None:
    make_project("nova")
    groups = {"cn=ops,ou=groups,dc=example,dc=org": "reviewer", "cn=nova-core,ou=groups,dc=example,dc=org": "ptl:nova"}
    client = make_client(**directory.settings(ldap_group_base="", ldap_group_roles=groups))
    assert login(client, "alice", PASSWORDS["alice"]).status_code == 302
    user = accounts.get_user_with_duties(db, "alice")
    assert user.role == Role.REVIEWER and [p.name for p in user.ptl_of] == ["nova"]
    assert user.duties_source == IdentityKind.LDAP


def test_an_outage_refuses_directory_accounts_with_a_clear_message_local_ones_still_work(
    make_client, directory, make_user, db
) -> None:
    make_user("olga")  # a purely local account
    client = make_client(**directory.settings(ldap_url=f"ldaps://127.0.0.1:{directory.dead_port}"))
    page = login(client, "alice", PASSWORDS["alice"])
    assert page.status_code == 503
    message = text_of(page.text)
    assert "The directory is unreachable, so directory accounts cannot sign in right now" in message
    assert "local accounts still can" in message
    assert login(client, "olga", PASSWORD).status_code == 302
    # Not a failed login: an outage must not lock people out.
    assert db.scalar(select(LoginAttempt).where(LoginAttempt.username == "alice")) is None


def test_a_directory_name_equal_to_a_local_account_signs_in_only_once_an_admin_links_them(
    client, browser, directory, make_user, db
) -> None:
    olga = make_user("olga")  # local password PASSWORD; the directory has an olga with another password
    page = login(client, "olga", PASSWORDS["olga"])
    assert page.status_code == 401
    assert "An account here (olga) already uses the name olga" in text_of(page.text)
    assert login(browser(), "olga", PASSWORD).status_code == 302  # the local password still works

    admin = make_user("ada", role="admin")
    client = browser()
    assert login(client, admin.username).status_code == 302
    page = client.get("/admin/users/olga")
    linked = client.post("/admin/users/olga/identities/ldap",
                         data={"csrf_token": csrf_token(page.text), "username": "olga"})
    assert linked.status_code == 302
    page = client.get("/admin/users/olga")
    assert f"{dn_of('olga')} now signs in to olga" in text_of(page.text)

    olga_browser = browser()
    assert login(olga_browser, "olga", PASSWORDS["olga"]).status_code == 302
    assert "Welcome, olga" in text_of(olga_browser.get("/").text)
    # Linked to the directory: the directory decides, the old local password no longer signs in.
    assert login(browser(), "olga", PASSWORD).status_code == 401
    assert db.scalar(select(ExternalIdentity).where(ExternalIdentity.user_id == olga.id)) is not None


def test_a_linked_account_has_no_local_fallback_in_an_outage(make_client, directory, make_user, db) -> None:
    olga = make_user("olga")
    db.add(ExternalIdentity(user_id=olga.id, kind=IdentityKind.LDAP, issuer="127.0.0.1",
                            subject=dn_of("olga").lower(), label=dn_of("olga")))
    db.flush()
    client = make_client(**directory.settings(ldap_url=f"ldaps://127.0.0.1:{directory.dead_port}"))
    page = login(client, "olga", PASSWORD)
    assert page.status_code == 503 and "The directory is unreachable" in text_of(page.text)


def test_the_email_of_a_local_account_is_not_merged(client, directory, make_user, db) -> None:
    make_user("bruno.local").email = "bruno@corp.example.org"
    db.flush()
    page = login(client, "bruno", PASSWORDS["bruno"])
    assert page.status_code == 401
    assert "An account here (bruno.local) already uses the address bruno@corp.example.org" in text_of(page.text)
    assert _user(db, "bruno") is None


def test_find_account_and_the_check_use_the_service_account(directory, tmp_path) -> None:
    config = _config(directory, tmp_path)
    found = ldap.find_account(config, "carla")
    assert found is not None and found.dn == dn_of("carla")
    assert all(r.ok for r in ldap.check(config))
    bad = ldap.check(_config(directory, tmp_path, ldap_bind_password="wrong"))
    assert not bad[-1].ok and "PORTAL_LDAP_BIND_PASSWORD" in bad[-1].message
    untrusted = ldap.check(_config(directory, tmp_path, ldap_ca_file=""))
    assert not untrusted[0].ok and "PORTAL_LDAP_CA_FILE" in untrusted[0].message
    assert PEOPLE in ldap.check(config)[-1].step


def test_directory_sign_ins_are_throttled_like_local_ones(make_client, directory) -> None:
    client = make_client(**directory.settings(login_max_failures_per_account_and_address=2))
    for _ in range(2):
        assert login(client, "bruno", "wrong").status_code == 401
    page = login(client, "bruno", PASSWORDS["bruno"])  # the right password, but too late
    assert page.status_code == 429 and "Too many failed logins" in text_of(page.text)
