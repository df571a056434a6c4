"""The release summary page (printable) and its Markdown, CSV and JSON downloads.

``/projects/<p>/releases/<release>/summary`` is the canonical page; more
projects come as ``?with=neutron&with=cinder``. ``/reports/release-summary``
is the form that builds that address (it also takes a project list typed
with commas). The work is in ``portal.reports``: a view builds, renders.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import Blueprint, Response, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from portal.clock import now
from portal.errors import InvalidInput, NotFound, PortalError
from portal.http.session import get_db
from portal.http.urls import external_base
from portal.models import Project
from portal.reports import formats
from portal.reports.release_summary import ReleaseSummary, available_releases, build, parse_projects, parse_release
from portal.specs.service import get_project

bp = Blueprint("reports", __name__)


def _form_context(chosen: list[str], release: str) -> dict[str, object]:
    db = get_db()
    return {
        "all_projects": db.scalars(select(Project.name).order_by(Project.name)).all(),
        "all_releases": available_releases(db),
        "chosen": chosen,
        "chosen_release": release,
    }


def _summary_for(project_name: str, release: str) -> ReleaseSummary:
    get_project(get_db(), project_name)  # a renamed project's old name redirects (portal.http.errors)
    return build(get_db(), [project_name, *request.args.getlist("with")], release, at=now())


def _form_page(error: PortalError, chosen: list[str], release: str) -> tuple[str, int]:
    status = 404 if isinstance(error, NotFound) else 400
    return render_template("reports/release_form.html", error=error.message, **_form_context(chosen, release)), status


@bp.get("/projects/<project_name>/releases/<release>/summary")
def release_summary(project_name: str, release: str) -> str | tuple[str, int]:
    chosen = [project_name, *request.args.getlist("with")]
    try:
        summary = _summary_for(project_name, release)
    except NotFound as exc:
        if not request.args.getlist("with") and "Unknown project" in exc.message:
            raise  # the project in the path itself: the error page (or the renamed project's redirect)
        return _form_page(exc, chosen, release)
    except InvalidInput as exc:
        return _form_page(exc, chosen, release)
    return render_template(
        "reports/release_summary.html",
        summary=summary,
        base=external_base(),
        export_args={"with": list(summary.projects[1:])} if len(summary.projects) > 1 else {},
        **_form_context(list(summary.projects), summary.release),
    )


@bp.get("/projects/<project_name>/releases/<release>/summary.<fmt>")
def release_summary_export(project_name: str, release: str, fmt: str) -> Response:
    if fmt not in formats.FORMATS:
        raise NotFound(f"No '{fmt}' export: the summary comes as {', '.join(sorted(formats.FORMATS))}.")
    summary = _summary_for(project_name, release)
    body = formats.FORMATS[fmt](summary, external_base())
    filename = f"{'-'.join(summary.projects)}-{summary.release}-summary.{fmt}"
    return Response(body, content_type=formats.MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
    })


@bp.get("/reports/release-summary")
def release_form() -> str | tuple[str, int] | WerkzeugResponse:
    """The form; once it names projects and a release, a redirect to the summary's own address."""
    chosen = [p for value in request.args.getlist("project") for p in value.split(",") if p.strip()]
    release = (request.args.get("release") or "").strip()
    if not chosen and not release:
        return render_template("reports/release_form.html", error=None, **_form_context([], ""))
    try:
        projects = parse_projects(chosen)
        parsed_release = parse_release(release)
    except InvalidInput as exc:
        return _form_page(exc, [p.strip() for p in chosen], release)
    target = url_for("reports.release_summary", project_name=projects[0], release=parsed_release)
    if projects[1:]:
        target += "?" + urlencode([("with", name) for name in projects[1:]])
    return redirect(target)
