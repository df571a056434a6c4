"""The admin area (/admin): users' roles and duties, projects' sources and names, import runs, the demo.

Every page and form asks ``portal.permissions`` (the same rules as the API
and the services); the command line offers the same actions (``portal
users …``, ``portal projects …``, ``portal runs list``, ``portal demo
remove``). The views parse the form, call one service and flash what
changed; the services audit it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal import permissions
from portal.accounts import identities, ldap, oidc
from portal.accounts import service as accounts
from portal.alerts import failures as alert_failures
from portal.audit import entries_about
from portal.demo.remove import plan_demo_removal, remove_demo
from portal.errors import PortalError
from portal.http.auth import actor, client_address, login_manager
from portal.http.session import get_db, settings
from portal.models import Project, User
from portal.specs import blueprint_links as links
from portal.specs import import_runs, projects
from portal.specs.service import get_project
from portal.web.forms import (
    AdminActionForm,
    LinkDirectoryForm,
    ProjectSourcesForm,
    PtlForm,
    RemoveProjectForm,
    RenameProjectForm,
    RoleForm,
    SignInTestForm,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")

RUN_STATUSES = ("running", "succeeded", "partial", "failed")


@bp.before_request
def _admins_only() -> Response | None:
    """Anonymous visitors go to the login page (and come back); others need the admin area's rule."""
    decision = permissions.can_open_admin_area(actor())
    if decision.needs_login:
        return login_manager.unauthorized()
    permissions.require(decision)
    return None


def _me() -> User:
    user = actor()
    assert user is not None  # _admins_only let the request in
    return user


def _all_projects() -> list[Project]:
    return list(get_db().scalars(select(Project).order_by(Project.name)))


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").replace(",", "\n").splitlines() if line.strip()]


@bp.get("/")
def index() -> str:
    return render_template("admin/index.html")


# --- users ----------------------------------------------------------------------------------------


@bp.get("/users")
def users() -> str:
    return render_template("admin/users.html", users=accounts.list_users_with_duties(get_db()))


def _user_page(username: str, status: int = 200, **forms: Any) -> tuple[str, int]:
    db = get_db()
    user = accounts.get_user_with_duties(db, username)
    all_projects = _all_projects()
    ptl_form = forms.get("ptl_form") or PtlForm(formdata=None, projects=[p.name for p in user.ptl_of])
    ptl_form.projects.choices = lambda: [(p.name, p.name) for p in all_projects]
    return (
        render_template(
            "admin/user.html",
            user=user,
            role_form=forms.get("role_form") or RoleForm(formdata=None, role=user.role),
            ptl_form=ptl_form,
            action_form=AdminActionForm(),
            history=entries_about(db, "user", user.id),
            is_me=user.id == _me().id,
            identities=identities.identities_of(db, user),
            kind_names=identities.KIND_NAMES,
            role_managed=accounts.managed_role_reason(user),
            link_form=forms.get("link_form") or LinkDirectoryForm(formdata=None),
            ldap_on=bool(settings().ldap_url),
        ),
        status,
    )


@bp.get("/users/<username>")
def user(username: str) -> tuple[str, int]:
    return _user_page(username)


def _failed(exc: PortalError, page: Callable[[], tuple[str, int]]) -> tuple[str, int]:
    """Roll back, say why nothing changed, and show the page again with the status of the error."""
    get_db().rollback()
    flash(f"Nothing was changed: {exc.message}", "danger")
    return page()[0], exc.status


@bp.post("/users/<username>/role")
def set_role(username: str) -> Response | tuple[str, int]:
    permissions.require(permissions.can_manage_users(actor()))
    db = get_db()
    target = accounts.get_user_with_duties(db, username)
    form = RoleForm()
    if not form.validate_on_submit():
        flash("The role was not changed: choose one of the roles listed.", "danger")
        return _user_page(username, 400, role_form=form)
    try:
        old = accounts.set_role(db, _me(), target, form.role.data or "", address=client_address())
    except PortalError as exc:
        return _failed(exc, lambda: _user_page(username, role_form=form))
    if old is None:
        flash(f"{target.username} already has the role {target.role}; nothing changed.", "info")
    else:
        flash(f"{target.username} is now {target.role} (was {old}).", "success")
    return redirect(url_for("admin.user", username=target.username))


@bp.post("/users/<username>/ptl")
def set_ptl(username: str) -> Response | tuple[str, int]:
    permissions.require(permissions.can_manage_users(actor()))
    db = get_db()
    target = accounts.get_user_with_duties(db, username)
    all_projects = {p.name: p for p in _all_projects()}
    form = PtlForm()
    form.projects.choices = lambda: [(name, name) for name in all_projects]
    if not form.validate_on_submit():
        flash("The PTL duties were not changed: tick only projects from the list.", "danger")
        return _user_page(username, 400, ptl_form=form)
    wanted = set(form.projects.data or [])
    current = {p.name for p in target.ptl_of}
    try:
        change = accounts.change_ptl_duties(
            db, _me(), target,
            add=[all_projects[n] for n in sorted(wanted - current)],
            remove=[all_projects[n] for n in sorted(current - wanted)],
            address=client_address(),
        )
    except PortalError as exc:
        return _failed(exc, lambda: _user_page(username, ptl_form=form))
    parts = []
    if change.added:
        parts.append(f"now a PTL of {', '.join(change.added)}")
    if change.removed:
        parts.append(f"no longer a PTL of {', '.join(change.removed)}")
    if parts:
        flash(f"{target.username} is {' and '.join(parts)}.", "success")
    else:
        flash(f"{target.username}'s PTL duties were already those; nothing changed.", "info")
    return redirect(url_for("admin.user", username=target.username))


def _account_action(username: str, do: str) -> Response | tuple[str, int]:
    """Disable, enable, block or unblock: a button with a CSRF token, the service says what changed."""
    db = get_db()
    target = accounts.get_user(db, username)
    if do in ("block", "unblock"):
        permissions.require(permissions.can_block_user(actor(), target))
    else:
        permissions.require(permissions.can_manage_users(actor()))
    if not AdminActionForm().validate_on_submit():
        flash("The form had expired; nothing was changed. Try again.", "danger")
        return _user_page(username, 400)
    me, address = _me(), client_address()
    try:
        if do == "disable":
            result = accounts.disable_user(db, me, target, address=address)
            message = (
                f"{target.username} is disabled: {result.sessions_ended} login session(s) ended and "
                f"{result.tokens_revoked} API token(s) revoked, effective at once."
                if result else f"{target.username} was already disabled; nothing changed."
            )
        elif do == "enable":
            message = (f"{target.username} can log in again (their old API tokens stay revoked)."
                       if accounts.enable_user(db, me, target, address=address)
                       else f"{target.username} was not disabled; nothing changed.")
        elif do == "block":
            message = (f"{target.username} is blocked from posting; they can still log in and read."
                       if accounts.block_user(db, me, target, address=address)
                       else f"{target.username} was already blocked; nothing changed.")
        else:
            message = (f"{target.username} can post again."
                       if accounts.unblock_user(db, me, target, address=address)
                       else f"{target.username} was not blocked; nothing changed.")
    except PortalError as exc:
        return _failed(exc, lambda: _user_page(username))
    flash(message, "success")
    return redirect(url_for("admin.user", username=target.username))


@bp.post("/users/<username>/disable")
def disable(username: str) -> Response | tuple[str, int]:
    return _account_action(username, "disable")


@bp.post("/users/<username>/enable")
def enable(username: str) -> Response | tuple[str, int]:
    return _account_action(username, "enable")


@bp.post("/users/<username>/block")
def block(username: str) -> Response | tuple[str, int]:
    return _account_action(username, "block")


@bp.post("/users/<username>/unblock")
def unblock(username: str) -> Response | tuple[str, int]:
    return _account_action(username, "unblock")


# --- projects -------------------------------------------------------------------------------------


@bp.get("/projects")
def project_list() -> str:
    db = get_db()
    rows = _all_projects()
    return render_template("admin/projects.html", projects=rows, sources=projects.sources_of(db, rows))


def _project_page(project_name: str, status: int = 200, **forms: Any) -> tuple[str, int]:
    db = get_db()
    project = get_project(db, project_name)
    src = projects.sources_of(db, [project])[project.id]
    sources_form = forms.get("sources_form") or ProjectSourcesForm(
        formdata=None, gerrit_repo=src.gerrit_repo or "", launchpad="\n".join(src.launchpad),
        code_repos="\n".join(src.code_repos),
    )
    return (
        render_template(
            "admin/project.html",
            project=project,
            sources=src,
            aliases=projects.aliases_of(db, project),
            contents=projects.project_contents(db, project),
            runs=import_runs.recent_runs(db, limit=5, project=project),
            sources_form=sources_form,
            rename_form=forms.get("rename_form") or RenameProjectForm(formdata=None),
            history=entries_about(db, "project", project.id),
        ),
        status,
    )


@bp.get("/projects/<project_name>")
def project(project_name: str) -> tuple[str, int]:
    return _project_page(project_name)


@bp.post("/projects/<project_name>/sources")
def project_sources(project_name: str) -> Response | tuple[str, int]:
    db = get_db()
    proj = get_project(db, project_name)
    permissions.require(permissions.can_manage_projects(actor(), proj))
    form = ProjectSourcesForm()
    if not form.validate_on_submit():
        flash("The sources were not saved: fix the fields marked below.", "danger")
        return _project_page(project_name, 400, sources_form=form)
    try:
        changes = projects.edit_sources(
            db, _me(), proj, gerrit_repo=form.gerrit_repo.data or "", launchpad=_lines(form.launchpad.data),
            code_repos=_lines(form.code_repos.data), address=client_address(),
        )
    except PortalError as exc:
        return _failed(exc, lambda: _project_page(project_name, sources_form=form))
    if changes:
        flash(f"Sources of {proj.name} saved. " + "; ".join(changes) + ".", "success")
    else:
        flash(f"The sources of {proj.name} were already those; nothing changed.", "info")
    return redirect(url_for("admin.project", project_name=proj.name))


@bp.post("/projects/<project_name>/rename")
def project_rename(project_name: str) -> Response | tuple[str, int]:
    db = get_db()
    proj = get_project(db, project_name)
    permissions.require(permissions.can_manage_projects(actor(), proj))
    form = RenameProjectForm()
    if not form.validate_on_submit():
        flash("The project was not renamed: give the new name.", "danger")
        return _project_page(project_name, 400, rename_form=form)
    try:
        old = projects.rename_project(db, _me(), proj, form.new_name.data or "", address=client_address())
    except PortalError as exc:
        return _failed(exc, lambda: _project_page(project_name, rename_form=form))
    flash(f"Project {old} is now called {proj.name}. Links to /projects/{old}/… redirect to the new name.",
          "success")
    return redirect(url_for("admin.project", project_name=proj.name))


@bp.route("/projects/<project_name>/remove", methods=["GET", "POST"])
def project_remove(project_name: str) -> Response | tuple[str, int]:
    db = get_db()
    proj = get_project(db, project_name)
    permissions.require(permissions.can_manage_projects(actor(), proj))
    form = RemoveProjectForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit() and (form.confirm_name.data or "").strip() == proj.name:
            name = proj.name
            deleted = projects.remove_project(db, _me(), proj, address=client_address())
            flash(f"Project {name} removed: {', '.join(deleted.lines())} deleted.", "success")
            return redirect(url_for("admin.project_list"))
        typed = (form.confirm_name.data or "").strip()
        message = (f"The name you typed, “{typed}”, is not “{proj.name}”." if typed
                   else "Type the project's name to confirm.")
        form.confirm_name.errors = [message]
        flash(f"Nothing was deleted: {message}", "danger")
        status = 400
    return render_template("admin/project_remove.html", project=proj, form=form,
                           contents=projects.project_contents(db, proj)), status


# --- import runs and the demo ---------------------------------------------------------------------


@bp.get("/runs")
def runs() -> str:
    db = get_db()
    status = request.args.get("status")
    status = status if status in RUN_STATUSES else None
    name = request.args.get("project") or None
    scope = get_project(db, name) if name else None
    permissions.require(permissions.can_watch_syncs(actor(), scope))
    return render_template(
        "admin/runs.html",
        runs=import_runs.recent_runs(db, limit=50, project=scope, status=status),
        cursors=import_runs.sync_cursors(db, project=scope),
        status=status,
        statuses=RUN_STATUSES,
        scope=scope,
        format_duration=import_runs.format_duration,
    )


@bp.get("/demo")
def demo() -> str:
    permissions.require(permissions.can_manage_projects(actor()))
    return render_template("admin/demo.html", plan=plan_demo_removal(get_db()), form=AdminActionForm())


@bp.post("/demo/remove")
def demo_remove() -> Response | tuple[str, int]:
    permissions.require(permissions.can_manage_projects(actor()))
    db = get_db()
    form = AdminActionForm()
    if not form.validate_on_submit():
        flash("The form had expired; nothing was removed. Try again.", "danger")
        return render_template("admin/demo.html", plan=plan_demo_removal(db), form=form), 400
    try:
        done = remove_demo(db, _me(), address=client_address())
    except PortalError as exc:
        db.rollback()
        flash(f"Nothing was removed: {exc.message}", "danger")
        return render_template("admin/demo.html", plan=plan_demo_removal(db), form=form), exc.status
    if done.empty:
        flash("No demo content was found; nothing was removed.", "info")
    else:
        removed = [line for line in done.lines() if not line.startswith("kept:")]
        flash("Demo content removed: " + "; ".join(removed) + ".", "success")
    return redirect(url_for("admin.demo"))


# --- alert deliveries that failed (portal.alerts.failures) --------------------------------------


@bp.get("/alerts")
def alert_problems() -> str:
    permissions.require(permissions.can_manage_alerts(actor()))
    return render_template("admin/alerts.html", summary=alert_failures.delivery_problems(get_db()),
                           form=AdminActionForm())


@bp.post("/alerts/<int:notification_id>/retry")
def alert_retry(notification_id: int) -> Response | tuple[str, int]:
    permissions.require(permissions.can_manage_alerts(actor()))
    db = get_db()
    form = AdminActionForm()
    if not form.validate_on_submit():
        flash("The form had expired; nothing was queued. Try again.", "danger")
        return render_template("admin/alerts.html", summary=alert_failures.delivery_problems(db), form=form), 400
    try:
        alert_failures.retry(db, _me(), notification_id)
    except PortalError as exc:
        db.rollback()
        flash(exc.message, "danger")
        return render_template("admin/alerts.html", summary=alert_failures.delivery_problems(db), form=form), \
            exc.status
    flash(f"Notification #{notification_id} is queued again; the next `portal alerts send` (or the worker) "
          "delivers it.", "success")
    return redirect(url_for("admin.alert_problems"))


# --- blueprint link conflicts (portal.specs.blueprint_links) -----------------------------------


@bp.get("/blueprint-links")
def blueprint_links() -> str:
    """Links BOB does not guess about: two spec files claiming one blueprint, links to another Launchpad project."""
    db = get_db()
    name = request.args.get("project") or None
    scope = get_project(db, name) if name else None
    permissions.require(permissions.can_watch_syncs(actor(), scope))
    return render_template("admin/blueprint_links.html", scope=scope,
                           conflicts=links.blueprint_conflicts(db, scope.id if scope else None))


# --- sign-in methods and linked identities (portal.accounts.identities, oidc, ldap) ---------------


def _sign_in_page(status: int = 200, *, form: SignInTestForm | None = None, results: dict[str, Any] | None = None,
                  found: ldap.DirectoryAccount | None = None, looked_up: str = "") -> tuple[str, int]:
    permissions.require(permissions.can_manage_sign_in(actor()))
    s = settings()
    directory = ldap.DirectoryConfig.from_settings(s)
    mapped_role = (identities.mapped_access(found.groups, identities.Mapping(directory.group_roles)).role
                   if found is not None and directory is not None and directory.group_roles else None)
    return render_template(
        "admin/sign_in.html", settings=s, provider=oidc.ProviderConfig.from_settings(s), directory=directory,
        form=form or SignInTestForm(formdata=None), results=results, found=found, looked_up=looked_up,
        mapped_role=mapped_role, redirect_uri=(s.base_url or request.host_url.rstrip("/")) + "/login/oidc/callback",
    ), status


@bp.get("/sign-in")
def sign_in() -> tuple[str, int]:
    """Which sign-in methods are on, with what settings (secrets never shown)."""
    return _sign_in_page()


@bp.post("/sign-in/test")
def sign_in_test() -> tuple[str, int]:
    """Try the configuration for real: OpenID Connect discovery and keys, the LDAP connection and service bind."""
    permissions.require(permissions.can_manage_sign_in(actor()))
    form = SignInTestForm()
    if not form.validate_on_submit():
        flash("The form had expired; nothing was tested. Try again.", "danger")
        return _sign_in_page(400, form=form)
    s = settings()
    results: dict[str, Any] = {}
    provider = oidc.ProviderConfig.from_settings(s)
    if provider is not None:
        with oidc.http_client(s) as client:
            results["oidc"] = oidc.check(provider, client, s)
    directory = ldap.DirectoryConfig.from_settings(s)
    found, looked_up = None, (form.username.data or "").strip()
    if directory is not None:
        results["ldap"] = ldap.check(directory)
        if looked_up and all(r.ok for r in results["ldap"]):
            try:
                found = ldap.find_account(directory, looked_up)
            except ldap.DirectoryUnavailable as exc:
                results["ldap"].append(ldap.CheckResult(False, f"look up {looked_up}", exc.message))
            else:
                missing = (f"no single entry matches {ldap.user_filter(directory, looked_up)} under "
                           f"{directory.user_base}; check the name and PORTAL_LDAP_USER_FILTER")
                results["ldap"].append(ldap.CheckResult(found is not None, f"look up {looked_up}",
                                                        f"found {found.dn}" if found else missing))
    if not results:
        flash("No sign-in method besides local accounts is configured, so there is nothing to test.", "info")
    elif all(r.ok for checks in results.values() for r in checks):
        flash("Every check passed.", "success")
    else:
        flash("Some checks failed: each says what to fix below.", "danger")
    return _sign_in_page(form=form, results=results, found=found, looked_up=looked_up)


@bp.post("/users/<username>/identities/<int:identity_id>/remove")
def unlink_identity(username: str, identity_id: int) -> Response | tuple[str, int]:
    permissions.require(permissions.can_manage_sign_in(actor()))
    db = get_db()
    target = accounts.get_user_with_duties(db, username)
    identity = identities.get_identity(db, target, identity_id)
    if not AdminActionForm().validate_on_submit():
        flash("The form had expired; nothing was removed. Try again.", "danger")
        return _user_page(username, 400)
    label = identity.label
    identities.unlink(db, _me(), target, identity, address=client_address())
    note = "" if target.password_hash or identities.identities_of(db, target) else (
        f" {target.username} now has no way to sign in: set a password (`portal users set-password`) or link an "
        "identity.")
    flash(f"{label} no longer signs in to {target.username}.{note}", "success")
    return redirect(url_for("admin.user", username=target.username))


@bp.post("/users/<username>/identities/ldap")
def link_directory(username: str) -> Response | tuple[str, int]:
    permissions.require(permissions.can_manage_sign_in(actor()))
    db = get_db()
    target = accounts.get_user_with_duties(db, username)
    form = LinkDirectoryForm()
    if not form.validate_on_submit():
        flash("Nothing was linked: give the directory user name.", "danger")
        return _user_page(username, 400, link_form=form)
    directory = ldap.DirectoryConfig.from_settings(settings())
    if directory is None:
        flash("Nothing was linked: LDAP sign-in is not configured (PORTAL_LDAP_URL).", "danger")
        return _user_page(username, 400, link_form=form)
    try:
        identity = identities.link_directory_account(db, _me(), target, directory, form.username.data or "",
                                                     address=client_address())
    except PortalError as exc:
        return _failed(exc, lambda: _user_page(username, link_form=form))
    flash(f"{identity.label} now signs in to {target.username}.", "success")
    return redirect(url_for("admin.user", username=target.username))
