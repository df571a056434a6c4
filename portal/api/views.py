"""API v1 endpoints: thin wrappers over ``portal.specs.queries``."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import yaml
from flask import Blueprint, Response, jsonify, request, url_for

from portal.api import checklist as checklist_api
from portal.api import serialize
from portal.checklist import service as checklist
from portal.checklist import template as checklist_template
from portal.errors import InvalidInput
from portal.http.session import get_db, settings
from portal.specs import queries
from portal.specs.service import current_revision, get_project

OPENAPI_FILE = "openapi.yaml"


def checklist_keys() -> tuple[str, ...]:
    return tuple(item.key for item in checklist_template.latest().items)


@cache
def openapi_document() -> dict[str, Any]:
    """The API description, kept as YAML beside this module and served as JSON."""
    from importlib.resources import files

    return yaml.safe_load(files("portal.api").joinpath(OPENAPI_FILE).read_text(encoding="utf-8"))


def list_projects() -> Response:
    items = [serialize.project(s) for s in queries.project_summaries(get_db())]
    return jsonify({"items": items, "meta": {"page": 1, "per_page": len(items), "total": len(items), "pages": 1},
                    "links": {"self": request.base_url, "next": None, "prev": None}})


def list_specs(project_name: str) -> Response:
    db = get_db()
    project = get_project(db, project_name)
    try:
        flt = queries.SpecFilter.from_args(request.args, settings().page_size, gap_keys=checklist_keys())
    except queries.FilterError as exc:
        raise InvalidInput(exc.message, exc.fields) from exc
    page = queries.list_specs(db, project, flt)
    items = [serialize.spec_summary(row, project.name) for row in page.items]
    return jsonify(serialize.page_envelope(page, items, "api.list_specs", flt.args(), project_name=project.name))


def get_spec(project_name: str, spec_name: str) -> Response:
    db = get_db()
    spec = queries.get_spec(db, project_name, spec_name)
    comments = queries.comment_count(db, spec)
    body = serialize.spec_detail(spec, current_revision(spec.revisions), queries.release_history(spec), comments)
    view = checklist.checklist_view(db, spec, spec.revisions)
    checked = any(item.history for item in view.items)  # as in lists: null until first prefilled or answered
    body["checklist"] = (
        checklist_api.summary_json(view)
        | {"url": url_for("api.get_checklist", project_name=project_name, spec_name=spec_name, _external=True)}
        if checked
        else None
    )
    return jsonify(body)


def openapi() -> Response:
    return Response(json.dumps(openapi_document()), mimetype="application/json")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/projects", view_func=list_projects, endpoint="list_projects", methods=["GET"])
    bp.add_url_rule("/projects/<project_name>/specs", view_func=list_specs, endpoint="list_specs", methods=["GET"])
    bp.add_url_rule(
        "/projects/<project_name>/specs/<spec_name>", view_func=get_spec, endpoint="get_spec", methods=["GET"]
    )
    bp.add_url_rule("/openapi.json", view_func=openapi, endpoint="openapi", methods=["GET"])
    checklist_api.register(bp)
