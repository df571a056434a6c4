"""API v1: a spec's operability checklist (read), reviewers' answers (write)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from portal.api.serialize import iso
from portal.checklist import service as checklist
from portal.checklist.service import ChecklistView, ItemView
from portal.errors import InvalidInput
from portal.http.auth import actor, require_role
from portal.http.session import get_db
from portal.models import Role
from portal.specs import queries


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
    spec = queries.get_spec(db, project_name, spec_name)
    return jsonify(view_json(checklist.checklist_view(db, spec, spec.revisions)))


@require_role(Role.REVIEWER)
def put_checklist(project_name: str, spec_name: str) -> Response:
    """Answer one or more items: ``{"answers": [{"key", "state", "note", "area"?}]}``."""
    db = get_db()
    spec = queries.get_spec(db, project_name, spec_name)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("answers"), list) or not body["answers"]:
        raise InvalidInput(
            'Send JSON like {"answers": [{"key": "upgrade", "state": "addressed", "note": "…"}]} '
            "with Content-Type: application/json."
        )
    for index, raw in enumerate(body["answers"]):
        if not isinstance(raw, dict) or not isinstance(raw.get("key"), str) or not isinstance(raw.get("state"), str):
            raise InvalidInput(f"answers[{index}] needs a string 'key' and a string 'state'.")
        note = raw.get("note", "")
        if not isinstance(note, str):
            raise InvalidInput(f"answers[{index}].note must be a string.")
        area = raw.get("area")
        checklist.answer(
            db, actor(), spec, raw["key"], raw["state"], note, area=area if isinstance(area, str) else None
        )
    spec = queries.get_spec(db, project_name, spec_name)
    return jsonify(view_json(checklist.checklist_view(db, spec, spec.revisions)))


def register(bp: Blueprint) -> None:
    rule = "/projects/<project_name>/specs/<spec_name>/checklist"
    bp.add_url_rule(rule, view_func=get_checklist, endpoint="get_checklist", methods=["GET"])
    bp.add_url_rule(rule, view_func=put_checklist, endpoint="put_checklist", methods=["PUT"])
