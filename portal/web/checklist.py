"""Reviewers answer checklist items and re-check specs from the spec page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from portal import permissions
from portal.checklist import service as checklist
from portal.checklist.template import STATE_LABELS
from portal.errors import InvalidInput
from portal.http.auth import actor
from portal.http.session import get_db
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
    if form.validate_on_submit():
        try:
            checklist.answer(db, actor(), spec, item_key, form.state.data or "", form.note.data or "")
        except InvalidInput as exc:
            error = exc.message
        else:
            flash(f"Saved: “{item_key}” is now {STATE_LABELS.get(form.state.data or '', form.state.data)}.", "success")
            return redirect(url_for("pages.spec", project_name=project_name, spec_name=spec_name, _anchor=anchor))
    else:
        error = " ".join(e for errors in form.errors.values() for e in errors) or "Choose a state."
    db.rollback()
    # Re-show the page with what the reviewer typed, so nothing is lost.
    context = spec_page_context(db, project_name, spec_name)
    context["checklist_forms"][item_key] = form
    context["checklist_errors"] = {item_key: error}
    flash(f"Not saved: {error}", "danger")
    return render_template("specs/spec.html", **context), 400


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

