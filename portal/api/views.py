"""API v1 endpoints: thin wrappers over the read side (``portal.specs``, ``portal.checklist.views``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import yaml
from flask import Blueprint, Response, jsonify, request

from portal.api import checklist as checklist_api
from portal.api import comments as comments_api
from portal.api import search as search_api
from portal.api import serialize
from portal.checklist import template as checklist_template
from portal.checklist import views as checklist
from portal.errors import InvalidInput
from portal.http.session import get_db, settings
from portal.http.spec_list import FilterError, gap_keys, parse_spec_filter, spec_rows
from portal.http.urls import external_url
from portal.specs import detail, listing, overview, projects
from portal.specs.service import current_revision, get_project
from portal.votes import service as vote_service

OPENAPI_FILE = "openapi.yaml"


# Values the document cannot list by hand without drifting: filled in from their one source when loaded.
ENUM_SOURCES: dict[str, Callable[[], list[str]]] = {
    "checklist-item-keys": lambda: [item.key for item in checklist_template.latest().items],
    "checklist-area-keys": lambda: [area.key for area in checklist_template.latest().areas],
}


@cache
def openapi_document() -> dict[str, Any]:
    """The API description, kept as YAML beside this module and served as JSON.

    A schema marked ``x-enum-from: <source>`` gets its ``enum`` from
    :data:`ENUM_SOURCES` (the checklist template's keys), so the document
    names exactly the values the server accepts.
    """
    from importlib.resources import files

    document = yaml.safe_load(files("portal.api").joinpath(OPENAPI_FILE).read_text(encoding="utf-8"))
    _fill_enums(document)
    return document


def _fill_enums(node: object) -> None:
    if isinstance(node, dict):
        source = node.get("x-enum-from")
        if source is not None:
            node["enum"] = ENUM_SOURCES[source]()
        for value in node.values():
            _fill_enums(value)
    elif isinstance(node, list):
        for value in node:
            _fill_enums(value)


def list_projects() -> Response:
    db = get_db()
    summaries = overview.project_summaries(db)
    sources = projects.sources_of(db, [s.project for s in summaries])
    items = [serialize.project(s, sources[s.project.id]) for s in summaries]
    return jsonify({"items": items, "meta": {"page": 1, "per_page": len(items), "total": len(items), "pages": 1},
                    "links": {"self": external_url("api.list_projects"), "next": None, "prev": None}})


def list_specs(project_name: str) -> Response:
    db = get_db()
    project = get_project(db, project_name)
    try:
        query = parse_spec_filter(request.args, default_per_page=settings().page_size, gap_keys=gap_keys())
    except FilterError as exc:
        raise InvalidInput(exc.message, exc.fields) from exc  # a script must not get another list than it asked
    page = spec_rows(db, project.id, query.filter)
    launchpad = listing.load_launchpad(db, page.ids)  # a column only the API shows: its own loader
    links = serialize.SpecLinks.of(project.name)
    items = [serialize.spec_summary(row, links, launchpad.get(row.spec.id)) for row in page.items]
    return jsonify(serialize.page_envelope(page, items, "api.list_specs", query.args(), project_name=project.name))


def get_spec(project_name: str, spec_name: str) -> Response:
    db = get_db()
    spec = detail.get_spec(db, project_name, spec_name)
    comments = detail.comment_count(db, spec.id)
    body = serialize.spec_detail(spec, current_revision(spec.revisions), detail.release_history(spec), comments)
    view = checklist.checklist_view(db, spec, spec.revisions)
    body["checklist"] = (  # as in lists: null until first prefilled or answered
        checklist_api.summary_json(view)
        | {"url": external_url("api.get_checklist", project_name=project_name, spec_name=spec_name)}
        if view.checked
        else None
    )
    body["votes"] = vote_service.tally(db, spec.id).as_json()
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
    comments_api.register(bp)
    search_api.register(bp)
