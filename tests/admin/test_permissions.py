"""``portal.permissions``: each rule on its own, on plain objects (no database, no request).

The table in ``tests/test_route_permissions.py`` checks that every route asks
these rules; this file checks what the rules answer, and what they say.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

import pytest

from portal import permissions
from portal.errors import AuthenticationRequired, PermissionDenied
from portal.models import Comment, Project, Role, Spec, User

NOVA = Project(id=1, name="nova")
CINDER = Project(id=2, name="cinder")
SPEC = Spec(id=10, project_id=1, name="graceful-shutdown")
BLOCKED_AT = datetime(2026, 1, 5, tzinfo=UTC)
_ids = count(100)


def user(name: str, role: Role = Role.OPERATOR, *, ptl_of: tuple[Project, ...] = (), active: bool = True,
         blocked: bool = False) -> User:
    made = User(id=next(_ids), username=name, role=role.value, is_active=active,
                blocked_at=BLOCKED_AT if blocked else None)
    made.ptl_of = list(ptl_of)
    return made


OPERATOR = user("olga")
REVIEWER = user("rita", Role.REVIEWER)
ADMIN = user("ada", Role.ADMIN)
PTL = user("pat", ptl_of=(NOVA,))  # an operator by role, PTL of nova
OTHER_PTL = user("otto", Role.REVIEWER, ptl_of=(CINDER,))
DISABLED_ADMIN = user("dora", Role.ADMIN, active=False)
BLOCKED_REVIEWER = user("bert", Role.REVIEWER, blocked=True)
BLOCKED_PTL = user("bea", ptl_of=(NOVA,), blocked=True)


def comment(author: User | None, *, source: str = "portal", deleted: bool = False) -> Comment:
    return Comment(id=5, spec_id=SPEC.id, source=source, author_id=author.id if author else None, body="x",
                   body_html="x", deleted_at=BLOCKED_AT if deleted else None)


def allowed(decision: permissions.Decision) -> bool:
    assert isinstance(decision, permissions.Decision)
    assert decision.allowed == bool(decision)
    if not decision.allowed:
        assert decision.message, "a refusal must say what is needed"
    return decision.allowed


# --- who is refused everything --------------------------------------------------------------------

EVERY_RULE = [
    ("answer the checklist", lambda a: permissions.can_answer_checklist(a, SPEC)),
    ("vote", lambda a: permissions.can_vote(a, SPEC)),
    ("comment", lambda a: permissions.can_comment(a, SPEC)),
    ("acknowledge", lambda a: permissions.can_acknowledge(a, NOVA)),
    ("moderate", lambda a: permissions.can_moderate(a, NOVA)),
    ("edit comment", lambda a: permissions.can_edit_comment(a, comment(a))),
    ("delete comment", lambda a: permissions.can_delete_comment(a, comment(a), NOVA)),
    ("hide comment", lambda a: permissions.can_hide_comment(a, comment(None), NOVA)),
    ("block", lambda a: permissions.can_block_user(a, OPERATOR)),
    ("run syncs", lambda a: permissions.can_run_syncs(a)),
    ("watch syncs", lambda a: permissions.can_watch_syncs(a, NOVA)),
    ("manage users", lambda a: permissions.can_manage_users(a)),
    ("manage projects", lambda a: permissions.can_manage_projects(a, NOVA)),
    ("admin area", lambda a: permissions.can_open_admin_area(a)),
    ("signed in", lambda a: permissions.signed_in(a)),
]


@pytest.mark.parametrize(("what", "rule"), EVERY_RULE, ids=[w for w, _ in EVERY_RULE])
def test_nobody_logged_in_is_asked_to_log_in(what: str, rule) -> None:
    decision = rule(None)
    assert not allowed(decision)
    assert decision.needs_login
    assert decision.message.startswith("Log in (or send an API token) to ")


@pytest.mark.parametrize(("what", "rule"), EVERY_RULE, ids=[w for w, _ in EVERY_RULE])
def test_a_disabled_account_is_refused_everything_even_as_admin_and_ptl(what: str, rule) -> None:
    disabled_ptl_admin = user("dana", Role.ADMIN, ptl_of=(NOVA,), active=False)
    decision = rule(disabled_ptl_admin)
    assert not allowed(decision)
    assert not decision.needs_login
    assert "disabled" in decision.message and "Ask a portal admin to enable it" in decision.message


@pytest.mark.parametrize(
    "rule",
    [
        lambda a: permissions.can_answer_checklist(a, SPEC),
        lambda a: permissions.can_vote(a, SPEC),
        lambda a: permissions.can_comment(a, SPEC),
        lambda a: permissions.can_edit_comment(a, comment(a)),
    ],
    ids=["answer", "vote", "comment", "edit"],
)
def test_a_blocked_account_cannot_post_and_is_told_it_can_still_read(rule) -> None:
    decision = rule(BLOCKED_REVIEWER)
    assert not allowed(decision)
    assert "blocked from posting" in decision.message and "still read" in decision.message


def test_a_blocked_account_keeps_what_is_not_posting() -> None:
    assert allowed(permissions.signed_in(BLOCKED_REVIEWER))
    assert allowed(permissions.can_delete_comment(BLOCKED_REVIEWER, comment(BLOCKED_REVIEWER), NOVA))


def test_a_blocked_ptl_neither_acknowledges_nor_moderates() -> None:
    assert not allowed(permissions.can_acknowledge(BLOCKED_PTL, NOVA))
    assert not allowed(permissions.can_moderate(BLOCKED_PTL, NOVA))


# --- posting ---------------------------------------------------------------------------------------


def test_reviewers_and_admins_answer_the_checklist_operators_and_ptls_do_not() -> None:
    assert allowed(permissions.can_answer_checklist(REVIEWER, SPEC))
    assert allowed(permissions.can_answer_checklist(ADMIN, SPEC))
    refused = permissions.can_answer_checklist(OPERATOR, SPEC)
    assert not refused
    assert refused.message == (
        "Only reviewers answer the checklist; your account has the operator role. "
        "Comment instead, or ask a portal admin for the reviewer role."
    )
    assert not allowed(permissions.can_answer_checklist(PTL, SPEC))  # PTL duty is not a role


@pytest.mark.parametrize("who", [OPERATOR, REVIEWER, ADMIN, PTL, OTHER_PTL], ids=lambda u: u.username)
def test_every_active_account_may_vote_and_comment(who: User) -> None:
    assert allowed(permissions.can_vote(who, SPEC))
    assert allowed(permissions.can_comment(who, SPEC))


def test_only_the_ptls_of_this_project_acknowledge_not_admins_not_other_ptls() -> None:
    assert allowed(permissions.can_acknowledge(PTL, NOVA))
    refused = permissions.can_acknowledge(OTHER_PTL, NOVA)
    assert not refused
    assert refused.message == (
        "Only the PTLs of nova acknowledge for it. If you lead nova, ask a portal admin to add you as its PTL."
    )
    assert not allowed(permissions.can_acknowledge(ADMIN, NOVA))
    assert allowed(permissions.can_acknowledge(OTHER_PTL, CINDER))


def test_ptl_duty_can_be_asked_by_project_id() -> None:
    assert permissions.is_ptl_of(PTL, NOVA.id)
    assert not permissions.is_ptl_of(PTL, CINDER.id)
    assert not permissions.is_ptl_of(None, NOVA)
    assert not permissions.is_ptl_of(user("gone", ptl_of=(NOVA,), active=False), NOVA)


# --- comments and moderation -------------------------------------------------------------------------


def test_admins_and_this_projects_ptls_moderate_nobody_else() -> None:
    assert allowed(permissions.can_moderate(ADMIN, NOVA))
    assert allowed(permissions.can_moderate(PTL, NOVA))
    for who in (OPERATOR, REVIEWER, OTHER_PTL):
        refused = permissions.can_moderate(who, NOVA)
        assert not refused
        assert "Only portal admins and the PTLs of nova moderate" in refused.message


def test_only_the_author_edits_a_portal_comment() -> None:
    mine = comment(OPERATOR)
    assert allowed(permissions.can_edit_comment(OPERATOR, mine))
    assert not allowed(permissions.can_edit_comment(REVIEWER, mine))
    assert not allowed(permissions.can_edit_comment(ADMIN, mine))  # moderators hide or delete, never rewrite
    assert "Moderators can hide or delete it instead" in permissions.can_edit_comment(ADMIN, mine).message


def test_imported_and_deleted_comments_are_not_edited() -> None:
    gerrit = comment(None, source="gerrit")
    assert permissions.can_edit_comment(OPERATOR, gerrit).message == (
        "This comment comes from gerrit; edit it there and it is updated at the next sync."
    )
    deleted = comment(OPERATOR, deleted=True)
    assert not allowed(permissions.can_edit_comment(OPERATOR, deleted))
    assert not allowed(permissions.can_delete_comment(OPERATOR, deleted, NOVA))
    assert not allowed(permissions.can_hide_comment(ADMIN, deleted, NOVA))


def test_the_author_and_this_projects_moderators_delete_a_comment() -> None:
    theirs = comment(REVIEWER)
    assert allowed(permissions.can_delete_comment(REVIEWER, theirs, NOVA))
    assert allowed(permissions.can_delete_comment(ADMIN, theirs, NOVA))
    assert allowed(permissions.can_delete_comment(PTL, theirs, NOVA))
    assert not allowed(permissions.can_delete_comment(OTHER_PTL, theirs, NOVA))
    assert not allowed(permissions.can_delete_comment(OPERATOR, theirs, NOVA))


def test_hiding_is_moderation_of_that_project() -> None:
    imported = comment(None, source="launchpad")
    assert allowed(permissions.can_hide_comment(PTL, imported, NOVA))
    assert not allowed(permissions.can_hide_comment(PTL, imported, CINDER))
    assert not allowed(permissions.can_hide_comment(REVIEWER, comment(REVIEWER), NOVA))  # not even one's own


def test_admins_block_others_but_not_themselves() -> None:
    assert allowed(permissions.can_block_user(ADMIN, OPERATOR))
    assert permissions.can_block_user(ADMIN, ADMIN).message == "You cannot block yourself."
    assert not allowed(permissions.can_block_user(PTL, OPERATOR))  # a block is site-wide: admins only


# --- running the portal --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [permissions.can_run_syncs, permissions.can_manage_users, permissions.can_manage_projects,
     permissions.can_open_admin_area, permissions.can_watch_syncs],
)
def test_admin_work_is_for_admins(rule) -> None:
    assert allowed(rule(ADMIN))
    for who in (OPERATOR, REVIEWER, PTL):
        refused = rule(who)
        assert not refused
        assert refused.message.startswith("Only portal admins ")
        assert "Ask an admin to do it, or to give you the admin role." in refused.message


def test_a_ptl_watches_the_runs_of_their_project_only() -> None:
    assert allowed(permissions.can_watch_syncs(PTL, NOVA))
    assert not allowed(permissions.can_watch_syncs(PTL, CINDER))
    assert not allowed(permissions.can_watch_syncs(PTL))  # every project's runs
    assert not allowed(permissions.can_run_syncs(PTL, NOVA))


def test_require_raises_the_error_the_user_sees() -> None:
    permissions.require(permissions.can_manage_users(ADMIN))  # allowed: no error
    with pytest.raises(AuthenticationRequired, match=r"^Log in \(or send an API token\) to manage users\.$"):
        permissions.require(permissions.can_manage_users(None))
    with pytest.raises(PermissionDenied, match="^Only portal admins manage users."):
        permissions.require(permissions.can_manage_users(REVIEWER))
    with pytest.raises(PermissionDenied, match="disabled"):
        permissions.require(permissions.can_comment(DISABLED_ADMIN, SPEC))
