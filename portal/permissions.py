"""Who may do what: one function per action, the only place the rules live.

Pages, the API, services and the command line ask the same functions, so a
rule cannot differ between them. Each function takes the acting user
(``None`` when nobody is logged in) and the object acted on, and returns a
:class:`Decision`; :func:`require` turns a refusal into the error the user
sees, which says what is needed and whom to ask.

The rules, in one place:

* A disabled account (``User.is_active`` false) is refused everything.
* A blocked account (``User.blocked_at`` set) can log in and read, but not
  post: no comment, vote, checklist answer or PTL acknowledgement.
* Roles: ``operator`` comments and votes; ``reviewer`` also answers the
  operability checklist; ``admin`` may do everything, except act as a PTL.
* PTL duty is per project (``User.ptl_of``): a PTL acknowledges and moderates
  (edits, hides, deletes comments in) *their* project only. Blocking a user is
  site-wide, so it is for admins.

The command line is the server's console: whoever can run ``portal`` holds
the database, so commands call the services as the system (actor ``None``)
without asking these functions, as the importers do. ``User.ptl_of`` must be
loaded on the actor (``portal.accounts.service`` loads it with the login).
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.errors import AuthenticationRequired, PermissionDenied
from portal.models import Comment, CommentSource, Project, Role, SavedSearch, Spec, Subscription, User

ASK_ADMIN = "ask a portal admin"


@dataclass(frozen=True)
class Decision:
    """Allowed or not; when not, ``message`` says what is needed and whom to ask."""

    allowed: bool
    message: str = ""
    needs_login: bool = False  # refused because nobody is logged in (401), not for lack of rights (403)

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


def require(decision: Decision) -> None:
    """Raise :class:`AuthenticationRequired` (anonymous) or :class:`PermissionDenied` unless allowed."""
    if decision.allowed:
        return
    if decision.needs_login:
        raise AuthenticationRequired(decision.message)
    raise PermissionDenied(decision.message)


def _login(doing: str) -> Decision:
    return Decision(False, f"Log in (or send an API token) to {doing}.", needs_login=True)


def _deny(message: str) -> Decision:
    return Decision(False, message)


def _account(actor: User | None, doing: str) -> Decision | None:
    """The refusal for a missing or disabled account, else ``None``."""
    if actor is None:
        return _login(doing)
    if not actor.is_active:
        return _deny(f"Your account is disabled, so it cannot {doing}. Ask a portal admin to enable it.")
    return None


def _poster(actor: User | None, doing: str) -> Decision | None:
    """Like :func:`_account`, and also refuses a blocked account: posting is what a block stops."""
    refused = _account(actor, doing)
    if refused is not None:
        return refused
    assert actor is not None
    if actor.blocked_at is not None:
        return _deny(
            f"Your account is blocked from posting, so it cannot {doing}; you can still read everything. "
            f"If you think this is a mistake, {ASK_ADMIN}."
        )
    return None


def _or_allowed(refused: Decision | None) -> Decision:
    """The refusal if there is one, else :data:`ALLOWED` (not ``refused or ALLOWED``: a refusal is falsy)."""
    return refused if refused is not None else ALLOWED


def is_admin(user: User | None) -> bool:
    return user is not None and user.is_active and user.role == Role.ADMIN.value


def is_ptl_of(user: User | None, project: Project | int) -> bool:
    """PTL duty for ``project`` (an active account only)."""
    if user is None or not user.is_active:
        return False
    project_id = project if isinstance(project, int) else project.id
    return any(p.id == project_id for p in user.ptl_of)


def signed_in(actor: User | None) -> Decision:
    """Anything that only needs an active account of one's own (the account page, API probes)."""
    return _or_allowed(_account(actor, "do this"))


# --- posting --------------------------------------------------------------------------------------


def can_answer_checklist(actor: User | None, spec: Spec) -> Decision:
    """Answer or re-check a spec's operability checklist: reviewers and admins."""
    refused = _poster(actor, "answer the checklist")
    if refused is not None:
        return refused
    assert actor is not None
    if actor.role not in (Role.REVIEWER.value, Role.ADMIN.value):
        return _deny(
            "Only reviewers answer the checklist; your account has the "
            f"{actor.role} role. Comment instead, or {ASK_ADMIN} for the reviewer role."
        )
    return ALLOWED


def can_link_discussions(actor: User | None) -> Decision:
    """Add or remove a link between an outside discussion (IRC meeting, list thread) and a spec: reviewers, admins."""
    refused = _poster(actor, "link discussions to specs")
    if refused is not None:
        return refused
    assert actor is not None
    if actor.role not in (Role.REVIEWER.value, Role.ADMIN.value):
        return _deny(
            "Only reviewers and admins add or remove links to outside discussions; your account has the "
            f"{actor.role} role. Comment on the spec with the log's address instead, or {ASK_ADMIN} for the "
            "reviewer role."
        )
    return ALLOWED


def can_vote(actor: User | None, spec: Spec) -> Decision:
    """Cast or withdraw one's vote on a spec: any active account that is not blocked."""
    return _or_allowed(_poster(actor, "vote"))


def can_comment(actor: User | None, spec: Spec) -> Decision:
    """Write a comment on a spec: any active account that is not blocked."""
    return _or_allowed(_poster(actor, "comment"))


def can_acknowledge(actor: User | None, project: Project) -> Decision:
    """Acknowledge operators' votes and gaps as PTL of *this* project (admins are not PTLs by role)."""
    refused = _poster(actor, "acknowledge as PTL")
    if refused is not None:
        return refused
    if not is_ptl_of(actor, project):
        return _deny(
            f"Only the PTLs of {project.name} acknowledge for it. If you lead {project.name}, "
            f"{ASK_ADMIN} to add you as its PTL."
        )
    return ALLOWED


def can_see_vote_context(actor: User | None, project: Project) -> Decision:
    """See each vote's voter, reason and deployment context (the voters list and its export).

    For the PTLs of *this* project only; everyone else sees votes counted and
    their context aggregated. A blocked PTL still reads.
    """
    refused = _account(actor, "see who voted")
    if refused is not None:
        return refused
    if not is_ptl_of(actor, project):
        return _deny(
            f"Only the PTLs of {project.name} see each voter's reason and deployment context; "
            "everyone sees the counts on the dashboard."
        )
    return ALLOWED


# --- comments and moderation ----------------------------------------------------------------------


def can_moderate(actor: User | None, project: Project) -> Decision:
    """Hide or delete anyone's comments in ``project``: admins and that project's PTLs."""
    refused = _poster(actor, "moderate")
    if refused is not None:
        return refused
    if is_admin(actor) or is_ptl_of(actor, project):
        return ALLOWED
    return _deny(
        f"Only portal admins and the PTLs of {project.name} moderate its discussion. "
        f"To report a comment, {ASK_ADMIN} or a {project.name} PTL."
    )


# Written in the portal by a signed-in user: a comment, or a link to an outside discussion with its summary.
_WRITTEN_HERE = (CommentSource.PORTAL.value, CommentSource.LINK.value)


def _own(actor: User, comment: Comment) -> bool:
    return comment.source in _WRITTEN_HERE and comment.author_id is not None and comment.author_id == actor.id


def can_edit_comment(actor: User | None, comment: Comment) -> Decision:
    """Change a comment's text: only its author, only comments written here (others are edited at their source)."""
    refused = _poster(actor, "edit comments")
    if refused is not None:
        return refused
    assert actor is not None
    if comment.deleted_at is not None:
        return _deny("This comment was deleted; it can no longer be edited.")
    if comment.source not in _WRITTEN_HERE or comment.author_id is None:
        return _deny(f"This comment comes from {comment.source}; edit it there and it is updated at the next sync.")
    if not _own(actor, comment):
        return _deny("Only the author can edit a comment. Moderators can hide or delete it instead.")
    return ALLOWED


def can_delete_comment(actor: User | None, comment: Comment, project: Project) -> Decision:
    """Delete a comment: its author (even when blocked), or a moderator of ``project``."""
    refused = _account(actor, "delete comments")
    if refused is not None:
        return refused
    assert actor is not None
    if comment.deleted_at is not None:
        return _deny("This comment is already deleted.")
    if _own(actor, comment):
        return ALLOWED
    if can_moderate(actor, project):
        return ALLOWED
    return _deny(f"Only the author, portal admins and the PTLs of {project.name} can delete this comment.")


def can_hide_comment(actor: User | None, comment: Comment, project: Project) -> Decision:
    """Hide (or show again) a comment from readers: moderators of ``project`` only."""
    moderation = can_moderate(actor, project)
    if moderation and comment.deleted_at is not None:
        return _deny("This comment is deleted; there is nothing to hide.")
    return moderation


def can_block_user(actor: User | None, target: User) -> Decision:
    """Stop ``target`` from posting anywhere on the portal: admins, not on themselves.

    Admins themselves are never blocked (``accounts.service.block_user`` says so): disable them instead.
    """
    admin = can_manage_users(actor)
    if not admin:
        return admin
    assert actor is not None
    if target.id == actor.id:
        return _deny("You cannot block yourself.")
    return ALLOWED


# --- running the portal ---------------------------------------------------------------------------


def _admins_only(actor: User | None, doing: str) -> Decision:
    refused = _account(actor, doing)
    if refused is not None:
        return refused
    if not is_admin(actor):
        return _deny(f"Only portal admins {doing}. Ask an admin to do it, or to give you the admin role.")
    return ALLOWED


def can_run_syncs(actor: User | None, project: Project | None = None) -> Decision:
    """Start an import or sync (of one project, or of all): admins."""
    return _admins_only(actor, "run imports and syncs")


def can_watch_syncs(actor: User | None, project: Project | None = None) -> Decision:
    """See import runs and their errors: admins for every project, a PTL for their own project."""
    if project is not None and is_ptl_of(actor, project):
        return ALLOWED
    return _admins_only(actor, "see import runs")


def can_manage_users(actor: User | None) -> Decision:
    """Change roles and PTL duties, disable, enable, block: admins."""
    return _admins_only(actor, "manage users")


def can_manage_projects(actor: User | None, project: Project | None = None) -> Decision:
    """Edit a project's sources, rename or remove it, remove the demo content: admins."""
    return _admins_only(actor, "manage projects")


def can_save_search(actor: User | None) -> Decision:
    """Save a search: any active account, a blocked one too (saving a search is reading, not posting)."""
    return _or_allowed(_account(actor, "save searches"))


def can_delete_saved_search(actor: User | None, saved: SavedSearch) -> Decision:
    """Delete a saved search: its owner only (others are told it does not exist, see portal.search.saved)."""
    refused = _account(actor, "delete saved searches")
    if refused is not None:
        return refused
    assert actor is not None
    if saved.user_id != actor.id:
        return _deny("Only the person who saved a search can delete it.")
    return ALLOWED


def can_see_webhook_deliveries(actor: User | None, subscription: Subscription) -> Decision:
    """A subscription's webhook delivery log: its owner, and admins (who look into failing hooks)."""
    refused = _account(actor, "see webhook deliveries")
    if refused is not None:
        return refused
    assert actor is not None
    if subscription.user_id != actor.id and not is_admin(actor):
        return _deny("Only the owner of a subscription (or an admin) can see its deliveries.")
    return ALLOWED


def can_manage_alerts(actor: User | None) -> Decision:
    """See every user's failed deliveries and send one again: admins."""
    return _admins_only(actor, "look into failed alert deliveries")


def can_open_admin_area(actor: User | None) -> Decision:
    """The /admin pages: whoever may do at least one thing there (today: admins)."""
    return _admins_only(actor, "use the admin area")


def can_manage_sign_in(actor: User | None) -> Decision:
    """See and test the sign-in methods (OpenID Connect, LDAP), link and unlink users' identities: admins."""
    return _admins_only(actor, "manage sign-in methods and linked identities")


def can_link_identity(actor: User | None, owner: User) -> Decision:
    """Link an identity to an account, or remove one of its links: its owner (an admin: see can_manage_sign_in)."""
    refused = _account(actor, "link sign-in identities")
    if refused is not None:
        return refused
    assert actor is not None
    if actor.id != owner.id and not is_admin(actor):
        return _deny(f"Only the owner of an account links its sign-in identities; {ASK_ADMIN} for help.")
    return ALLOWED
