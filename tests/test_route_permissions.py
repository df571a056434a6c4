"""Every write route of the app × every kind of user: the HTTP outcome the permission rules promise.

``RULES`` names, for each (endpoint, method) that writes (POST, PUT, PATCH,
DELETE), who may use it and which rule of ``portal.permissions`` decides. The
walk sends each route an empty form (with a valid CSRF token, or an API
token under /api/) as each role and checks the outcome:

* allowed: 2xx or 3xx (not to the login page), or 400 for the empty form;
* refused: 401 or a redirect to the login page for whoever is not logged in
  (anonymous, and a disabled user: their login and token died with the
  account), 403 for everyone else.

A route that is not in ``RULES`` fails the build: add a rule before adding
a route. A rule whose route is gone fails too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from portal.accounts import service as accounts
from portal.checklist import template as checklist_template
from portal.discussion import service as discussion
from portal.models import ApiToken, ExternalIdentity, IdentityKind, Project, Role, SavedSearch, Spec, User
from portal.settings import Settings
from tests.support.factories import login
from tests.support.html import csrf_token

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# In the order the walk uses them: the admin last, since only the admin's requests change much.
ROLES = ("anonymous", "disabled", "operator", "reviewer", "ptl_here", "ptl_elsewhere", "admin")

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous", "disabled"}
REVIEWERS = frozenset({"reviewer", "admin"})
ADMINS = frozenset({"admin"})


@dataclass
class World:
    """One project with a spec (PTL ``ptl_here``), another project (PTL ``ptl_elsewhere``), a user per role."""

    project: Project
    other: Project
    spec: Spec
    target: User  # whom the admin actions act on
    item_key: str
    clients: dict[str, FlaskClient]
    tokens: dict[str, str]  # role -> API token secret (revoked for the disabled user)
    token_ids: dict[str, int]
    csrf: dict[str, str]  # role -> the CSRF token of that browser's session
    identity_ids: dict[str, int]  # role (and "target") -> a linked OpenID Connect identity of that user
    own_comment: dict[str, int] = field(default_factory=dict)  # role -> a comment that role's user wrote
    others_comment: dict[str, int] = field(default_factory=dict)  # role -> a comment by ``target``, one each


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[str]
    decided_by: str  # the permission rule the view asks, for whoever reads a failure
    args: Callable[[World, str], dict[str, object]] = lambda world, role: {}
    api: bool = False


def spec_args(world: World, role: str) -> dict[str, object]:
    return {"project_name": world.project.name, "spec_name": world.spec.name}


def item_args(world: World, role: str) -> dict[str, object]:
    return spec_args(world, role) | {"item_key": world.item_key}


def target_args(world: World, role: str) -> dict[str, object]:
    return {"username": world.target.username}


def project_args(world: World, role: str) -> dict[str, object]:
    return {"project_name": world.project.name}


def own_comment_args(world: World, role: str) -> dict[str, object]:
    return {"comment_id": world.own_comment.get(role, world.others_comment[role])}


def others_comment_args(world: World, role: str) -> dict[str, object]:
    return {"comment_id": world.others_comment[role]}


MODERATORS = frozenset({"ptl_here", "admin"})  # of this project's discussion


def own_token(world: World, role: str) -> dict[str, object]:
    return {"token_id": world.token_ids.get(role, world.token_ids["admin"])}


def own_identity(world: World, role: str) -> dict[str, object]:
    return {"identity_id": world.identity_ids.get(role, world.identity_ids["admin"])}


def target_identity(world: World, role: str) -> dict[str, object]:
    return target_args(world, role) | {"identity_id": world.identity_ids["target"]}


def own_saved_search(world: World, role: str) -> dict[str, object]:
    """A saved search of the role's user (the admin's for anonymous), made for this request."""
    db = Session.object_session(world.spec)
    assert db is not None
    token = db.get(ApiToken, world.token_ids.get(role, world.token_ids["admin"]))
    assert token is not None
    saved = SavedSearch(user_id=token.user_id, name=f"walk {role} {uuid.uuid4().hex[:8]}", query={"q": "x"})
    db.add(saved)
    db.flush()
    return {"saved_id": saved.id}


def failed_notification(world: World, role: str) -> dict[str, object]:
    """A notification that failed for good, made for this request (the admin may send it again)."""
    from portal import events
    from portal.models import Notification

    db = Session.object_session(world.spec)
    assert db is not None
    event = events.record(db, "spec.state_changed", project_id=world.project.id, spec_id=world.spec.id,
                          name=world.spec.name, from_state="proposed", to_state="approved")
    db.flush()
    row = Notification(user_id=world.target.id, event_id=event.id, channel="email", status="failed",
                       last_error="550 mailbox unknown")
    db.add(row)
    db.flush()
    return {"notification_id": row.id}


def own_subscription(world: World, role: str) -> dict[str, object]:
    """A subscription of the role's user (the admin's for anonymous), made for this request."""
    from portal.models import Subscription

    db = Session.object_session(world.spec)
    assert db is not None
    token = db.get(ApiToken, world.token_ids.get(role, world.token_ids["admin"]))
    assert token is not None
    sub = Subscription(user_id=token.user_id, kind="project", project_id=world.project.id, channel="email")
    db.add(sub)
    db.flush()
    return {"subscription_id": sub.id}


RULES: dict[tuple[str, str], Rule] = {
    # Logging in and out is for everyone (a logged-in visitor is sent on, an empty form is a 400).
    ("accounts.login", "POST"): Rule(EVERYONE, "none: the login form"),
    ("accounts.logout", "POST"): Rule(EVERYONE, "none: logging out"),
    # Sign-up and password reset are for people who cannot log in; signup 404s unless self_signup is on.
    ("signup.signup", "POST"): Rule(EVERYONE, "none: self sign-up (404 when off)"),
    ("signup.reset_request", "POST"): Rule(EVERYONE, "none: asking for a reset link"),
    ("signup.reset_password", "POST"): Rule(EVERYONE, "none: the signed link is the proof",
                                            args=lambda world, role: {"token": "not-a-signed-token"}),
    ("signup.verify", "POST"): Rule(EVERYONE, "none: the signed link is the proof",
                                    args=lambda world, role: {"token": "not-a-signed-token"}),
    # One's own account: flask-login's login_required (redirects to the login page).
    ("accounts.profile", "POST"): Rule(SIGNED_IN, "login_required"),
    ("accounts.password", "POST"): Rule(SIGNED_IN, "login_required"),
    ("accounts.create_token", "POST"): Rule(SIGNED_IN, "login_required"),
    ("accounts.revoke_token", "POST"): Rule(SIGNED_IN, "login_required (own tokens only)", own_token),
    # One's own Atom feed address (portal.web.feeds): login_required.
    ("feeds.create_feed_token", "POST"): Rule(SIGNED_IN, "login_required"),
    ("feeds.revoke_feed_token", "POST"): Rule(SIGNED_IN, "login_required"),
    # Sign-in identities: one's own (the OpenID Connect callback is a GET; LDAP reuses POST /login).
    ("accounts.link_oidc", "POST"): Rule(SIGNED_IN, "can_link_identity (then a round trip to the provider)"),
    ("accounts.unlink_identity", "POST"): Rule(SIGNED_IN, "can_link_identity (own links only)", own_identity),
    # The checklist: reviewers and admins; PTL duty is not a role.
    ("checklist.answer", "POST"): Rule(REVIEWERS, "can_answer_checklist", item_args),
    ("checklist.recheck", "POST"): Rule(REVIEWERS, "can_answer_checklist", spec_args),
    ("api.put_checklist", "PUT"): Rule(REVIEWERS, "can_answer_checklist", spec_args, api=True),
    # The admin area.
    ("admin.alert_retry", "POST"): Rule(ADMINS, "can_manage_alerts", failed_notification),
    ("admin.set_role", "POST"): Rule(ADMINS, "can_manage_users", target_args),
    ("admin.set_ptl", "POST"): Rule(ADMINS, "can_manage_users", target_args),
    ("admin.disable", "POST"): Rule(ADMINS, "can_manage_users", target_args),
    ("admin.enable", "POST"): Rule(ADMINS, "can_manage_users", target_args),
    ("admin.block", "POST"): Rule(ADMINS, "can_block_user", target_args),
    ("admin.unblock", "POST"): Rule(ADMINS, "can_block_user", target_args),
    ("admin.project_sources", "POST"): Rule(ADMINS, "can_manage_projects", project_args),
    ("admin.project_rename", "POST"): Rule(ADMINS, "can_manage_projects", project_args),
    ("admin.project_remove", "POST"): Rule(ADMINS, "can_manage_projects", project_args),
    ("admin.demo_remove", "POST"): Rule(ADMINS, "can_manage_projects"),
    ("admin.sign_in_test", "POST"): Rule(ADMINS, "can_manage_sign_in"),
    ("admin.unlink_identity", "POST"): Rule(ADMINS, "can_manage_sign_in", target_identity),
    ("admin.link_directory", "POST"): Rule(ADMINS, "can_manage_sign_in", target_args),
    # The discussion: every active account posts; authors edit their own; moderators delete others' and hide.
    ("comments.post", "POST"): Rule(SIGNED_IN, "can_comment", spec_args),
    ("comments.post_link", "POST"): Rule(SIGNED_IN, "can_comment", spec_args),
    ("comments.edit", "POST"): Rule(SIGNED_IN, "can_edit_comment (own comment)", own_comment_args),
    ("comments.delete", "POST"): Rule(MODERATORS, "can_delete_comment (another's comment)", others_comment_args),
    ("comments.hide", "POST"): Rule(MODERATORS, "can_hide_comment", others_comment_args),
    ("comments.show", "POST"): Rule(MODERATORS, "can_hide_comment", others_comment_args),
    ("api.post_comment", "POST"): Rule(SIGNED_IN, "can_comment", spec_args, api=True),
    ("api.patch_comment", "PATCH"): Rule(SIGNED_IN, "can_edit_comment (own comment)", own_comment_args, api=True),
    ("api.delete_comment", "DELETE"): Rule(MODERATORS, "can_delete_comment (another's comment)",
                                           others_comment_args, api=True),
    ("api.hide_comment", "POST"): Rule(MODERATORS, "can_hide_comment", others_comment_args, api=True),
    # Links between outside discussions (IRC meetings, list threads) and specs: reviewers and admins.
    ("outside_links.add", "POST"): Rule(REVIEWERS, "can_link_discussions", spec_args),
    ("outside_links.remove", "POST"): Rule(REVIEWERS, "can_link_discussions",
                                           lambda world, role: spec_args(world, role) | {"link_id": 999999}),
    # Votes: every active account that is not blocked; acknowledging is for this project's PTLs only.
    ("votes.cast", "POST"): Rule(SIGNED_IN, "can_vote", spec_args),
    ("votes.withdraw", "POST"): Rule(SIGNED_IN, "can_vote", spec_args),
    ("votes.save_profile", "POST"): Rule(SIGNED_IN, "login_required (own deployment profile)"),
    ("api.put_vote", "PUT"): Rule(SIGNED_IN, "can_vote", spec_args, api=True),
    ("api.delete_vote", "DELETE"): Rule(SIGNED_IN, "can_vote", spec_args, api=True),
    ("dashboard.acknowledge", "POST"): Rule(frozenset({"ptl_here"}), "can_acknowledge", spec_args),
    # Saved searches: one's own, any active account (a blocked one too: saving a search is reading).
    ("search.save", "POST"): Rule(SIGNED_IN, "login_required + can_save_search"),
    ("search.delete", "POST"): Rule(SIGNED_IN, "login_required + can_delete_saved_search", own_saved_search),
    ("api.create_saved_search", "POST"): Rule(SIGNED_IN, "can_save_search", api=True),
    ("api.delete_saved_search", "DELETE"): Rule(SIGNED_IN, "can_delete_saved_search", own_saved_search, api=True),
    # Alerts: one's own subscriptions; the one-click unsubscribe is anyone's with a signed token (RFC 8058).
    ("alerts.create", "POST"): Rule(SIGNED_IN, "login_required + signed_in"),
    ("alerts.unfollow", "POST"): Rule(SIGNED_IN, "login_required"),
    ("alerts.change_channel", "POST"): Rule(SIGNED_IN, "login_required + own subscription", own_subscription),
    ("alerts.delete", "POST"): Rule(SIGNED_IN, "login_required + own subscription", own_subscription),
    ("alerts.save_preferences", "POST"): Rule(SIGNED_IN, "login_required + signed_in"),
    ("alerts.unsubscribe", "POST"): Rule(EVERYONE, "signed token (tokens.read)", lambda world, role: {"token": "x"}),
    ("api.create_subscription", "POST"): Rule(SIGNED_IN, "signed_in", api=True),
    ("api.delete_subscription", "DELETE"): Rule(SIGNED_IN, "signed_in + own subscription", own_subscription,
                                                 api=True),
}


def write_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) & WRITE_METHODS
    }


def test_every_write_route_has_a_rule(app: Flask) -> None:
    routes = write_routes(app)
    missing = sorted(routes - set(RULES))
    assert not missing, (
        "Write routes without an entry in RULES (tests/test_route_permissions.py): "
        + ", ".join(f"{method} {endpoint}" for endpoint, method in missing)
        + ". Decide who may use each (a function in portal/permissions.py) and add it."
    )
    stale = sorted(set(RULES) - routes)
    assert not stale, f"RULES names routes that no longer exist: {stale}"


def _csrf(client: FlaskClient) -> str:
    page = client.get("/login")
    if page.status_code != 200:  # logged in: the login page sends us on
        page = client.get("/account")
    return csrf_token(page.text)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Self sign-up on (with mail settings), so its form is walked too; no mail is sent by an empty form."""
    return Settings.for_testing(tmp_path / "instance", database_url, self_signup=True, smtp_host="127.0.0.1",
                                mail_from="BOB <bob@example.org>", base_url="http://portal.example.org")


@pytest.fixture
def world(app: Flask, db: Session, make_user, make_project, make_spec) -> World:
    nova = make_project("nova", gerrit_repo="openstack/nova-specs", launchpad="nova")
    cinder = make_project("cinder")
    spec = make_spec("graceful-shutdown", project=nova)
    users = {
        "operator": make_user("olga"),
        "reviewer": make_user("rita", role=Role.REVIEWER.value),
        "ptl_here": make_user("pat", ptl_of=[nova]),
        "ptl_elsewhere": make_user("otto", ptl_of=[cinder]),  # PTLs are operators here: duty is not a role
        "admin": make_user("ada", role=Role.ADMIN.value),
        # Would be allowed everything if a rule forgot to look at is_active.
        "disabled": make_user("dora", role=Role.ADMIN.value, ptl_of=[nova]),
    }
    target = make_user("tom")
    clients = {"anonymous": app.test_client()}
    tokens, token_ids = {}, {}
    for role, user in users.items():
        client = app.test_client()
        assert login(client, user.username).status_code == 302, f"{role} could not log in"
        clients[role] = client
        token, secret = accounts.create_api_token(db, user, "walk")
        tokens[role], token_ids[role] = secret, token.id
    # Each browser's CSRF token; the disabled user's is from before the account was disabled.
    csrf = {role: _csrf(client) for role, client in clients.items()}
    own_comment = {role: discussion.add_comment(db, user, spec, f"By {role}").id for role, user in users.items()}
    others_comment = {role: discussion.add_comment(db, target, spec, f"For {role}").id for role in ROLES}
    accounts.disable_user(db, None, users["disabled"])
    identity_ids = {}
    for role, user in [*users.items(), ("target", target)]:
        identity = ExternalIdentity(user_id=user.id, kind=IdentityKind.OIDC, issuer="https://id.example.org",
                                    subject=f"sub-{user.username}", label=f"{user.username}@id.example.org")
        db.add(identity)
        db.flush()
        identity_ids[role] = identity.id
    db.flush()
    return World(
        project=nova, other=cinder, spec=spec, target=target,
        item_key=checklist_template.latest().items[0].key,
        clients=clients, tokens=tokens, token_ids=token_ids, csrf=csrf, identity_ids=identity_ids,
        own_comment=own_comment, others_comment=others_comment,
    )


def outcome(response: TestResponse) -> str:
    status = response.status_code
    location = urlsplit(response.headers.get("Location", "")).path
    if status == 401 or (300 <= status < 400 and location == "/login"):
        return "log in first"
    if status == 403:
        return "forbidden"
    if 200 <= status < 400 or status == 400:
        return "allowed"
    return f"unexpected {status}"


def expected(role: str, rule: Rule) -> str:
    if role in rule.allowed:
        return "allowed"
    return "log in first" if role in ("anonymous", "disabled") else "forbidden"


def send(app: Flask, world: World, endpoint: str, method: str, role: str, rule: Rule) -> TestResponse:
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **rule.args(world, role))
    client = world.clients[role]
    if rule.api:
        headers = {} if role == "anonymous" else {"Authorization": f"Bearer {world.tokens[role]}"}
        return client.open(url, method=method, json={}, headers=headers)
    return client.open(url, method=method, data={"csrf_token": world.csrf[role]})


@pytest.mark.parametrize(("endpoint", "method"), sorted(RULES), ids=[f"{m} {e}" for e, m in sorted(RULES)])
def test_write_route_answers_each_role_as_its_rule_says(
    app: Flask, world: World, endpoint: str, method: str
) -> None:
    rule = RULES[(endpoint, method)]
    found = {}
    for role in ROLES:
        response = send(app, world, endpoint, method, role, rule)
        found[role] = (outcome(response), response.status_code)
    wrong = {
        role: f"got {got} ({status}), expected {expected(role, rule)}"
        for role, (got, status) in found.items()
        if got != expected(role, rule)
    }
    assert not wrong, f"{method} {endpoint} (decided by {rule.decided_by}): {wrong}"


ADMIN_PAGES = ["admin.index", "admin.users", "admin.project_list", "admin.runs", "admin.alert_problems", "admin.demo",
               "admin.sign_in"]


@pytest.mark.parametrize("endpoint", ADMIN_PAGES)
def test_admin_pages_are_for_admins_and_send_others_to_log_in_or_away(
    app: Flask, world: World, endpoint: str
) -> None:
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint)
    for role in ROLES:
        response = world.clients[role].get(url)
        want = "allowed" if role == "admin" else expected(role, Rule(ADMINS, "can_open_admin_area"))
        assert outcome(response) == want, f"{role} on {url}: {response.status_code}"
        if want == "forbidden":
            assert "Only portal admins use the admin area." in response.text
