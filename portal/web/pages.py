"""Public pages: home, project spec list, spec page."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for
from sqlalchemy import select

from portal.checklist import template as checklist_template
from portal.errors import NotFound
from portal.http.errors import error_response
from portal.http.session import get_db, settings
from portal.models import Project
from portal.specs import queries
from portal.specs.service import get_project
from portal.web.pagecache import cached_for_anonymous
from portal.web.specview import spec_page_context

bp = Blueprint("pages", __name__)


def checklist_keys() -> tuple[str, ...]:
    return tuple(item.key for item in checklist_template.latest().items)


@bp.get("/")
def home() -> str:
    db = get_db()
    return render_template(
        "home.html",
        projects=queries.project_summaries(db),
        activity=queries.recent_activity(db),
    )


@bp.get("/projects/<project_name>")
@cached_for_anonymous
def project(project_name: str) -> str:
    db = get_db()
    proj = get_project(db, project_name)
    filter_error = None
    try:
        flt = queries.SpecFilter.from_args(request.args, settings().page_size, gap_keys=checklist_keys())
    except queries.FilterError as exc:
        flt, filter_error = exc.usable, exc.message
    page = queries.list_specs(db, proj, flt)
    return render_template(
        "projects/project.html",
        project=proj,
        flt=flt,
        page=page,
        releases=queries.releases_of(db, proj),
        filter_error=filter_error,
        states=[s.value for s in queries.SpecState],
        sources=queries.SOURCES,
        checklist_items=checklist_template.latest().items,
    )


@bp.get("/projects/<project_name>/specs/<spec_name>")
def spec(project_name: str, spec_name: str) -> str | Response:
    db = get_db()
    try:
        context = spec_page_context(db, project_name, spec_name)
    except NotFound as exc:
        # Point at the project page when the project exists: the spec may have been renamed.
        if db.scalar(select(Project.id).where(Project.name == project_name)) is None:
            raise
        link = (url_for("pages.project", project_name=project_name), f"Open the {project_name} project page")
        return error_response(404, exc.code, exc.message, link=link)
    return render_template("specs/spec.html", **context)
