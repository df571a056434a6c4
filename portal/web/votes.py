"""The vote control of the spec page and the deployment profile of the account page.

Both are plain HTML forms (POST with CSRF, then a redirect and a flash
message), so they work without JavaScript. ``static/js/votes.js`` sends the
same form with ``Accept: application/json`` and gets the new tally back,
so the page updates without a reload.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from portal import permissions
from portal.errors import InvalidInput
from portal.http.auth import actor
from portal.http.session import get_db
from portal.http.votes import spec_or_404, start_write
from portal.models import DeploymentTool, HypervisorBand, Priority, ProjectBand, Spec, User
from portal.votes import profile as profiles
from portal.votes import service, summary
from portal.votes.profile import TOOL_LABELS
from portal.votes.service import PRIORITY_LABELS

bp = Blueprint("votes", __name__)
PROFILE_FIELDS = ("organisation", "release_in_production", "deployment_tool", "hypervisors", "projects")

PRIORITY_HINTS = {
    Priority.MUST: "we cannot run without it",
    Priority.IMPORTANT: "it would change how we operate",
    Priority.NICE: "we would use it",
    Priority.NOT_NEEDED: "it does not help us",
}


def vote_context(db: Session, spec: Spec, user: User | None) -> dict[str, Any]:
    """What ``templates/specs/_vote.html`` needs (one query for the votes)."""
    return {
        "vote": summary.vote_summary(db, spec.id, user.id if user else None),
        "can_vote": permissions.can_vote(user, spec),
        "is_ptl": permissions.can_acknowledge(user, spec.project).allowed,
        "priorities": [(p.value, PRIORITY_LABELS[p], PRIORITY_HINTS[p]) for p in Priority],
        "vote_error": None,
        "vote_draft": None,
    }


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _tally_text(tally: service.Tally) -> str:
    if not tally.total:
        return "No votes yet."
    parts = ", ".join(f"{tally.by_priority[p.value]} {PRIORITY_LABELS[p].lower()}" for p in Priority
                      if tally.by_priority[p.value])
    votes = "vote" if tally.total == 1 else "votes"
    return f"{tally.total} {votes}: {parts}. {tally.affects_me} say it affects them."


def _done(db: Session, spec: Spec, message: str) -> ResponseReturnValue:
    if _wants_json():
        user = actor()
        result = summary.vote_summary(db, spec.id, user.id if user else None)
        mine = result.mine
        return jsonify({
            "message": message,
            "tally": result.tally.as_json(),
            "tally_text": _tally_text(result.tally),
            "mine": {"priority": mine.priority, "affects_me": mine.affects_me} if mine else None,
        })
    flash(message, "success")
    return redirect(url_for("pages.spec", project_name=spec.project.name, spec_name=spec.name, _anchor="vote"))


@bp.post("/projects/<project_name>/specs/<spec_name>/vote")
def cast(project_name: str, spec_name: str) -> ResponseReturnValue:
    db = get_db()
    start_write(db)
    spec = spec_or_404(db, project_name, spec_name)
    permissions.require(permissions.can_vote(actor(), spec))
    try:
        choice = service.parse_vote(request.form)
    except InvalidInput as exc:
        return _not_saved(db, spec, exc.message)
    service.cast(db, actor(), spec, choice)
    label = PRIORITY_LABELS[choice.priority].lower()
    extra = " and that it affects you" if choice.affects_me else ""
    return _done(db, spec, f"Vote saved: “{label}”{extra}. You can change or withdraw it at any time.")


def _not_saved(db: Session, spec: Spec, message: str) -> ResponseReturnValue:
    """Say what to fix and show the form again with what was typed (nothing is lost)."""
    if _wants_json():
        return jsonify({"error": {"code": "invalid_input", "message": message}}), 400
    from portal.web import specview  # the spec page imports this module for its context

    # Nothing was written (the input is checked before any write), so the page reads as it was.
    context = specview.spec_page_context(db, spec.project.name, spec.name)
    context["vote_error"] = message
    context["vote_draft"] = {k: request.form.get(k, "") for k in ("priority", "affects_me", "reason", "links")}
    flash(f"Vote not saved: {message}", "danger")
    return render_template("specs/spec.html", **context), 400


@bp.post("/projects/<project_name>/specs/<spec_name>/vote/withdraw")
def withdraw(project_name: str, spec_name: str) -> ResponseReturnValue:
    db = get_db()
    start_write(db)
    spec = spec_or_404(db, project_name, spec_name)
    permissions.require(permissions.can_vote(actor(), spec))
    if service.withdraw(db, actor(), spec):
        return _done(db, spec, "Vote withdrawn. Its history is kept; vote again at any time.")
    return _done(db, spec, "You had no vote on this spec, so there was nothing to withdraw.")


# --- the deployment profile (a section of the account page) ----------------------------------


@bp.app_context_processor
def _profile_choices() -> dict[str, Any]:
    """For the account page's include: the user's profile, read only when the include asks."""

    def deployment_profile() -> dict[str, Any]:
        draft = g.get("deployment_draft")
        if draft is not None:
            return draft  # a form that was refused: shown again as typed
        row = profiles.get_profile(get_db(), current_user.user.id) if current_user.is_authenticated else None
        return profiles.snapshot(row) if row else {}

    return {
        "deployment_profile": deployment_profile,
        "deployment_error": g.get("deployment_error"),
        "deployment_tools": [(t.value, TOOL_LABELS[t]) for t in DeploymentTool],
        "hypervisor_bands": [b.value for b in HypervisorBand],
        "project_bands": [b.value for b in ProjectBand],
    }


@bp.post("/account/deployment")
@login_required
def save_profile() -> ResponseReturnValue:
    db = get_db()
    try:
        data = profiles.parse_profile(request.form)
    except InvalidInput as exc:
        from portal.web import accounts  # the account page, rendered again with what was typed

        g.deployment_draft = {k: request.form.get(k, "") for k in PROFILE_FIELDS} | {
            "show_organisation": bool(request.form.get("show_organisation")),
            "backends": request.form.get("backends", "").split(","),
        }
        g.deployment_error = exc.message
        flash(f"Deployment profile not saved: {exc.message}", "danger")
        return accounts._account_page(400)
    profiles.save_profile(db, actor(), data)
    flash("Deployment profile saved. Votes you cast from now on carry it; earlier votes keep the context "
          "they were cast in.", "success")
    return redirect(url_for("accounts.account", _anchor="deployment-heading"))
