"""API v1: a spec's discussion (read and post), and editing, deleting and hiding one comment.

Shapes are pinned by the issue and ``openapi.yaml``: the list envelope with
items ``{id, source, author, author_user, body, body_html, created_at,
edited_at, in_reply_to, url}`` plus ``patch_set``, ``file``, ``line`` for Gerrit
comments and ``link_url``, ``link_title`` for links to outside discussions.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from portal import permissions
from portal.api.serialize import iso
from portal.discussion import service as discussion
from portal.discussion.ratelimit import PostingLimit
from portal.discussion.threads import ListedComment, comments_page, listed
from portal.errors import InvalidInput
from portal.http.auth import actor, client_address
from portal.http.session import get_db, settings
from portal.http.urls import external_url
from portal.models import CommentSource, User
from portal.specs import detail

MAX_PAGE = 1_000_000
POST_FIELDS = ("body", "in_reply_to")
PATCH_FIELDS = ("body", "link_url", "link_title")


def comment_json(item: ListedComment) -> dict[str, Any]:
    c = item.comment
    body: dict[str, Any] = {
        "id": c.id,
        "source": c.source,
        "author": item.author,
        "author_user": item.username,
        "body": c.body,
        "body_html": c.body_html,
        "created_at": iso(c.created_at),
        "edited_at": iso(c.edited_at),
        "in_reply_to": c.in_reply_to_id,
        "url": c.url,
    }
    if c.source == CommentSource.GERRIT.value:
        path, line = _file_and_line(c.file_line)
        body |= {"patch_set": c.patch_set, "file": path, "line": line}
    if c.source == CommentSource.LINK.value:
        body |= {"link_url": c.url, "link_title": c.link_title}
    return body


def _file_and_line(file_line: str | None) -> tuple[str | None, int | None]:
    if not file_line:
        return None, None
    path, _, tail = file_line.rpartition(":")
    if path and tail.isdigit():
        return path, int(tail)
    return file_line, None


def _int_arg(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise InvalidInput(f"{name} must be a whole number from 1 to {maximum}, not '{raw[:20]}'.", {name: "invalid"})
    return int(raw)


def _object(fields: tuple[str, ...], example: str) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(f"Send a JSON object like {example} with Content-Type: application/json.")
    unknown = sorted(str(k)[:40] for k in body if k not in fields)[:5]
    if unknown:
        raise InvalidInput(f"Unknown field{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                           f"send only {', '.join(fields)}.", dict.fromkeys(unknown, "unknown"))
    return body


def _string(body: dict[str, Any], name: str, what: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string ({what}).", {name: "not a string"})
    return value


def list_comments(project_name: str, spec_name: str) -> Response:
    db = get_db()
    spec = detail.get_spec(db, project_name, spec_name)
    page = _int_arg("page", 1, MAX_PAGE)
    per_page = _int_arg("per_page", settings().page_size, 200)
    moderator = permissions.can_moderate(actor(), spec.project).allowed
    rows, total = comments_page(db, spec, page=page, per_page=per_page, moderator=moderator)
    pages = max(1, -(-total // per_page))

    def link(number: int) -> str:
        return external_url("api.list_comments", project_name=project_name, spec_name=spec_name, page=number,
                            per_page=per_page)

    return jsonify({
        "items": [comment_json(r) for r in rows],
        "meta": {"page": page, "per_page": per_page, "total": total, "pages": pages},
        "links": {"self": link(page), "next": link(page + 1) if page < pages else None,
                  "prev": link(page - 1) if page > 1 else None},
    })


def post_comment(project_name: str, spec_name: str) -> tuple[Response, int, dict[str, str]]:
    db = get_db()
    spec = detail.get_spec(db, project_name, spec_name)
    permissions.require(permissions.can_comment(actor(), spec))
    body = _object(POST_FIELDS, '{"body": "markdown", "in_reply_to": null}')
    text = _string(body, "body", "the comment in Markdown")
    reply_to = body.get("in_reply_to")
    if reply_to is not None and (not isinstance(reply_to, int) or isinstance(reply_to, bool)):
        raise InvalidInput("in_reply_to must be a comment's id (a number) or null.", {"in_reply_to": "not an id"})
    user = actor()
    assert isinstance(user, User)
    comment = discussion.add_comment(db, user, spec, text or "", in_reply_to=reply_to,
                                     limit=PostingLimit.from_settings(settings()))
    location = external_url("api.list_comments", project_name=project_name, spec_name=spec_name)
    return jsonify(comment_json(listed(db, comment))), 201, {"Location": location}


def patch_comment(comment_id: int) -> Response:
    db = get_db()
    comment, spec = discussion.get_comment(db, comment_id)
    permissions.require(permissions.can_edit_comment(actor(), comment))
    body = _object(PATCH_FIELDS, '{"body": "markdown"}')
    text = _string(body, "body", "the new text in Markdown")
    if text is None:
        raise InvalidInput('Send the new text as {"body": "markdown"}.', {"body": "required"})
    user = actor()
    assert isinstance(user, User)
    discussion.edit_comment(db, user, comment, spec, text, url=_string(body, "link_url", "an http(s) URL"),
                            title=_string(body, "link_title", "the discussion's title"))
    return jsonify(comment_json(listed(db, comment)))


def delete_comment(comment_id: int) -> Response:
    db = get_db()
    comment, spec = discussion.get_comment(db, comment_id)
    user = actor()
    permissions.require(permissions.can_delete_comment(user, comment, discussion.project_of(db, spec)))
    assert isinstance(user, User)
    discussion.delete_comment(db, user, comment, spec, address=client_address())
    return Response(status=204)


def hide_comment(comment_id: int) -> Response:
    db = get_db()
    comment, spec = discussion.get_comment(db, comment_id)
    user = actor()
    permissions.require(permissions.can_hide_comment(user, comment, discussion.project_of(db, spec)))
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    if set(body) - {"reason"}:
        raise InvalidInput('Send {"reason": "spam"} (or nothing) to hide a comment.', {"body": "unknown fields"})
    reason = _string(body, "reason", "why it is hidden, for the other moderators") or ""
    assert isinstance(user, User)
    changed = discussion.hide_comment(db, user, comment, spec, reason=reason, address=client_address())
    return jsonify({"id": comment.id, "hidden_at": iso(comment.hidden_at), "reason": comment.hidden_reason or "",
                    "changed": changed})


def register(bp: Blueprint) -> None:
    rule = "/projects/<project_name>/specs/<spec_name>/comments"
    bp.add_url_rule(rule, view_func=list_comments, endpoint="list_comments", methods=["GET"])
    bp.add_url_rule(rule, view_func=post_comment, endpoint="post_comment", methods=["POST"])
    bp.add_url_rule("/comments/<int:comment_id>", view_func=patch_comment, endpoint="patch_comment",
                    methods=["PATCH"])
    bp.add_url_rule("/comments/<int:comment_id>", view_func=delete_comment, endpoint="delete_comment",
                    methods=["DELETE"])
    bp.add_url_rule("/comments/<int:comment_id>/hide", view_func=hide_comment, endpoint="hide_comment",
                    methods=["POST"])
