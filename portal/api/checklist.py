"""API v1: a spec's operability checklist (read), reviewers' answers (write)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from portal import permissions
from portal.api.serialize import iso, page_envelope
from portal.checklist import queue
from portal.checklist import service as checklist
from portal.checklist import views as checklist_views
from portal.checklist.service import MAX_ANSWERS_PER_REQUEST, AnswerInput, AnswerRejected
from portal.checklist.views import ChecklistView, ItemView
from portal.errors import InvalidInput
from portal.http.auth import actor
from portal.http.session import get_db, settings
from portal.http.urls import external_url
from portal.specs import detail

ANSWER_FIELDS = ("key", "state", "note", "area")


def item_json(item: ItemView) -> dict[str, Any]:
    return {
        "key": item.key,
        "area": item.area,
        "title": item.title,
        "question": item.question,
        "state": item.state,
        "source": "reviewer" if item.confirmed else "prefill",
        "note": item.note,
        "evidence": item.evidence,
        "concerns": item.concerns,
        "resolved_concerns": item.resolved_concerns,
        "applies": item.applies,
        "applies_because": item.applies_because,
        "answered_by": item.answered_by,
        "answered_at": iso(item.answered_at),
        "prefill_state": item.prefill_state,
        "stale": item.stale,
        "diff": item.diff,
        "history": [
            {
                "id": h.id,
                "state": h.state,
                "source": h.source,
                "note": h.note,
                "author": h.author,
                "at": iso(h.at),
                "revision_id": h.revision_id,
                "template_version": h.template_version,
            }
            for h in item.history
        ],
    }


def view_json(view: ChecklistView) -> dict[str, Any]:
    return {
        "template_version": view.template_version,
        "latest_template_version": view.latest_version,
        "score": view.score,
        "gaps": [i.key for i in view.gaps],
        "stale": [i.key for i in view.stale],
        "note": view.note,
        "items": [item_json(i) for i in view.items],
    }


def summary_json(view: ChecklistView) -> dict[str, Any]:
    """The short form embedded in the spec detail."""
    return {
        "template_version": view.template_version,
        "score": view.score,
        "gaps": [i.key for i in view.gaps],
        "stale": [i.key for i in view.stale],
    }


def get_checklist(project_name: str, spec_name: str) -> Response:
    db = get_db()
    spec = detail.get_spec(db, project_name, spec_name)
    return jsonify(view_json(checklist_views.checklist_view(db, spec, spec.revisions)))


def put_checklist(project_name: str, spec_name: str) -> Response:
    """Answer one or more items: ``{"answers": [{"key", "state", "note", "area"?}]}``."""
    db = get_db()
    spec = detail.get_spec(db, project_name, spec_name)
    permissions.require(permissions.can_answer_checklist(actor(), spec))
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("answers"), list) or not body["answers"]:
        raise InvalidInput(
            'Send JSON like {"answers": [{"key": "upgrade", "state": "addressed", "note": "…"}]} '
            "with Content-Type: application/json."
        )
    if len(body["answers"]) > MAX_ANSWERS_PER_REQUEST:
        raise InvalidInput(
            f"{len(body['answers'])} answers in one request is too many; send at most {MAX_ANSWERS_PER_REQUEST} "
            "(the checklist has fewer items than that: answer each item once).",
            {"answers": "too many"},
        )
    answers = [_answer_input(index, raw) for index, raw in enumerate(body["answers"])]
    try:
        checklist.answer_many(db, actor(), spec, answers)
    except AnswerRejected as exc:
        raise InvalidInput(f"answers[{exc.index}]: {exc.message}", exc.fields) from exc
    return jsonify(view_json(checklist_views.checklist_view(db, spec, spec.revisions)))


def _answer_input(index: int, raw: object) -> AnswerInput:
    """One element of ``answers``, or a 400 naming the field that is wrong; nothing is silently ignored."""
    if not isinstance(raw, dict) or not isinstance(raw.get("key"), str) or not isinstance(raw.get("state"), str):
        raise InvalidInput(f"answers[{index}] needs a string 'key' and a string 'state'.")
    unknown = sorted(str(name)[:40] for name in raw if name not in ANSWER_FIELDS)[:5]
    if unknown:
        raise InvalidInput(
            f"answers[{index}] has unknown field{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"an answer has only {', '.join(ANSWER_FIELDS)}.",
            dict.fromkeys(unknown, "unknown"),
        )
    for name in ("note", "area"):
        if name in raw and not isinstance(raw[name], str):
            what = "the item's area, e.g. lifecycle" if name == "area" else "up to 5000 characters"
            raise InvalidInput(f"answers[{index}].{name} must be a string ({what}).", {name: "not a string"})
    return AnswerInput(key=raw["key"], state=raw["state"], note=raw.get("note", ""), area=raw.get("area"))


def queue_row_json(row: queue.QueueRow) -> dict[str, Any]:
    spec = row.spec
    return {
        "project": row.project,
        "name": spec.name,
        "title": spec.title,
        "release": spec.release,
        "state": str(spec.state),
        "revised_at": iso(row.revised_at),
        "reasons": list(row.reasons),
        "checklist": {
            "score": row.score,
            "gap_count": row.gap_count,
            "reviewed_count": row.reviewed_count,
            "stale_count": row.stale_count,
        },
        "url": external_url("api.get_checklist", project_name=row.project, spec_name=spec.name),
        "html_url": external_url("pages.spec", project_name=row.project, spec_name=spec.name, _anchor="checklist"),
    }


def get_review_queue() -> Response:
    """The specs whose checklist no reviewer has confirmed yet, or whose answers went stale; newest revision first."""
    db = get_db()
    flt = queue.parse_filter(request.args, default_per_page=settings().page_size)
    page = queue.review_queue(db, flt)
    args: dict[str, Any] = {"project": list(flt.projects) or None, "release": flt.release, "item": flt.item,
                            "per_page": flt.per_page}
    items = [queue_row_json(row) for row in page.rows]
    return jsonify(page_envelope(page, items, "api.get_review_queue", {k: v for k, v in args.items() if v}))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/review-queue", view_func=get_review_queue, endpoint="get_review_queue", methods=["GET"])
    rule = "/projects/<project_name>/specs/<spec_name>/checklist"
    bp.add_url_rule(rule, view_func=get_checklist, endpoint="get_checklist", methods=["GET"])
    bp.add_url_rule(rule, view_func=put_checklist, endpoint="put_checklist", methods=["PUT"])
