"""Discussion on the spec page: post, reply, link an outside discussion, edit, delete, hide; "My activity".

Every form works without JavaScript: it posts, the service decides, and the
page answers with a flash message naming what happened, or re-shows the spec
page with the text the user typed and what to do about the error.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from portal import permissions
from portal.discussion import service as discussion
from portal.discussion.activity import MAX_ROWS, activity_of
from portal.discussion.ratelimit import PostingLimit
from portal.errors import InvalidInput, PortalError, TooManyAttempts
from portal.http.auth import actor, client_address
from portal.http.session import get_db, settings
from portal.models import CommentSource, Spec, User
from portal.specs import detail
from portal.web.commentview import ButtonForm, CommentForm, EditForm, HideForm, LinkForm, discussion_context
from portal.web.specview import spec_page_context

bp = Blueprint("comments", __name__)

def posting_limit() -> PostingLimit:
    return PostingLimit.from_settings(settings())


def _me() -> User:
    user = actor()
    assert user is not None  # the views ask permissions first
    return user


def _spec_url(spec: Spec, anchor: str) -> str:
    return url_for("pages.spec", project_name=spec.project.name, spec_name=spec.name, _anchor=anchor)


def _reply_to(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise InvalidInput(f"in_reply_to must be a comment's number, not '{raw[:20]}'.", {"in_reply_to": "invalid"})
    return int(raw)


def _reshow(project_name: str, spec_name: str, exc: PortalError, *, comment_form: CommentForm | None = None,
            link_form: LinkForm | None = None) -> ResponseReturnValue:
    """The spec page again, with the form the user filled in and the error; nothing was saved."""
    db = get_db()
    db.rollback()
    context = spec_page_context(db, project_name, spec_name)
    which = "link" if link_form is not None else "comment"
    context |= discussion_context(context["spec"], context["project"], actor(), comment_form=comment_form,
                                  link_form=link_form, error=exc.message, error_form=which)
    flash(f"Not posted: {exc.message}", "danger")
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else {}
    return render_template("specs/spec.html", **context), exc.status, headers


@bp.post("/projects/<project_name>/specs/<spec_name>/comments")
def post(project_name: str, spec_name: str) -> ResponseReturnValue:
    db = get_db()
    spec = detail.get_spec(db, project_name, spec_name)
    permissions.require(permissions.can_comment(actor(), spec))
    form = CommentForm()
    try:
        if not form.validate_on_submit():
            raise InvalidInput(_form_error(form))
        comment = discussion.add_comment(db, _me(), spec, form.body.data or "",
                                         in_reply_to=_reply_to(form.in_reply_to.data), limit=posting_limit())
    except (InvalidInput, TooManyAttempts) as exc:
        return _reshow(project_name, spec_name, exc, comment_form=form)
    flash("Your reply is posted in its thread." if comment.in_reply_to_id else "Your comment is posted.", "success")
    return redirect(_spec_url(spec, f"comment-{comment.id}"))


@bp.post("/projects/<project_name>/specs/<spec_name>/links")
def post_link(project_name: str, spec_name: str) -> ResponseReturnValue:
    db = get_db()
    spec = detail.get_spec(db, project_name, spec_name)
    permissions.require(permissions.can_comment(actor(), spec))
    form = LinkForm()
    try:
        if not form.validate_on_submit():
            raise InvalidInput(_form_error(form))
        comment = discussion.add_link_comment(db, _me(), spec, url=form.url.data or "", title=form.title.data or "",
                                              summary=form.summary.data or "", limit=posting_limit())
    except (InvalidInput, TooManyAttempts) as exc:
        return _reshow(project_name, spec_name, exc, link_form=form)
    flash(f"The discussion “{comment.link_title}” is recorded in the timeline.", "success")
    return redirect(_spec_url(spec, f"comment-{comment.id}"))


def _form_error(form: CommentForm | LinkForm | EditForm) -> str:
    return " ".join(f"{getattr(form, name).label.text}: {' '.join(errors)}" for name, errors in form.errors.items())


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(comment_id: int) -> ResponseReturnValue:
    db = get_db()
    comment, spec = discussion.get_comment(db, comment_id)
    project = discussion.project_of(db, spec)
    permissions.require(permissions.can_edit_comment(actor(), comment))
    form = EditForm()
    error, status = None, 200
    if form.is_submitted():
        try:
            if not form.validate():
                raise InvalidInput(_form_error(form))
            changed = discussion.edit_comment(db, _me(), comment, spec, form.body.data or "",
                                              url=form.url.data, title=form.title.data)
        except InvalidInput as exc:
            db.rollback()
            error, status = exc.message, 400
        else:
            flash("Comment edited; the earlier version is kept in its history." if changed
                  else "The text is the same as before; nothing changed.", "success" if changed else "info")
            return redirect(url_for("pages.spec", project_name=project.name, spec_name=spec.name,
                                    _anchor=f"comment-{comment.id}"))
    else:
        form.body.data, form.url.data, form.title.data = comment.body, comment.url, comment.link_title
    return render_template("comments/edit.html", form=form, comment=comment, spec=spec, project=project,
                           error=error, is_link=comment.source == CommentSource.LINK.value), status


@bp.get("/comments/<int:comment_id>/history")
def history(comment_id: int) -> ResponseReturnValue:
    db = get_db()
    comment, spec = discussion.get_comment(db, comment_id)
    project = discussion.project_of(db, spec)
    if comment.hidden_at is not None and not permissions.can_moderate(actor(), project):
        comment = None  # type: ignore[assignment]
    return render_template("comments/history.html", comment=comment, spec=spec, project=project,
                           versions=discussion.edit_history(db, comment) if comment is not None else [])


@bp.route("/comments/<int:comment_id>/delete", methods=["GET", "POST"])
def delete(comment_id: int) -> ResponseReturnValue:
    db = get_db()
    comment, spec = discussion.get_comment(db, comment_id)
    project = discussion.project_of(db, spec)
    permissions.require(permissions.can_delete_comment(actor(), comment, project))
    form = ButtonForm()
    if form.is_submitted():
        if not form.validate():
            flash("The form had expired; nothing was deleted. Confirm again.", "danger")
            return render_template("comments/delete.html", form=form, comment=comment, spec=spec,
                                   project=project), 400
        own = comment.author_id == _me().id
        discussion.delete_comment(db, _me(), comment, spec, address=client_address())
        flash("Your comment is deleted." if own else
              "The comment is deleted; its text is kept in the audit log.", "success")
        return redirect(url_for("pages.spec", project_name=project.name, spec_name=spec.name,
                                _anchor="timeline-heading"))
    return render_template("comments/delete.html", form=form, comment=comment, spec=spec, project=project)


@bp.post("/comments/<int:comment_id>/hide")
def hide(comment_id: int) -> ResponseReturnValue:
    db = get_db()
    comment, spec = discussion.get_comment(db, comment_id)
    project = discussion.project_of(db, spec)
    permissions.require(permissions.can_hide_comment(actor(), comment, project))
    form = HideForm()
    back = url_for("pages.spec", project_name=project.name, spec_name=spec.name, _anchor=f"comment-{comment.id}")
    if not form.validate_on_submit():
        flash("The form had expired (or the reason was too long); nothing was hidden. Try again.", "danger")
        return redirect(back), 303
    hidden = discussion.hide_comment(db, _me(), comment, spec, reason=form.reason.data or "",
                                     address=client_address())
    flash("The comment is hidden from readers; moderators still see it, marked hidden." if hidden
          else "The comment was already hidden; nothing changed.", "success" if hidden else "info")
    return redirect(back)


@bp.post("/comments/<int:comment_id>/show")
def show(comment_id: int) -> ResponseReturnValue:
    db = get_db()
    comment, spec = discussion.get_comment(db, comment_id)
    project = discussion.project_of(db, spec)
    permissions.require(permissions.can_hide_comment(actor(), comment, project))
    back = url_for("pages.spec", project_name=project.name, spec_name=spec.name, _anchor=f"comment-{comment.id}")
    if not ButtonForm().validate_on_submit():
        flash("The form had expired; nothing was changed. Try again.", "danger")
        return redirect(back), 303
    shown = discussion.show_comment(db, _me(), comment, spec, address=client_address())
    flash("The comment is shown to readers again." if shown else "The comment was not hidden; nothing changed.",
          "success" if shown else "info")
    return redirect(back)


@bp.get("/activity")
@login_required
def activity() -> str:
    return render_template("accounts/activity.html", activity=activity_of(get_db(), _me()), max_rows=MAX_ROWS)
