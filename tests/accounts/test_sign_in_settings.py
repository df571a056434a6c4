"""Sign-in settings: combinations that cannot work stop start-up with what to set; secrets stay hidden."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.errors import SettingsError
from portal.settings import load_settings


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"PORTAL_OIDC_ISSUER": "https://id.example.org"}, "PORTAL_OIDC_CLIENT_ID is not"),
        ({"PORTAL_OIDC_ISSUER": "http://id.example.org", "PORTAL_OIDC_CLIENT_ID": "bob",
          "PORTAL_OIDC_ALLOW_HTTP": "true"}, "only for a loopback address"),
        ({"PORTAL_OIDC_ISSUER": "http://127.0.0.1:8080", "PORTAL_OIDC_CLIENT_ID": "bob"}, "PORTAL_OIDC_ALLOW_HTTP"),
        ({"PORTAL_LDAP_URL": "ldaps://ldap.example.org"}, "PORTAL_LDAP_USER_BASE is not"),
        ({"PORTAL_LDAP_URL": "https://ldap.example.org"}, "ldap_url"),
        ({"PORTAL_LDAP_USER_FILTER": "(uid=%s)"}, "containing {username}"),
        ({"PORTAL_LDAP_GROUP_ROLES": "{not json"}, "not valid JSON"),
        ({"PORTAL_LDAP_GROUP_ROLES": '{"cn=ops": "root"}'}, "use one of operator, reviewer, admin or ptl:<project>"),
        ({"PORTAL_LDAP_BIND_DN": "cn=svc"}, "Set both PORTAL_LDAP_BIND_DN and PORTAL_LDAP_BIND_PASSWORD"),
        ({"PORTAL_OIDC_SCOPES": "profile email"}, "include openid"),
    ],
)
def test_sign_in_settings_that_cannot_work_are_refused_naming_what_to_set(
    tmp_path: Path, environ: dict[str, str], expected: str
) -> None:
    with pytest.raises(SettingsError, match=re.escape(expected)):
        load_settings({"PORTAL_INSTANCE_PATH": str(tmp_path), "PORTAL_TESTING": "1", **environ})


def test_sign_in_secrets_are_never_shown(tmp_path: Path) -> None:
    settings = load_settings({"PORTAL_INSTANCE_PATH": str(tmp_path), "PORTAL_TESTING": "1",
                              "PORTAL_LDAP_URL": "ldaps://ldap.example.org", "PORTAL_LDAP_USER_BASE": "dc=x",
                              "PORTAL_LDAP_BIND_DN": "cn=svc", "PORTAL_LDAP_BIND_PASSWORD": "hunter2-secret",
                              "PORTAL_OIDC_ISSUER": "https://id.example.org", "PORTAL_OIDC_CLIENT_ID": "bob",
                              "PORTAL_OIDC_CLIENT_SECRET": "client-secret-value",
                              "PORTAL_LDAP_GROUP_ROLES": '{"CN=Ops,DC=x": "reviewer"}'})
    assert "hunter2-secret" not in repr(settings) and "client-secret-value" not in repr(settings)
    assert settings.ldap_group_roles == {"cn=ops,dc=x": "reviewer"}
