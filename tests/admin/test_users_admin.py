"""Managing users: roles, PTL duties, disabling (logins and tokens die at once), blocking; pages and CLI."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts import passwords
from portal.accounts import service as accounts
from portal.models import AuditLog, User
from tests.admin.conftest import flashes, submit
from tests.support.cli_instance import Portal
from tests.support.factories import PASSWORD, login
from tests.support.html import text_of

COOKIE = "portal_session"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def to_login(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 302 and urlsplit(response.location).path == "/login"


def copied_browser(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another machine carrying only a copy of ``client``'s session cookie."""
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    other = app.test_client()
    other.set_cookie(COOKIE, cookie.value)
    return other


# --- pages ------------------------------------------------------------------------------------------


def test_the_users_page_lists_roles_duties_and_states_in_two_queries(
    admin_client: FlaskClient, db: Session, make_user, make_project, count_queries
) -> None:
    nova = make_project("nova")
    make_user("pat", ptl_of=[nova])
    blocked = make_user("bert")
    accounts.block_user(db, None, blocked)
    gone = make_user("gone")
    accounts.disable_user(db, None, gone)
    db.flush()

    with count_queries() as few:
        page = admin_client.get("/admin/users")
    text = text_of(page.text)
    assert page.status_code == 200
    assert "pat pat@example.org operator nova active" in text
    assert "bert bert@example.org operator — blocked from posting" in text
    assert "gone gone@example.org operator — disabled" in text

    for i in range(20):
        make_user(f"more{i}", ptl_of=[nova])
    with count_queries() as many:
        admin_client.get("/admin/users")
    assert many.count == few.count  # users, then their PTL duties in one batch (plus the login's own)


def test_admin_changes_a_role_and_the_change_is_audited_and_shown(
    admin_client: FlaskClient, db: Session, make_user, admin: User
) -> None:
    tom = make_user("tom")

    response = submit(admin_client, "/admin/users/tom", "/admin/users/tom/role", {"role": "reviewer"},
                      follow_redirects=True)

    assert flashes(response) == ["tom is now reviewer (was operator)."]
    db.refresh(tom)
    assert tom.role == "reviewer"
    row = db.scalar(select(AuditLog).where(AuditLog.action == "user.role_changed"))
    assert row is not None and row.actor_id == admin.id and row.details["old"] == "operator"
    assert "user.role_changed by ada" in text_of(response.text)  # the user's page shows its history


def test_an_unknown_role_changes_nothing_and_says_so(admin_client: FlaskClient, db: Session, make_user) -> None:
    tom = make_user("tom")

    response = submit(admin_client, "/admin/users/tom", "/admin/users/tom/role", {"role": "boss"})

    assert response.status_code == 400
    assert flashes(response) == ["The role was not changed: choose one of the roles listed."]
    db.refresh(tom)
    assert tom.role == "operator"


def test_ptl_duties_are_ticked_on_and_off(admin_client: FlaskClient, db: Session, make_user, make_project) -> None:
    make_project("nova")
    make_project("cinder")
    tom = make_user("tom")

    added = submit(admin_client, "/admin/users/tom", "/admin/users/tom/ptl", {"projects": ["nova", "cinder"]},
                   follow_redirects=True)
    assert flashes(added) == ["tom is now a PTL of cinder, nova."]
    assert 'value="nova" checked' in added.text

    removed = submit(admin_client, "/admin/users/tom", "/admin/users/tom/ptl", {"projects": ["cinder"]},
                     follow_redirects=True)
    assert flashes(removed) == ["tom is no longer a PTL of nova."]
    db.expire_all()
    assert [p.name for p in accounts.get_user_with_duties(db, "tom").ptl_of] == ["cinder"]
    assert tom.id


def test_disabling_a_user_kills_their_copied_cookie_and_token_at_once(
    app: Flask, admin_client: FlaskClient, db: Session, make_user
) -> None:
    tom = make_user("tom")
    _, secret = accounts.create_api_token(db, tom, "laptop")
    db.flush()
    toms_browser = app.test_client()
    login(toms_browser, "tom")
    stolen = copied_browser(app, toms_browser)
    assert stolen.get("/account").status_code == 200
    assert admin_client.get("/api/v1/projects", headers=bearer(secret)).status_code == 200

    response = submit(admin_client, "/admin/users/tom", "/admin/users/tom/disable", follow_redirects=True)

    assert flashes(response) == [
        "tom is disabled: 1 login session(s) ended and 1 API token(s) revoked, effective at once."
    ]
    assert to_login(stolen.get("/account"))
    assert to_login(toms_browser.get("/account"))
    refused = app.test_client().get("/api/v1/projects", headers=bearer(secret))
    assert refused.status_code == 401
    assert refused.json["error"]["message"] == "Unknown or revoked API token. Create a new one on your account page."
    relogin = login(app.test_client(), "tom")
    assert relogin.status_code == 401
    assert "This account is disabled. Ask a portal admin if you need it back." in text_of(relogin.text)

    # Enabled again: a new login works, but what was stolen stays dead.
    enabled = submit(admin_client, "/admin/users/tom", "/admin/users/tom/enable", follow_redirects=True)
    assert flashes(enabled) == ["tom can log in again (their old API tokens stay revoked)."]
    assert login(app.test_client(), "tom").status_code == 302
    assert to_login(stolen.get("/account"))
    assert app.test_client().get("/api/v1/projects", headers=bearer(secret)).status_code == 401
    actions = db.scalars(select(AuditLog.action).where(AuditLog.target_id == str(tom.id))).all()
    assert "user.disabled" in actions and "user.enabled" in actions


def test_an_admin_cannot_disable_or_demote_themselves(admin_client: FlaskClient, db: Session, admin: User) -> None:
    disabled = submit(admin_client, "/admin/users/ada", "/admin/users/ada/disable")
    assert disabled.status_code == 409
    assert flashes(disabled) == [
        "Nothing was changed: You cannot disable your own account. Ask another admin to do it."
    ]

    demoted = submit(admin_client, "/admin/users/ada", "/admin/users/ada/role", {"role": "operator"})
    assert demoted.status_code == 409
    db.refresh(admin)
    assert admin.is_active and admin.role == "admin"
    assert admin_client.get("/admin/users").status_code == 200


def test_the_last_admin_keeps_the_role_whoever_asks(db: Session, make_user) -> None:
    only = make_user("root", role="admin")
    try:
        accounts.set_role(db, None, only, "operator")
    except Exception as exc:  # noqa: BLE001 - the message is what the admin reads
        assert "root is the last active admin" in str(exc)
        assert "`portal users set-role NAME admin`" in str(exc)
    else:
        raise AssertionError("the last admin was demoted")
    make_user("second", role="admin")
    assert accounts.set_role(db, None, only, "operator") == "admin"


def test_a_blocked_user_reads_but_cannot_post(
    app: Flask, admin_client: FlaskClient, db: Session, make_user, make_spec, make_project
) -> None:
    make_spec("drain-mode", project=make_project("nova"))
    rita = make_user("rita", role="reviewer")
    _, secret = accounts.create_api_token(db, rita, "ci")
    db.flush()
    url = "/api/v1/projects/nova/specs/drain-mode/checklist"
    answer = {"answers": [{"key": "monitoring", "state": "addressed", "note": ""}]}

    blocked = submit(admin_client, "/admin/users/rita", "/admin/users/rita/block", follow_redirects=True)
    assert flashes(blocked) == ["rita is blocked from posting; they can still log in and read."]

    refused = app.test_client().put(url, json=answer, headers=bearer(secret))
    assert refused.status_code == 403
    assert "Your account is blocked from posting" in refused.json["error"]["message"]
    assert app.test_client().get(url, headers=bearer(secret)).status_code == 200

    submit(admin_client, "/admin/users/rita", "/admin/users/rita/unblock")
    assert app.test_client().put(url, json=answer, headers=bearer(secret)).status_code == 200


def test_an_admin_is_not_blocked_but_disabled(admin_client: FlaskClient, db: Session, make_user) -> None:
    boss = make_user("boss", role="admin")

    response = submit(admin_client, "/admin/users/boss", "/admin/users/boss/block")

    assert response.status_code == 409
    assert "boss is an admin; change their role first, or disable the account instead." in flashes(response)[0]
    db.refresh(boss)
    assert boss.blocked_at is None


def test_an_unknown_user_is_a_clear_404(admin_client: FlaskClient) -> None:
    response = admin_client.get("/admin/users/nobody")
    assert response.status_code == 404
    assert "No user named 'nobody'." in text_of(response.text)


def test_the_navbar_shows_the_admin_link_to_admins_only(client: FlaskClient, admin_client: FlaskClient, app: Flask,
                                                         make_user) -> None:
    assert '>Admin</a>' in admin_client.get("/").text
    make_user("olga")
    other = app.test_client()
    login(other, "olga")
    assert '>Admin</a>' not in other.get("/").text
    assert '>Admin</a>' not in app.test_client().get("/").text


# --- the same from the command line -------------------------------------------------------------------


def _create(portal: Portal, name: str, role: str = "operator") -> None:
    portal.ok("users", "create", name, "--email", f"{name}@example.org", "--role", role, "--password-stdin",
              input=PASSWORD + "\n")


def test_cli_set_role_says_what_changed(portal: Portal) -> None:
    _create(portal, "root", "admin")
    _create(portal, "tom")

    assert portal.ok("users", "set-role", "tom", "reviewer").stdout == "'tom' is now reviewer (was operator).\n"
    assert portal.ok("users", "set-role", "tom", "reviewer").stdout == (
        "'tom' already has the role reviewer; nothing changed.\n"
    )
    assert portal.fails("users", "set-role", "tom", "boss").stderr == (
        "Error: Invalid role 'boss': use one of operator, reviewer, admin.\n"
    )
    assert "root is the last active admin" in portal.fails("users", "set-role", "root", "operator").stderr
    assert portal.fails("users", "set-role", "nobody", "admin").stderr.startswith("Error: No user named 'nobody'.")


def test_cli_ptl_adds_and_removes_duties(portal: Portal) -> None:
    _create(portal, "tom")
    portal.ok("projects", "add", "nova")
    portal.ok("projects", "add", "cinder")

    added = portal.ok("users", "ptl", "tom", "--add", "nova", "--add", "cinder").stdout
    assert added == "'tom' is now a PTL of nova, cinder.\nPTL of: cinder, nova.\n"
    removed = portal.ok("users", "ptl", "tom", "--remove", "nova").stdout
    assert removed == "'tom' is no longer a PTL of nova.\nPTL of: cinder.\n"
    assert "tom" in portal.ok("users", "list").stdout and "PTL of cinder" in portal.ok("users", "list").stdout
    assert "Say what to change" in portal.fails("users", "ptl", "tom").stderr
    assert "No project named 'swift'" in portal.fails("users", "ptl", "tom", "--add", "swift").stderr


def test_cli_disable_kills_a_copied_cookie_and_the_token(portal: Portal, web: Flask) -> None:
    _create(portal, "tom")
    secret = portal.ok("tokens", "create", "tom").stdout.strip()
    browser = web.test_client()
    login(browser, "tom")
    stolen = copied_browser(web, browser)
    assert stolen.get("/account").status_code == 200
    assert web.test_client().get("/api/v1/projects", headers=bearer(secret)).status_code == 200

    result = portal.ok("users", "disable", "tom")

    assert result.stdout == (
        "'tom' disabled: 1 login session(s) ended, 1 API token(s) revoked. Undo with `portal users enable tom`.\n"
    )
    assert to_login(stolen.get("/account"))
    assert web.test_client().get("/api/v1/projects", headers=bearer(secret)).status_code == 401
    assert "tom" in portal.ok("users", "list").stdout and "(disabled)" in portal.ok("users", "list").stdout
    assert portal.ok("users", "disable", "tom").stdout == "'tom' was already disabled; nothing changed.\n"

    assert portal.ok("users", "enable", "tom").stdout == (
        "'tom' enabled: they can log in again. Their old API tokens stay revoked.\n"
    )
    assert login(web.test_client(), "tom").status_code == 302
    assert web.test_client().get("/api/v1/projects", headers=bearer(secret)).status_code == 401


def test_cli_block_and_unblock(portal: Portal) -> None:
    _create(portal, "tom")
    assert portal.ok("users", "block", "tom").stdout == "'tom' blocked from posting; they can still log in and read.\n"
    assert "(blocked)" in portal.ok("users", "list").stdout
    assert portal.ok("users", "unblock", "tom").stdout == "'tom' can post again.\n"
    _create(portal, "root", "admin")
    assert "root is an admin" in portal.fails("users", "block", "root").stderr


def test_every_new_user_command_has_help(portal: Portal) -> None:
    for command in ("set-role", "ptl", "disable", "enable", "block", "unblock"):
        shown = portal.ok("users", command, "--help").stdout
        assert shown.startswith(f"Usage: main users {command}") or shown.startswith(f"Usage: portal users {command}")


def test_disable_in_the_service_is_idempotent_and_counts(db: Session, make_user) -> None:
    tom = make_user("tom")
    accounts.start_session(db, tom, address="1.2.3.4", user_agent="x", hours=1)
    accounts.start_session(db, tom, address="1.2.3.4", user_agent="y", hours=1)
    accounts.create_api_token(db, tom, "a")

    result = accounts.disable_user(db, None, tom)

    assert result is not None and (result.sessions_ended, result.tokens_revoked) == (2, 1)
    assert accounts.disable_user(db, None, tom) is None
    assert passwords.verify_password(tom.password_hash, PASSWORD, testing=True)  # the password is untouched
