"""API v1 comments: the list's exact item fields, posting (201), editing, deleting, hiding, the limit.

Every response is also validated against openapi.yaml by the client fixture.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.accounts import service as accounts
from portal.discussion import service as discussion
from portal.models import CommentSource

URL = "/api/v1/projects/nova/specs/drain-mode/comments"
BASE_FIELDS = {"id", "source", "author", "author_user", "body", "body_html", "created_at", "edited_at",
               "in_reply_to", "url"}


@pytest.fixture
def tokens(db, cast) -> dict[str, dict[str, str]]:
    headers = {}
    for user in (cast.rey, cast.carlos, cast.pat, cast.ada):
        _, secret = accounts.create_api_token(db, user, "api")
        headers[user.username] = {"Authorization": f"Bearer {secret}"}
    db.flush()
    return headers


def test_the_list_carries_every_source_with_exactly_the_documented_fields(client, db, cast):
    t0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    discussion.import_comment(db, cast.spec, source=CommentSource.GERRIT, external_id="g:1", author_name="Sylvain",
                              body="Nit on the upgrade section", created_at=t0, url="https://review.example/c/1",
                              patch_set=3, file_line="specs/2025.1/approved/drain-mode.rst:42")
    link = discussion.add_link_comment(db, cast.rey, cast.spec, url="https://etherpad.example/p/ptg",
                                       title="PTG etherpad", summary="Agreed: opt-in.")
    reply = discussion.add_comment(db, cast.pat, cast.spec, "Thanks @rey", in_reply_to=link.id)
    db.flush()

    body = client.get(URL).get_json()

    gerrit, linked, answer = body["items"]
    assert set(gerrit) == BASE_FIELDS | {"patch_set", "file", "line"}
    assert (gerrit["source"], gerrit["author"], gerrit["author_user"]) == ("gerrit", "Sylvain", None)
    assert (gerrit["patch_set"], gerrit["file"], gerrit["line"]) == (3, "specs/2025.1/approved/drain-mode.rst", 42)
    assert gerrit["created_at"] == "2025-03-01T12:00:00Z"
    assert set(linked) == BASE_FIELDS | {"link_url", "link_title"}
    assert (linked["link_url"], linked["link_title"], linked["author"], linked["author_user"]) == (
        "https://etherpad.example/p/ptg", "PTG etherpad", "Rey Operator", "rey")
    assert set(answer) == BASE_FIELDS
    assert (answer["in_reply_to"], answer["author_user"], answer["body"]) == (reply.in_reply_to_id, "pat",
                                                                           "Thanks @rey")
    assert body["meta"] == {"page": 1, "per_page": 50, "total": 3, "pages": 1}


def test_the_list_pages(client, db, cast):
    for n in range(5):
        discussion.add_comment(db, cast.rey, cast.spec, f"n{n}")
    db.flush()
    second = client.get(URL + "?per_page=2&page=2").get_json()
    assert [i["body"] for i in second["items"]] == ["n2", "n3"]
    assert second["links"]["next"].endswith("page=3&per_page=2") and second["links"]["prev"]
    bad = client.get(URL + "?per_page=0")
    assert bad.status_code == 400 and "per_page must be a whole number from 1 to 200" in bad.get_json()["error"][
        "message"]


def test_posting_answers_201_with_the_stored_comment(client, db, cast, tokens):
    root = discussion.add_comment(db, cast.carlos, cast.spec, "Root")
    db.flush()

    response = client.post(URL, json={"body": "We need it **now**", "in_reply_to": root.id}, headers=tokens["rey"])

    assert response.status_code == 201
    body = response.get_json()
    assert body["in_reply_to"] == root.id and body["author_user"] == "rey" and body["source"] == "portal"
    assert "<strong>now</strong>" in body["body_html"] and body["edited_at"] is None
    assert response.headers["Location"].endswith(URL)


@pytest.mark.parametrize(("payload", "says"), [
    ({"body": ""}, "The comment is empty: write something before posting."),
    ({"body": "x" * 20_001}, "The comment is 20001 characters long; the limit is 20000."),
    ({}, "The comment is empty"),
    ({"body": 5}, "body must be a string"),
    ({"body": "hi", "in_reply_to": "3"}, "in_reply_to must be a comment's id (a number) or null."),
    ({"body": "hi", "title": "x"}, "Unknown field 'title'; send only body, in_reply_to."),
    ([1], "Send a JSON object like"),
])
def test_bad_posts_say_what_to_do(client, cast, tokens, payload, says):
    response = client.post(URL, json=payload, headers=tokens["rey"])
    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith(says)


def test_anonymous_posts_are_401_and_unknown_specs_404(client, cast, tokens):
    assert client.post(URL, json={"body": "hi"}).status_code == 401
    missing = client.post("/api/v1/projects/nova/specs/nope/comments", json={"body": "hi"}, headers=tokens["rey"])
    assert missing.status_code == 404


def test_the_author_edits_others_cannot(client, db, cast, tokens):
    comment = discussion.add_comment(db, cast.rey, cast.spec, "Old")
    db.flush()

    assert client.patch(f"/api/v1/comments/{comment.id}", json={"body": "New"}, headers=tokens["pat"]).status_code \
        == 403
    response = client.patch(f"/api/v1/comments/{comment.id}", json={"body": "New"}, headers=tokens["rey"])

    assert response.status_code == 200
    assert response.get_json()["body"] == "New" and response.get_json()["edited_at"] is not None
    assert [v.body for v in discussion.edit_history(db, comment)] == ["Old"]
    empty = client.patch(f"/api/v1/comments/{comment.id}", json={}, headers=tokens["rey"])
    assert empty.status_code == 400 and 'Send the new text as {"body": "markdown"}.' in empty.get_json()["error"][
        "message"]


def test_delete_is_for_the_author_or_a_moderator(client, db, cast, tokens):
    mine = discussion.add_comment(db, cast.rey, cast.spec, "Mine")
    theirs = discussion.add_comment(db, cast.carlos, cast.spec, "Theirs")
    db.flush()

    assert client.delete(f"/api/v1/comments/{theirs.id}", headers=tokens["rey"]).status_code == 403
    assert client.delete(f"/api/v1/comments/{mine.id}", headers=tokens["rey"]).status_code == 204
    assert client.delete(f"/api/v1/comments/{theirs.id}", headers=tokens["pat"]).status_code == 204
    assert client.get(URL).get_json()["items"] == []
    assert client.delete("/api/v1/comments/999999", headers=tokens["pat"]).status_code == 404


def test_hidden_comments_are_listed_only_for_moderators(client, db, cast, tokens):
    spam = discussion.add_comment(db, cast.carlos, cast.spec, "Spam")
    db.flush()

    assert client.post(f"/api/v1/comments/{spam.id}/hide", json={}, headers=tokens["rey"]).status_code == 403
    response = client.post(f"/api/v1/comments/{spam.id}/hide", json={"reason": "spam"}, headers=tokens["pat"])

    assert response.status_code == 200
    assert response.get_json()["reason"] == "spam" and response.get_json()["changed"] is True
    assert client.get(URL).get_json()["items"] == []
    assert [i["body"] for i in client.get(URL, headers=tokens["ada"]).get_json()["items"]] == ["Spam"]


def test_posting_too_often_is_a_429_with_retry_after(client, db, cast, tokens, settings):
    for n in range(settings.comment_rate_limit):
        assert client.post(URL, json={"body": f"n{n}"}, headers=tokens["rey"]).status_code == 201

    refused = client.post(URL, json={"body": "one more"}, headers=tokens["rey"])

    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) > 0
