"""API v1: one's vote on a spec (PUT, DELETE) and a project's operator demand (GET)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from portal import permissions
from portal.api.serialize import iso
from portal.errors import InvalidInput
from portal.http.auth import actor
from portal.http.session import get_db
from portal.http.urls import external_url
from portal.http.votes import spec_or_404, start_write
from portal.models import Vote
from portal.specs.service import get_project
from portal.votes import demand, service
from portal.votes.rows import demand_rows

VOTE_FIELDS = ("priority", "affects_me", "reason", "links")


def vote_json(vote: Vote) -> dict[str, Any]:
    return {
        "priority": str(vote.priority),
        "affects_me": vote.affects_me,
        "reason": vote.reason,
        "links": list(vote.links or []),
        "context": dict(vote.context or {}),
        "updated_at": iso(vote.updated_at),
    }


def put_vote(project_name: str, spec_name: str) -> Response:
    """Cast or change one's vote: ``{"priority", "affects_me", "reason", "links"}``."""
    db = get_db()
    start_write(db)
    spec = spec_or_404(db, project_name, spec_name)
    permissions.require(permissions.can_vote(actor(), spec))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(
            'Send JSON like {"priority": "must", "affects_me": true, "reason": "…", "links": ["https://…"]} '
            "with Content-Type: application/json."
        )
    unknown = sorted(str(k)[:40] for k in body if k not in VOTE_FIELDS)[:5]
    if unknown:
        raise InvalidInput(f"Unknown field{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                           f"a vote has only {', '.join(VOTE_FIELDS)}.", dict.fromkeys(unknown, "unknown"))
    vote = service.parse_vote(body)
    return jsonify(vote_json(service.cast(db, actor(), spec, vote)))


def delete_vote(project_name: str, spec_name: str) -> Response:
    """Withdraw one's vote; 204 whether or not there was one (the result is the same: no vote)."""
    db = get_db()
    start_write(db)
    spec = spec_or_404(db, project_name, spec_name)
    permissions.require(permissions.can_vote(actor(), spec))
    service.withdraw(db, actor(), spec)
    return Response(status=204)


def get_demand(project_name: str) -> Response:
    """The PTL dashboard's ranking: specs by operator demand, segment filters as query parameters."""
    db = get_db()
    project = get_project(db, project_name)
    flt = demand.parse_filter(request.args)
    rows = demand_rows(db, project.id, flt)
    items = [
        row.as_json() | {"url": external_url("api.get_spec", project_name=project.name, spec_name=row.name)}
        for row in rows.items
    ]
    page = rows.page
    args = flt.args()

    def link(number: int) -> str:
        return external_url("api.get_demand", project_name=project.name, **{**args, "page": number,
                                                                              "per_page": page.per_page})

    return jsonify({
        "items": items,
        "meta": {"page": page.page, "per_page": page.per_page, "total": page.total, "pages": page.pages},
        "links": {
            "self": link(page.page),
            "next": link(page.page + 1) if page.page < page.pages else None,
            "prev": link(page.page - 1) if page.page > 1 else None,
        },
    })


def register(bp: Blueprint) -> None:
    rule = "/projects/<project_name>/specs/<spec_name>/vote"
    bp.add_url_rule(rule, view_func=put_vote, endpoint="put_vote", methods=["PUT"])
    bp.add_url_rule(rule, view_func=delete_vote, endpoint="delete_vote", methods=["DELETE"])
    bp.add_url_rule("/projects/<project_name>/demand", view_func=get_demand, endpoint="get_demand", methods=["GET"])
