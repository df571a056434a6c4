"""What the spec page needs for its discussion: the forms, and which controls each timeline entry shows.

Kept apart from ``portal/web/comments.py`` (the routes) so the spec page's
context (``portal/web/specview.py``) and the routes that re-render that page
with an error can both use it.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from portal import permissions
from portal.discussion.service import MAX_COMMENT_CHARS, MAX_HIDE_REASON_CHARS, MAX_LINK_TITLE_CHARS, MAX_URL_CHARS
from portal.models import Project, Spec, User
from portal.specs import timeline
from portal.specs.timeline import TimelineEntry, TimelinePage

MARKDOWN_HINT = "Markdown: **bold**, `code`, lists, links; @name tells a user. HTML is shown as text."


class CommentForm(FlaskForm):
    # Length is checked by the service, which says what to do; the form only keeps the field bounded.
    body = TextAreaField("Your comment", description=MARKDOWN_HINT, validators=[Length(max=MAX_COMMENT_CHARS * 2)])
    in_reply_to = HiddenField(validators=[Optional()])
    submit = SubmitField("Post comment")


class ReplyForm(CommentForm):
    body = TextAreaField("Your reply", description=MARKDOWN_HINT, validators=[Length(max=MAX_COMMENT_CHARS * 2)])
    submit = SubmitField("Post reply")


class LinkForm(FlaskForm):
    url = StringField("Address of the discussion", validators=[Length(max=MAX_URL_CHARS * 2)],
                      description="An IRC meeting log, a mailing-list thread, an etherpad: http:// or https://.")
    title = StringField("Title", validators=[Length(max=MAX_LINK_TITLE_CHARS * 2)],
                        description="e.g. nova meeting 2026-11-20, or the thread's subject.")
    summary = TextAreaField("Salient points", validators=[Length(max=MAX_COMMENT_CHARS * 2)],
                            description="What was said or decided that matters to operators. " + MARKDOWN_HINT)
    submit = SubmitField("Record the discussion")


class EditForm(FlaskForm):
    body = TextAreaField("Text", description=MARKDOWN_HINT, validators=[Length(max=MAX_COMMENT_CHARS * 2)])
    url = StringField("Address of the discussion", validators=[Length(max=MAX_URL_CHARS * 2)])
    title = StringField("Title", validators=[Length(max=MAX_LINK_TITLE_CHARS * 2)])
    submit = SubmitField("Save the new version")


class HideForm(FlaskForm):
    reason = StringField("Reason (shown to moderators)", validators=[Length(max=MAX_HIDE_REASON_CHARS)])
    submit = SubmitField("Hide from readers")


class ButtonForm(FlaskForm):
    """A form that is only a button and its CSRF token (delete, show again, block)."""

    submit = SubmitField("Confirm")


def discussion_context(
    spec: Spec, project: Project, user: User | None, *, comment_form: CommentForm | None = None,
    link_form: LinkForm | None = None, error: str | None = None, error_form: str = "",
) -> dict[str, Any]:
    """The spec page's discussion forms; ``error`` re-shows one of them (``error_form``) with what went wrong."""
    can_comment = permissions.can_comment(user, spec)
    return {
        "can_comment": can_comment.allowed,
        "comment_refusal": "" if can_comment.allowed else can_comment.message,
        "comment_form": comment_form or CommentForm(formdata=None),
        "link_form": link_form or LinkForm(formdata=None),
        "comment_error": error,
        "comment_error_form": error_form,
        "moderates": permissions.can_moderate(user, project).allowed,
        "button_form": ButtonForm(formdata=None),
        "hide_form": HideForm(formdata=None),
    }


def is_moderator(user: User | None, project: Project) -> bool:
    return permissions.can_moderate(user, project).allowed


def annotate(page: TimelinePage, user: User | None, spec: Spec, project: Project) -> None:
    """Mark each comment entry with the controls ``user`` may use (no query: the rules read loaded rows)."""
    can_comment = permissions.can_comment(user, spec).allowed
    can_block = user is not None and permissions.can_manage_users(user).allowed
    for entry in page.entries:
        for item in (entry, *entry.replies):
            _mark(item, user, project, can_comment, can_block)


def _mark(entry: TimelineEntry, user: User | None, project: Project, can_comment: bool, can_block: bool) -> None:
    comment = entry.comment
    if comment is None or entry.placeholder:
        return
    entry.extra.update(
        can_reply=can_comment and comment.hidden_at is None,
        can_edit=permissions.can_edit_comment(user, comment).allowed,
        can_delete=permissions.can_delete_comment(user, comment, project).allowed,
        can_hide=permissions.can_hide_comment(user, comment, project).allowed,
        can_block=can_block and comment.author_id is not None and comment.author_id != (user.id if user else None),
    )


def timeline_for(db: Session, spec: Spec, page_number: int, user: User | None) -> TimelinePage:
    """The page of the timeline ``user`` sees (hidden comments too if they moderate), with its controls."""
    page = timeline.timeline_page(db, spec, page_number, moderator=is_moderator(user, spec.project))
    annotate(page, user, spec, spec.project)
    return page
