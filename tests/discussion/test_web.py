"""Commenting from the spec page without JavaScript: forms, flash messages, errors that keep the text."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.app import create_app
from portal.discussion import service as discussion
from portal.models import AuditLog, Comment
from tests.support.factories import login
from tests.support.html import csrf_token, text_of

SPEC_URL = "/projects/nova/specs/drain-mode"


def signed_in(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client, csrf_token(client.get(SPEC_URL).get_data(as_text=True))


def timeline(html: str) -> str:
    return html.split('id="timeline-heading"', 1)[1].split("</main>", 1)[0]


def flashes(html: str) -> list[str]:
    return [text_of(m) for m in re.findall(r'<div class="alert alert-\w+">(.*?)</div>', html, re.S)]


def test_an_anonymous_reader_is_asked_to_log_in(client, cast):
    html = client.get(SPEC_URL).get_data(as_text=True)
    assert "Log in to comment, reply or record an outside discussion." in text_of(html)
    assert 'id="comment-form"' not in html


def test_posting_a_comment_answers_with_a_message_and_shows_it_marked_with_its_source(app, db, cast):
    client, token = signed_in(app, "rey")

    response = client.post(f"{SPEC_URL}/comments", data={"csrf_token": token, "body": "We need **this**."})

    assert response.status_code == 302
    comment = db.scalars(select(Comment)).one()
    assert response.headers["Location"].endswith(f"{SPEC_URL}#comment-{comment.id}")
    html = client.get(SPEC_URL).get_data(as_text=True)
    assert "Your comment is posted." in flashes(html)
    entry = re.search(rf'<li class="timeline-entry source-portal kind-comment" id="comment-{comment.id}">(.*?)'
                      r'<details class="comment-reply">', timeline(html), re.S)
    assert entry is not None
    assert "BOB Rey Operator commented" in text_of(entry.group(1)) and "<strong>this</strong>" in entry.group(1)


@pytest.mark.parametrize(("body", "says"), [
    ("   ", "Not posted: The comment is empty: write something before posting."),
    ("x" * 20_001, "Not posted: The comment is 20001 characters long; the limit is 20000."),
])
def test_an_empty_or_oversized_comment_is_refused_and_the_text_kept(app, db, cast, body, says):
    client, token = signed_in(app, "rey")

    response = client.post(f"{SPEC_URL}/comments", data={"csrf_token": token, "body": body})

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert any(f.startswith(says) for f in flashes(html))
    assert f'name="body" rows="4" aria-describedby="comment-body-hint discussion-error">{body}</textarea>' in html
    assert db.scalar(select(Comment.id)) is None


def test_the_rate_limit_is_counted_in_the_database_across_workers(settings, session_factory, db, cast):
    """Two app instances are two workers: the limit holds over both, and the refused text stays in the form."""
    limited = settings.with_overrides(comment_rate_limit=3, comment_rate_window_minutes=5)
    first, second = (create_app(limited, session_factory=session_factory) for _ in range(2))
    one, token_one = signed_in(first, "rey")
    two, token_two = signed_in(second, "rey")
    for client, token in ((one, token_one), (two, token_two), (one, token_one)):
        assert client.post(f"{SPEC_URL}/comments", data={"csrf_token": token, "body": "hi"}).status_code == 302

    refused = two.post(f"{SPEC_URL}/comments", data={"csrf_token": token_two, "body": "The fourth"})

    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 301
    html = refused.get_data(as_text=True)
    assert "You have posted 3 comments in the last 5 minutes" in text_of(html)
    assert ">The fourth</textarea>" in html


def test_a_reply_is_shown_inside_its_thread(app, db, cast):
    root = discussion.add_comment(db, cast.pat, cast.spec, "What size are your cells?")
    db.flush()
    client, token = signed_in(app, "rey")

    response = client.post(f"{SPEC_URL}/comments",
                           data={"csrf_token": token, "body": "About 800 hosts.", "in_reply_to": str(root.id)})

    assert response.status_code == 302
    html = client.get(SPEC_URL).get_data(as_text=True)
    assert "Your reply is posted in its thread." in flashes(html)
    thread = timeline(html).split(f'id="comment-{root.id}"', 1)[1]
    replies = thread.split('<ol class="comment-replies', 1)[1].split("</ol>", 1)[0]
    assert "Rey Operator replied" in text_of(replies) and "About 800 hosts." in text_of(replies)


def test_a_failed_reply_comes_back_in_the_main_form_still_a_reply(app, db, cast):
    root = discussion.add_comment(db, cast.pat, cast.spec, "Q")
    db.flush()
    client, token = signed_in(app, "rey")
    response = client.post(f"{SPEC_URL}/comments", data={"csrf_token": token, "body": "", "in_reply_to": root.id})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'<input type="hidden" name="in_reply_to" value="{root.id}">' in html.split('id="comment-form"')[1]
    assert "Replying to comment" in text_of(html)


def test_a_link_to_an_outside_discussion_is_shown_with_its_title(app, db, cast):
    client, token = signed_in(app, "rey")

    response = client.post(f"{SPEC_URL}/links", data={
        "csrf_token": token, "url": "https://lists.openstack.org/archives/list/openstack-discuss/thread/X/",
        "title": "[nova] drain mode", "summary": "Operators want a **timeout**."})

    assert response.status_code == 302
    html = client.get(SPEC_URL).get_data(as_text=True)
    assert "The discussion “[nova] drain mode” is recorded in the timeline." in flashes(html)
    entry = timeline(html).split("kind-comment", 1)[1]
    assert ('<a href="https://lists.openstack.org/archives/list/openstack-discuss/thread/X/" '
            'rel="nofollow ugc noopener">[nova] drain mode</a>') in entry
    assert "Link Rey Operator linked a discussion: [nova] drain mode ·" in text_of(entry)


def test_a_bad_link_is_refused_with_what_to_fix_and_nothing_lost(app, db, cast):
    client, token = signed_in(app, "rey")
    response = client.post(f"{SPEC_URL}/links", data={"csrf_token": token, "url": "javascript:alert(1)",
                                                      "title": "Meeting", "summary": "Points"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "must be an http:// or https:// URL" in text_of(html)
    assert '<details class="mb-2" open>' in html and 'value="Meeting"' in html and ">Points</textarea>" in html


def test_links_in_comments_are_nofollow_ugc(app, db, cast):
    client, token = signed_in(app, "rey")
    client.post(f"{SPEC_URL}/comments", data={"csrf_token": token, "body": "See [the bug](https://bugs.example/1)"})
    html = client.get(SPEC_URL).get_data(as_text=True)
    assert '<a href="https://bugs.example/1" rel="nofollow ugc noopener noreferrer">the bug</a>' in html


def test_editing_shows_the_earlier_version_in_the_history(app, db, cast):
    comment = discussion.add_comment(db, cast.rey, cast.spec, "Frist version")
    db.flush()
    client, token = signed_in(app, "rey")
    form = client.get(f"/comments/{comment.id}/edit").get_data(as_text=True)
    assert ">Frist version</textarea>" in form

    response = client.post(f"/comments/{comment.id}/edit", data={"csrf_token": token, "body": "First version"})

    assert response.status_code == 302
    html = client.get(SPEC_URL).get_data(as_text=True)
    assert "Comment edited; the earlier version is kept in its history." in flashes(html)
    assert f'href="/comments/{comment.id}/history">edited' in html
    history = text_of(client.get(f"/comments/{comment.id}/history").get_data(as_text=True))
    assert "Current version" in history and "First version" in history
    assert "Earlier versions, newest first" in history and "Frist version" in history


def test_an_empty_edit_is_refused_with_the_text_kept(app, db, cast):
    comment = discussion.add_comment(db, cast.rey, cast.spec, "Keep me")
    db.flush()
    client, token = signed_in(app, "rey")
    response = client.post(f"/comments/{comment.id}/edit", data={"csrf_token": token, "body": " "})
    assert response.status_code == 400
    assert "The comment is empty" in text_of(response.get_data(as_text=True))
    assert comment.body == "Keep me"


def test_only_the_author_sees_edit_and_moderators_see_delete_and_hide(app, db, cast):
    comment = discussion.add_comment(db, cast.rey, cast.spec, "Text")
    db.flush()
    controls = {}
    for who in ("rey", "carlos", "pat", "ada"):
        client, _ = signed_in(app, who)
        html = timeline(client.get(SPEC_URL).get_data(as_text=True))
        controls[who] = {name for name, marker in (
            ("reply", 'class="comment-reply"'), ("edit", f"/comments/{comment.id}/edit"),
            ("delete", f"/comments/{comment.id}/delete"), ("hide", f"/comments/{comment.id}/hide"),
            ("block", "/admin/users/rey/block")) if marker in html}
    assert controls == {
        "rey": {"reply", "edit", "delete"},
        "carlos": {"reply"},
        "pat": {"reply", "delete", "hide"},
        "ada": {"reply", "delete", "hide", "block"},
    }


def test_deleting_asks_first_then_keeps_the_text_in_the_audit_log(app, db, cast):
    comment = discussion.add_comment(db, cast.carlos, cast.spec, "Off-topic rant")
    db.flush()
    client, token = signed_in(app, "pat")
    confirm = text_of(client.get(f"/comments/{comment.id}/delete").get_data(as_text=True))
    assert "Delete this comment by carlos?" in confirm and "Off-topic rant" in confirm

    response = client.post(f"/comments/{comment.id}/delete", data={"csrf_token": token})

    assert response.status_code == 302
    html = client.get(SPEC_URL).get_data(as_text=True)
    assert "The comment is deleted; its text is kept in the audit log." in flashes(html)
    assert "Off-topic rant" not in html
    assert db.scalars(select(AuditLog.details).where(AuditLog.action == "comment.deleted")).one()["body"] == (
        "Off-topic rant")


def test_hiding_spam_removes_it_for_readers_but_not_for_moderators(app, client, db, cast):
    spam = discussion.add_comment(db, cast.carlos, cast.spec, "Cheap watches here")
    db.flush()
    pat, token = signed_in(app, "pat")

    response = pat.post(f"/comments/{spam.id}/hide", data={"csrf_token": token, "reason": "spam"})

    assert response.status_code == 302
    html = pat.get(SPEC_URL).get_data(as_text=True)
    assert "The comment is hidden from readers; moderators still see it, marked hidden." in flashes(html)
    assert "hidden from readers: spam" in text_of(timeline(html)) and "Cheap watches here" in html
    assert "Cheap watches here" not in client.get(SPEC_URL).get_data(as_text=True)

    pat.post(f"/comments/{spam.id}/show", data={"csrf_token": token})
    assert "Cheap watches here" in client.get(SPEC_URL).get_data(as_text=True)


def test_my_activity_is_one_click_from_every_page_and_lists_my_comments(app, db, cast):
    discussion.add_comment(db, cast.rey, cast.spec, "My first remark")
    gone = discussion.add_comment(db, cast.rey, cast.spec, "Withdrawn remark")
    discussion.delete_comment(db, cast.rey, gone, cast.spec)
    discussion.add_comment(db, cast.carlos, cast.spec, "Not mine")
    db.flush()
    client, _ = signed_in(app, "rey")
    for path in ("/", "/projects/nova", SPEC_URL, "/account"):
        assert '<a class="nav-link" href="/activity">My activity</a>' in client.get(path).get_data(as_text=True)

    page = client.get("/activity").get_data(as_text=True)

    text = text_of(page)
    assert "Comments (2)" in text and "My first remark" in text and "deleted" in text
    assert "Withdrawn remark" not in text and "Not mine" not in text
    assert "You have not voted yet." in text
    assert 'aria-current="page">My activity</a>' in page


def test_my_activity_needs_a_login(client, cast):
    response = client.get("/activity")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
