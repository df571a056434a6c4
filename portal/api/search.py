"""API v1: full-text search and saved searches.

``GET /search`` takes the same arguments as the results page
(:meth:`SearchQuery.to_params`) but refuses bad ones with a 400 that names
the expected form: a script must not silently get another list than it
asked for. What is typed in ``q`` is never an error (it is plain words).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from portal import permissions
from portal.api.serialize import iso
from portal.errors import InvalidInput
from portal.http.auth import actor
from portal.http.search import search_backend
from portal.http.session import get_db
from portal.http.urls import external_base, external_url
from portal.models import SavedSearch
from portal.search import Hit, QueryError, Results, SearchQuery
from portal.search import saved as saved_searches
from portal.search.query import PARAM_NAMES

QUERY_PARAMS = tuple(PARAM_NAMES.values())
SAVED_FIELDS = ("name", "query")


def _query(params: dict[str, str]) -> SearchQuery:
    try:
        return SearchQuery.from_params(params, strict=True)
    except QueryError as exc:
        raise InvalidInput(f"Bad search parameters: {exc}.", exc.problems) from exc


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "kind": str(hit.kind),
        "source": hit.source,
        "project": hit.project,
        "spec": hit.spec,
        "title": hit.title,
        "heading": hit.heading or None,
        "snippet": hit.snippet,
        "url": _url(hit),
        "score": hit.score,
        "created_at": iso(hit.created_at),
        "author": hit.author or None,
    }


def _url(hit: Hit) -> str:
    """The exact place: a comment's permalink (it finds the comment's timeline page), else the indexed path."""
    kind, _, number = hit.doc_id.partition(":")
    if kind == "comment" and number.isdigit():
        return external_url("search.comment", comment_id=int(number))
    return external_base() + hit.url


def search() -> Response:
    query = _query(request.args.to_dict())
    results = (search_backend().search(query) if not query.is_empty
               else Results(hits=(), total=0, page=query.page, per_page=20))
    params = query.to_params()

    def link(page: int) -> str:
        return external_url("api.search", **{**params, "page": page})

    return jsonify({
        "items": [hit_json(h) for h in results.hits],
        "meta": {
            "page": results.page,
            "per_page": results.per_page,
            "total": results.total,
            "pages": results.pages,
            "facets": {name: [{"value": v, "count": c} for v, c in values] for name, values in results.facets.items()},
            "did_you_mean": results.did_you_mean,
            "notes": list(results.notes),
        },
        "links": {
            "self": link(results.page),
            "next": link(results.page + 1) if results.has_next else None,
            "prev": link(results.page - 1) if results.has_previous else None,
        },
    })


def saved_json(saved: SavedSearch) -> dict[str, Any]:
    params = dict(saved.query)
    return {
        "id": saved.id,
        "name": saved.name,
        "query": params,
        "created_at": iso(saved.created_at),
        "search_url": external_url("api.search", **params),
        "html_url": external_url("search.results", **params),
    }


def list_saved() -> Response:
    user = actor()
    permissions.require(permissions.signed_in(user))
    assert user is not None
    items = [saved_json(s) for s in saved_searches.list_saved(get_db(), user)]
    return jsonify({"items": items, "meta": {"page": 1, "per_page": len(items), "total": len(items), "pages": 1},
                    "links": {"self": external_url("api.list_saved_searches"), "next": None, "prev": None}})


def create_saved() -> tuple[Response, int]:
    """``{"name": "…", "query": {"q": "…", "project": "…", …}}`` → 201 and the saved search."""
    user = actor()
    permissions.require(permissions.can_save_search(user))
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not isinstance(body.get("query"), dict):
        raise InvalidInput('Send JSON like {"name": "rabbitmq in nova", "query": {"q": "rabbitmq", "project": "nova"}} '
                           "with Content-Type: application/json.")
    unknown = sorted(str(k)[:40] for k in body if k not in SAVED_FIELDS)[:5]
    if unknown:
        raise InvalidInput(f"Unknown field(s) {', '.join(map(repr, unknown))}; a saved search has only name and query.",
                           dict.fromkeys(unknown, "unknown"))
    raw: dict[str, Any] = body["query"]
    bad = sorted(str(k)[:40] for k in raw if k not in QUERY_PARAMS or k == "page")[:5]
    if bad:
        raise InvalidInput(f"query has unknown parameter(s) {', '.join(map(repr, bad))}; use "
                           f"{', '.join(p for p in QUERY_PARAMS if p != 'page')} (as for GET /search).",
                           dict.fromkeys(bad, "unknown"))
    not_text = sorted(k for k, v in raw.items() if not isinstance(v, str))[:5]
    if not_text:
        raise InvalidInput(f"query values must be strings: {', '.join(not_text)}.",
                           dict.fromkeys(not_text, "not a string"))
    saved = saved_searches.save(get_db(), user, body["name"], _query(raw))
    return jsonify(saved_json(saved)), 201


def delete_saved(saved_id: int) -> tuple[str, int]:
    saved_searches.delete(get_db(), actor(), saved_id)
    return "", 204


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/search", view_func=search, endpoint="search", methods=["GET"])
    bp.add_url_rule("/saved-searches", view_func=list_saved, endpoint="list_saved_searches", methods=["GET"])
    bp.add_url_rule("/saved-searches", view_func=create_saved, endpoint="create_saved_search", methods=["POST"])
    bp.add_url_rule("/saved-searches/<int:saved_id>", view_func=delete_saved, endpoint="delete_saved_search",
                    methods=["DELETE"])
