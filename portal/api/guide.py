"""``/api``: the API for people. The navbar's "API" link used to open raw JSON.

The page is built from the same OpenAPI document that ``/api/v1/openapi.json``
serves, so an endpoint added there appears here without another edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template

from portal.api.views import openapi_document

bp = Blueprint("api_guide", __name__)

PREFIX = "/api/v1"
METHODS = ("get", "post", "put", "patch", "delete")
# The path segment that names what an endpoint is about → its group; the last literal segment
# that is listed wins (…/specs/{name}/vote is about votes, not specs). An operation's first
# OpenAPI tag, where it has one, overrides this.
GROUP_OF_SEGMENT = {
    "projects": "Projects and specs",
    "specs": "Projects and specs",
    "checklist": "Operability checklist",
    "vote": "Votes and demand",
    "demand": "Votes and demand",
    "comments": "Discussion",
    "hide": "Discussion",
    "subscriptions": "Subscriptions and alerts",
    "search": "Search",
    "openapi.json": "This description",
}
GROUP_ORDER = tuple(dict.fromkeys(GROUP_OF_SEGMENT.values()))
OTHER = "Other"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    summary: str
    needs_token: bool


@dataclass(frozen=True)
class Group:
    title: str
    endpoints: tuple[Endpoint, ...]


def group_of(path: str, tags: list[str] | None) -> str:
    if tags:
        return str(tags[0])
    literal = [s for s in path.strip("/").split("/") if s and not s.startswith("{")]
    for segment in reversed(literal):
        if segment in GROUP_OF_SEGMENT:
            return GROUP_OF_SEGMENT[segment]
    return OTHER


def endpoint_groups(document: dict) -> list[Group]:
    """Every operation of the document, one line each, grouped; groups in a fixed order."""
    default_security = document.get("security") or []
    groups: dict[str, list[Endpoint]] = {}
    for path, item in (document.get("paths") or {}).items():
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            security = operation.get("security", default_security)
            groups.setdefault(group_of(path, operation.get("tags")), []).append(
                Endpoint(
                    method=method.upper(),
                    path=PREFIX + path,
                    summary=str(operation.get("summary") or operation.get("description") or "").strip(),
                    needs_token=any("token" in requirement for requirement in security),
                )
            )
    rank = {title: index for index, title in enumerate(GROUP_ORDER)}
    ordered = sorted(groups, key=lambda title: (rank.get(title, len(rank)), title))
    return [Group(title, tuple(groups[title])) for title in ordered]


@bp.get("/api")
def index() -> str:
    document = openapi_document()
    return render_template(
        "api/guide.html",
        info=document.get("info") or {},
        groups=endpoint_groups(document),
    )
