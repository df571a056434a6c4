"""Public pages: home, project spec list, spec page."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from portal.checklist import template as checklist_template
from portal.errors import NotFound
from portal.http.errors import error_response, merged_spec_redirect
from portal.http.session import get_db, settings
from portal.http.spec_list import FilterError, gap_keys, parse_spec_filter, spec_rows
from portal.models import Project, SpecState
from portal.specs import overview
from portal.specs.listing import SpecSource
from portal.specs.service import get_project
from portal.web.pagecache import cached_for_anonymous
from portal.web.specview import spec_page_context

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> str:
    db = get_db()
    return render_template(
        "home.html",
        projects=overview.project_summaries(db),
        activity=overview.recent_activity(db),
    )


@bp.get("/projects/<project_name>")
@cached_for_anonymous
def project(project_name: str) -> str:
    db = get_db()
    proj = get_project(db, project_name)
    filter_error = None
    try:
        query = parse_spec_filter(request.args, default_per_page=settings().page_size, gap_keys=gap_keys())
    except FilterError as exc:
        query, filter_error = exc.usable, exc.message
    page = spec_rows(db, proj.id, query.filter)
    project_url = url_for("pages.project", project_name=proj.name)
    return render_template(
        "projects/project.html",
        project=proj,
        project_url=project_url,
        spec_url_prefix=project_url + "/specs/",
        query=query,
        flt=query.filter,
        page=page,
        releases=overview.releases_of(db, proj.id),
        filter_error=filter_error,
        states=[s.value for s in SpecState],
        sources=[s.value for s in SpecSource],
        checklist_items=checklist_template.latest().items,
    )


@bp.get("/projects/<project_name>/specs/<spec_name>")
def spec(project_name: str, spec_name: str) -> str | Response | WerkzeugResponse:
    db = get_db()
    try:
        context = spec_page_context(db, project_name, spec_name, timeline_arg=request.args.get("timeline_page"))
    except NotFound as exc:
        moved = merged_spec_redirect()
        if moved is not None:
            return moved
        # Point at the project page when the project exists: the spec may have been renamed.
        if db.scalar(select(Project.id).where(Project.name == project_name)) is None:
            raise
        link = (url_for("pages.project", project_name=project_name), f"Open the {project_name} project page")
        return error_response(404, exc.code, exc.message, link=link)
    return render_template("specs/spec.html", **context)
