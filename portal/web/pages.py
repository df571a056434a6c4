"""Public pages: home, project spec list, spec page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from portal.http.session import get_db, settings
from portal.specs import queries
from portal.specs.service import get_project
from portal.web.specview import spec_page_context

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> str:
    db = get_db()
    return render_template(
        "home.html",
        projects=queries.project_summaries(db),
        activity=queries.recent_activity(db),
    )


@bp.get("/projects/<project_name>")
def project(project_name: str) -> str:
    db = get_db()
    proj = get_project(db, project_name)
    filter_error = None
    try:
        flt = queries.SpecFilter.from_args(request.args, settings().page_size)
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
    )


@bp.get("/projects/<project_name>/specs/<spec_name>")
def spec(project_name: str, spec_name: str) -> str:
    return render_template("specs/spec.html", **spec_page_context(get_db(), project_name, spec_name))
