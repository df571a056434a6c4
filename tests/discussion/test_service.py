"""The discussion's writes: threads, links, edits with history, soft delete, hiding, mentions, the posting limit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts import service as accounts
from portal.discussion import service as discussion
from portal.discussion.mentions import mentioned_names
from portal.discussion.ratelimit import PostingLimit
from portal.errors import InvalidInput, PermissionDenied, TooManyAttempts
from portal.events import EventKind
from portal.models import AuditLog, Comment, CommentEdit, Event


def kinds(db, comment_id: int | None = None) -> list[str]:
    rows = db.scalars(select(Event).order_by(Event.id)).all()
    return [e.kind for e in rows if comment_id is None or e.payload.get("comment_id") == comment_id]


def test_a_comment_is_rendered_once_and_recorded_as_an_event(db, cast):
    comment = discussion.add_comment(db, cast.rey, cast.spec, "We run **2,000** hypervisors; see https://x.example")

    assert "<strong>2,000</strong>" in comment.body_html
    assert comment.author_name == "Rey Operator" and comment.source == "portal"
    assert comment.thread_id is None and comment.in_reply_to_id is None
    assert kinds(db, comment.id) == [EventKind.COMMENT_ADDED]


@pytest.mark.parametrize(("body", "says"), [
    ("", "The comment is empty: write something before posting."),
    ("   \n\t ", "The comment is empty: write something before posting."),
    ("x" * 20_001, "The comment is 20001 characters long; the limit is 20000. Shorten it, or link to a longer"),
])
def test_an_empty_or_oversized_comment_says_what_to_do_and_saves_nothing(db, cast, body, says):
    with pytest.raises(InvalidInput) as raised:
        discussion.add_comment(db, cast.rey, cast.spec, body)

    assert raised.value.message.startswith(says)
    assert db.scalar(select(Comment.id)) is None


def test_replies_join_the_thread_of_the_first_comment(db, cast):
    root = discussion.add_comment(db, cast.rey, cast.spec, "Does drain mode stop new builds?")
    reply = discussion.add_comment(db, cast.pat, cast.spec, "Yes.", in_reply_to=root.id)
    deeper = discussion.add_comment(db, cast.carlos, cast.spec, "And migrations?", in_reply_to=reply.id)

    assert (reply.in_reply_to_id, reply.thread_id) == (root.id, root.id)
    assert (deeper.in_reply_to_id, deeper.thread_id) == (reply.id, root.id)


def test_a_reply_must_answer_a_live_comment_of_the_same_spec(db, cast, make_spec):
    other = make_spec(name="other", project=cast.nova)
    elsewhere = discussion.add_comment(db, cast.rey, other, "Elsewhere.")
    with pytest.raises(InvalidInput, match="is not part of this spec's discussion"):
        discussion.add_comment(db, cast.rey, cast.spec, "Hi", in_reply_to=elsewhere.id)
    with pytest.raises(InvalidInput, match="is not part of this spec's discussion"):
        discussion.add_comment(db, cast.rey, cast.spec, "Hi", in_reply_to=999_999)
    gone = discussion.add_comment(db, cast.rey, cast.spec, "Soon gone.")
    discussion.delete_comment(db, cast.rey, gone, cast.spec)
    with pytest.raises(InvalidInput, match="was deleted; reply to another comment of the thread"):
        discussion.add_comment(db, cast.carlos, cast.spec, "Hi", in_reply_to=gone.id)


def test_a_link_records_an_outside_discussion_with_its_address_title_and_points(db, cast):
    link = discussion.add_link_comment(
        db, cast.rey, cast.spec, url="https://meetings.opendev.org/meetings/nova/2026/nova.log.html",
        title="  nova   meeting 2026-11-20 ", summary="- drain mode agreed for 2026.2\n- needs an upgrade note",
    )

    assert link.source == "link" and link.link_title == "nova meeting 2026-11-20"
    assert link.url.startswith("https://meetings.opendev.org/") and "<li>drain mode agreed" in link.body_html
    assert kinds(db, link.id) == [EventKind.COMMENT_ADDED]


@pytest.mark.parametrize(("url", "title", "summary", "says"), [
    ("", "t", "s", "Give the address of the discussion"),
    ("javascript:alert(1)", "t", "s", "must be an http:// or https:// URL"),
    ("https://", "t", "s", "must be an http:// or https:// URL"),
    ("https://etherpad.example/p/nova", "", "s", "Give the discussion a title"),
    ("https://etherpad.example/p/nova", "t", "", "The summary of the discussion is empty"),
])
def test_a_bad_link_says_which_field_to_fix(db, cast, url, title, summary, says):
    with pytest.raises(InvalidInput, match=says):
        discussion.add_link_comment(db, cast.rey, cast.spec, url=url, title=title, summary=summary)


def test_an_edit_keeps_the_earlier_version_in_the_history(db, cast):
    comment = discussion.add_comment(db, cast.rey, cast.spec, "First words.")

    assert discussion.edit_comment(db, cast.rey, comment, cast.spec, "Better words.")
    assert not discussion.edit_comment(db, cast.rey, comment, cast.spec, "Better words.")  # nothing new

    history = discussion.edit_history(db, comment)
    assert [v.body for v in history] == ["First words."]
    assert history[0].written_at == comment.created_at and comment.edited_at is not None
    assert comment.body == "Better words." and "Better words." in comment.body_html
    assert kinds(db, comment.id) == [EventKind.COMMENT_ADDED, EventKind.COMMENT_EDITED]


def test_only_the_author_edits_and_moderators_cannot_rewrite(db, cast):
    comment = discussion.add_comment(db, cast.rey, cast.spec, "Mine.")
    for other in (cast.carlos, cast.pat, cast.ada):
        with pytest.raises(PermissionDenied, match="Only the author can edit a comment"):
            discussion.edit_comment(db, other, comment, cast.spec, "Not yours.")
    assert comment.body == "Mine."


def test_delete_is_soft_and_the_text_goes_to_the_audit_log(db, cast):
    comment = discussion.add_comment(db, cast.rey, cast.spec, "Version one.")
    discussion.edit_comment(db, cast.rey, comment, cast.spec, "Version two.")

    discussion.delete_comment(db, cast.pat, comment, cast.spec, address="192.0.2.7")  # the PTL moderates

    assert comment.deleted_at is not None and comment.body == "" and comment.body_html == ""
    assert db.scalar(select(CommentEdit.id).where(CommentEdit.comment_id == comment.id)) is None
    entry = db.scalars(select(AuditLog).where(AuditLog.action == "comment.deleted")).one()
    assert entry.actor_id == cast.pat.id and entry.target_id == str(comment.id) and entry.address == "192.0.2.7"
    assert entry.details["body"] == "Version two." and entry.details["earlier_versions"] == ["Version one."]
    assert entry.details["by"] == "moderator" and entry.details["spec"] == "nova/drain-mode"
    assert kinds(db, comment.id)[-1] == EventKind.COMMENT_DELETED


def test_who_may_delete(db, cast):
    comment = discussion.add_comment(db, cast.rey, cast.spec, "Mine.")
    for refused in (cast.carlos, cast.otto):
        with pytest.raises(PermissionDenied):
            discussion.delete_comment(db, refused, comment, cast.spec)
    discussion.delete_comment(db, cast.rey, comment, cast.spec)
    with pytest.raises(PermissionDenied, match="already deleted"):
        discussion.delete_comment(db, cast.ada, comment, cast.spec)


def test_moderators_hide_and_show_again_with_a_reason(db, cast):
    spam = discussion.add_comment(db, cast.carlos, cast.spec, "Buy cheap watches")
    with pytest.raises(PermissionDenied, match="Only portal admins and the PTLs of nova moderate"):
        discussion.hide_comment(db, cast.otto, spam, cast.spec)

    assert discussion.hide_comment(db, cast.pat, spam, cast.spec, reason="spam")
    assert not discussion.hide_comment(db, cast.pat, spam, cast.spec)
    assert spam.hidden_by_id == cast.pat.id and spam.hidden_reason == "spam"
    assert discussion.show_comment(db, cast.ada, spam, cast.spec)
    assert spam.hidden_at is None
    assert kinds(db, spam.id) == [EventKind.COMMENT_ADDED, EventKind.COMMENT_HIDDEN, EventKind.COMMENT_SHOWN]
    actions = db.scalars(select(AuditLog.action).where(AuditLog.target_type == "comment")).all()
    assert actions == ["comment.hidden", "comment.shown"]


def test_a_blocked_user_cannot_post(db, cast):
    accounts.block_user(db, cast.ada, cast.carlos)
    with pytest.raises(PermissionDenied, match="blocked from posting"):
        discussion.add_comment(db, cast.carlos, cast.spec, "Hello")


@pytest.mark.parametrize(("text", "names"), [
    ("@pat what do you think?", ["pat"]),
    ("cc @Pat, @carlos and @pat again.", ["pat", "carlos"]),
    ("mail rey@example.org, not a mention", []),
    ("`@decorator` in code and\n\n```\n@ada in a block\n```\n", []),
    ("    @indented code", []),
    ("end of sentence @rey.", ["rey"]),
    ("@x too short", []),
])
def test_mentioned_names(text, names):
    assert mentioned_names(text) == names


def test_a_mention_of_a_user_is_recorded_once_for_the_alerts(db, cast, make_user):
    gone = make_user("gone")
    accounts.disable_user(db, None, gone)
    comment = discussion.add_comment(db, cast.rey, cast.spec, "@pat @nobody @rey @gone please look")

    mentions = db.scalars(select(Event).where(Event.kind == EventKind.MENTION.value)).all()
    assert [(e.payload["mentioned_user_id"], e.actor_id) for e in mentions] == [(cast.pat.id, cast.rey.id)]

    discussion.edit_comment(db, cast.rey, comment, cast.spec, "@pat @carlos please look")  # only carlos is new
    mentions = db.scalars(select(Event).where(Event.kind == EventKind.MENTION.value)).all()
    assert [e.payload["mentioned_user_id"] for e in mentions] == [cast.pat.id, cast.carlos.id]


def test_posting_is_limited_per_user_and_says_when_to_try_again(db, cast):
    limit = PostingLimit(max_comments=3, window_minutes=10)
    for n in range(3):
        discussion.add_comment(db, cast.rey, cast.spec, f"Comment {n}", limit=limit)

    with pytest.raises(TooManyAttempts) as raised:
        discussion.add_comment(db, cast.rey, cast.spec, "One too many", limit=limit)
    assert raised.value.message.startswith("You have posted 3 comments in the last 10 minutes, the most allowed.")
    assert "wait about 10 minutes and send it again" in raised.value.message
    assert 540 < raised.value.retry_after <= 601
    with pytest.raises(TooManyAttempts):  # a link counts too
        discussion.add_link_comment(db, cast.rey, cast.spec, url="https://e.example/x", title="t", summary="s",
                                    limit=limit)
    discussion.add_comment(db, cast.carlos, cast.spec, "Someone else may post", limit=limit)


def test_import_comment_still_inserts_once(db, cast):
    from portal.models import CommentSource

    first, new = discussion.import_comment(db, cast.spec, source=CommentSource.GERRIT, external_id="g:1",
                                           author_name="Sylvain", body="LGTM", created_at=cast.spec.created_at)
    again, new_again = discussion.import_comment(db, cast.spec, source=CommentSource.GERRIT, external_id="g:1",
                                                 author_name="Sylvain", body="LGTM", created_at=cast.spec.created_at)
    assert new and not new_again and first.id == again.id
