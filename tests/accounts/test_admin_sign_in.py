"""The admin's side: which sign-in methods are on, a real test of their configuration, linked identities, roles."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import AuditLog, ExternalIdentity, IdentityKind, Role, User
from tests.accounts.conftest import oidc_round_trip
from tests.support.factories import login
from tests.support.html import csrf_token, text_of
from tests.support.oidc_provider import CLIENT_SECRET
from tests.support.slapd import PASSWORDS, SERVICE_PASSWORD, dn_of


@pytest.fixture
def both(provider, slapd_directory) -> dict[str, object]:
    return provider.settings() | slapd_directory.settings()


@pytest.fixture
def admin_client(make_client, make_user, both):
    def make(**overrides: object):
        client = make_client(**(both | overrides))
        assert login(client, "ada").status_code == 302
        return client

    make_user("ada", role="admin")
    return make


def test_the_page_says_which_methods_are_on_and_never_shows_secrets(admin_client, make_client, make_user) -> None:
    page = admin_client().get("/admin/sign-in")
    text = text_of(page.text)
    assert "Local accounts on" in text and "OpenID Connect on" in text and "LDAP on" in text
    assert "Redirect URI to register at the provider http://localhost/login/oidc/callback" in text
    assert CLIENT_SECRET not in page.text and SERVICE_PASSWORD not in page.text

    local_only = make_client()
    assert login(local_only, "ada").status_code == 302
    text = text_of(local_only.get("/admin/sign-in").text)
    assert "OpenID Connect off" in text and "LDAP off" in text


def test_the_configuration_test_passes_against_real_servers_and_looks_a_user_up(admin_client) -> None:
    client = admin_client()
    page = client.get("/admin/sign-in")
    result = client.post("/admin/sign-in/test", data={"csrf_token": csrf_token(page.text), "username": "alice"})
    text = text_of(result.text)
    assert result.status_code == 200 and "Every check passed." in text
    assert "issuer matches" in text and "signing key(s)" in text and "bind the service account" in text
    assert f"found {dn_of('alice')}" in text and "mapped role reviewer" in text


def test_a_broken_configuration_names_what_to_fix(admin_client) -> None:
    client = admin_client(oidc_issuer="http://127.0.0.1:9", ldap_bind_password="wrong", http_retries=0)
    page = client.get("/admin/sign-in")
    text = text_of(client.post("/admin/sign-in/test", data={"csrf_token": csrf_token(page.text)}).text)
    assert "Some checks failed" in text
    assert "The sign-in provider could not be reached" in text and "PORTAL_OIDC_ISSUER" in text
    assert "PORTAL_LDAP_BIND_DN and PORTAL_LDAP_BIND_PASSWORD" in text


def test_admin_sees_and_removes_a_link(admin_client, make_client, provider, both, db) -> None:
    provider.set_user("sub-lin", preferred_username="lin")
    browser = make_client(**both)
    _, callback = oidc_round_trip(browser, "sub-lin")
    assert browser.get(callback).status_code == 302
    client = admin_client()
    page = client.get("/admin/users/lin")
    assert "OpenID Connect lin" in text_of(page.text)
    identity = db.scalar(select(ExternalIdentity).where(ExternalIdentity.subject == "sub-lin"))
    assert identity is not None
    done = client.post(f"/admin/users/lin/identities/{identity.id}/remove", data={"csrf_token": csrf_token(page.text)})
    assert done.status_code == 302
    text = text_of(client.get("/admin/users/lin").text)
    assert "no longer signs in to lin" in text and "now has no way to sign in" in text
    assert db.scalar(select(ExternalIdentity).where(ExternalIdentity.subject == "sub-lin")) is None
    assert db.scalar(select(AuditLog).where(AuditLog.action == "identity.unlinked")) is not None


def test_a_manual_role_change_of_a_mapped_user_is_refused_with_the_reason(admin_client, make_client, both, db) -> None:
    alice = make_client(**both)
    assert login(alice, "alice", PASSWORDS["alice"]).status_code == 302
    client = admin_client()
    page = client.get("/admin/users/alice")
    assert "role comes from the LDAP directory group mapping" in text_of(page.text)
    refused = client.post("/admin/users/alice/role", data={"csrf_token": csrf_token(page.text), "role": "admin"})
    assert refused.status_code == 409
    text = text_of(refused.text)
    assert "Nothing was changed: alice's role comes from the LDAP directory group mapping at each sign-in" in text
    assert "PORTAL_LDAP_GROUP_ROLES" in text
    db.expire_all()
    user = db.scalar(select(User).where(User.username == "alice"))
    assert user is not None and user.role == Role.REVIEWER and user.role_source == IdentityKind.LDAP


def test_without_a_mapping_admins_set_roles_again(admin_client, make_client, both, db) -> None:
    """A mapping removed from the settings stops deciding at the user's next sign-in."""
    assert login(make_client(**both), "carla", PASSWORDS["carla"]).status_code == 302
    unmapped = both | {"ldap_group_roles": {}}
    assert login(make_client(**unmapped), "carla", PASSWORDS["carla"]).status_code == 302
    client = admin_client(**unmapped)
    page = client.get("/admin/users/carla")
    changed = client.post("/admin/users/carla/role", data={"csrf_token": csrf_token(page.text), "role": "reviewer"})
    assert changed.status_code == 302
    assert "carla is now reviewer (was admin)" in text_of(client.get("/admin/users/carla").text)


def test_mapped_ptl_duties_cannot_be_changed_by_hand(admin_client, make_client, make_project, both, db) -> None:
    make_project("nova")
    make_project("cinder")
    mapped = both | {"ldap_group_roles": {"cn=nova-core,ou=groups,dc=example,dc=org": "ptl:nova"}}
    assert login(make_client(**mapped), "alice", PASSWORDS["alice"]).status_code == 302
    client = admin_client(**mapped)
    page = client.get("/admin/users/alice")
    refused = client.post("/admin/users/alice/ptl", data={"csrf_token": csrf_token(page.text), "projects": "cinder"})
    assert refused.status_code == 409
    assert "PTL duties come from the LDAP directory group mapping" in text_of(refused.text)
