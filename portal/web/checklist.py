"""Reviewers answer checklist items and re-check specs from the spec page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from portal import permissions
from portal.checklist import queue
from portal.checklist import service as checklist
from portal.checklist import template as templates
from portal.checklist.template import STATE_LABELS
from portal.errors import InvalidInput
from portal.http.auth import actor
from portal.http.session import get_db, settings
from portal.models import Project
from portal.specs import detail
from portal.web.forms import ChecklistAnswerForm, RecheckForm
from portal.web.specview import spec_page_context

bp = Blueprint("checklist", __name__)


@bp.post("/projects/<project_name>/specs/<spec_name>/checklist/<item_key>")
def answer(project_name: str, spec_name: str, item_key: str) -> ResponseReturnValue:
    db = get_db()
    spec = detail.get_spec(db, project_name, spec_name)
    permissions.require(permissions.can_answer_checklist(actor(), spec))
    form = ChecklistAnswerForm(prefix=item_key)
    anchor = f"item-{item_key}"
    title = _title(item_key)
    if form.validate_on_submit():
        try:
            checklist.answer(db, actor(), spec, item_key, form.state.data or "", form.note.data or "")
        except InvalidInput as exc:
            error = exc.message
        else:
            state = STATE_LABELS.get(form.state.data or "", form.state.data or "")
            # Shown next to the item the reviewer lands back on (templates/specs/_checklist.html).
            text = f"Saved: “{title}” is now {state}."
            session["checklist_notice"] = {"key": item_key, "category": "success", "text": text}
            return redirect(url_for("pages.spec", project_name=project_name, spec_name=spec_name, _anchor=anchor))
    else:
        error = " ".join(e for errors in form.errors.values() for e in errors) or "Choose a state."
    db.rollback()
    # Re-show the page with what the reviewer typed, so nothing is lost; the form posts to
    # …#item-<key>, so the browser lands on the item, where the error is shown.
    context = spec_page_context(db, project_name, spec_name)
    context["checklist_forms"][item_key] = form
    context["checklist_errors"] = {item_key: error}
    flash(f"Not saved: “{title}”: {error}", "danger")
    return render_template("specs/spec.html", **context), 400


def _title(item_key: str) -> str:
    """The item's title for messages (the key if the template has no such item)."""
    try:
        return templates.latest().item(item_key).title
    except InvalidInput:
        return item_key


@bp.get("/review-queue")
def review_queue() -> ResponseReturnValue:
    """Specs whose checklist still needs a reviewer, across the projects the reviewer ticks."""
    db = get_db()
    filter_error = None
    try:
        flt = queue.parse_filter(request.args, default_per_page=settings().page_size)
    except InvalidInput as exc:
        flt, filter_error = queue.QueueFilter(per_page=settings().page_size), exc.message
    page = queue.review_queue(db, flt)
    args = {"project": list(flt.projects), "release": flt.release, "item": flt.item}
    return render_template(
        "checklist/review_queue.html",
        flt=flt,
        page=page,
        args={k: v for k, v in args.items() if v},
        projects=list(db.scalars(select(Project).order_by(Project.name))),
        releases=queue.releases_in_queue(db, flt.projects),
        items=[i for i in templates.latest().items if i.key in templates.STABLE_KEYS],
        filter_error=filter_error,
    )


@bp.post("/projects/<project_name>/specs/<spec_name>/checklist/recheck")
def recheck(project_name: str, spec_name: str) -> ResponseReturnValue:
    db = get_db()
    spec = detail.get_spec(db, project_name, spec_name)
    permissions.require(permissions.can_answer_checklist(actor(), spec))
    if not RecheckForm().validate_on_submit():
        raise InvalidInput("The re-check form had expired; reload the page and try again.")
    checklist.recheck(db, actor(), spec)
    flash("Re-checked against the newest checklist; reviewers' answers are kept.", "success")
    return redirect(url_for("pages.spec", project_name=project_name, spec_name=spec_name, _anchor="checklist"))

