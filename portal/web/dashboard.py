"""The PTL dashboard: operator demand per project and release, charts, exports, acknowledgements.

Everyone may read the ranking (votes are counted, context aggregated);
each voter's reason and deployment context is for the project's PTLs
(``permissions.can_see_vote_context``). The work is in ``portal.votes``:
this module parses the query string, calls it and renders.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from portal import permissions
from portal.errors import InvalidInput, NotFound
from portal.http.auth import actor
from portal.http.session import get_db
from portal.http.votes import spec_or_404
from portal.models import DeploymentTool, HypervisorBand, Project, ProjectBand, Spec
from portal.specs import overview
from portal.specs.service import get_project
from portal.votes import acknowledgements, charts, demand, export
from portal.votes.demand import DemandFilter, DemandFilterError
from portal.votes.profile import TOOL_LABELS
from portal.votes.rows import demand_rows
from portal.votes.service import PRIORITY_LABELS
from portal.votes.summary import vote_summary

bp = Blueprint("dashboard", __name__)

CHARTS = ("top", "priorities", "segment")
DIMENSION_LABELS = {
    "voter_release": "release in production",
    "hypervisors": "hypervisors",
    "projects": "projects",
    "tool": "deployment tool",
}
SCORE_RULE = (
    "Score: 3 per “must”, 2 per “important”, 1 per “nice”, 0 per “not needed”, plus 1 per voter it affects"
)
# Charts are images: they need their own inline style sheet and nothing else.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


@bp.get("/dashboard")
def index() -> ResponseReturnValue:
    """Pick a project; a PTL's own projects come first."""
    user = actor()
    mine = {p.id for p in user.ptl_of} if user is not None else set()
    summaries = overview.project_summaries(get_db())
    summaries.sort(key=lambda s: (s.project.id not in mine, s.project.name))
    return render_template("dashboard/index.html", projects=summaries, mine=mine)


def _filter(project: Project) -> tuple[DemandFilter, str | None]:
    try:
        return demand.parse_filter(request.args), None
    except DemandFilterError as exc:
        return exc.usable, exc.message


def _dimension() -> str:
    value = request.args.get("dimension", "voter_release")
    return value if value in demand.SEGMENT_DIMENSIONS else "voter_release"


@bp.get("/projects/<project_name>/dashboard")
def project(project_name: str) -> ResponseReturnValue:
    db = get_db()
    proj = get_project(db, project_name)
    flt, filter_error = _filter(proj)
    rows = demand_rows(db, proj.id, flt)
    args = flt.args()
    return render_template(
        "dashboard/project.html",
        project=proj,
        flt=flt,
        args=args,
        rows=rows,
        filter_error=filter_error,
        releases=overview.releases_of(db, proj.id),
        voter_releases=demand.voter_releases(db),
        tools=[(t.value, TOOL_LABELS[t]) for t in DeploymentTool],
        hypervisor_floors=[demand.lower_bound(b.value) for b in HypervisorBand][1:],
        project_floors=[demand.lower_bound(b.value) for b in ProjectBand][1:],
        dimension=_dimension(),
        dimensions=DIMENSION_LABELS,
        priorities=[(p.value, PRIORITY_LABELS[p]) for p in PRIORITY_LABELS],
        score_rule=SCORE_RULE,
        is_ptl=permissions.can_acknowledge(actor(), proj).allowed,
        sees_voters=permissions.can_see_vote_context(actor(), proj).allowed,
    )


def _heading(proj: Project, flt: DemandFilter) -> str:
    release = f" {flt.release}" if flt.release else ""
    return f"{proj.name}{release}: demand from {flt.segment.describe()}"


@bp.get("/projects/<project_name>/dashboard/charts/<chart>.svg")
def chart(project_name: str, chart: str) -> ResponseReturnValue:
    if chart not in CHARTS:
        raise NotFound(f"No chart '{chart[:40]}': the dashboard draws {', '.join(CHARTS)}.")
    db = get_db()
    proj = get_project(db, project_name)
    flt, _ = _filter(proj)
    if chart == "segment":
        dimension = _dimension()
        rows = demand.by_segment(db, proj.id, flt, dimension)
        svg = charts.demand_by_segment(rows, f"{_heading(proj, flt)}, by {DIMENSION_LABELS[dimension]}")
    else:
        top = demand_rows(db, proj.id, DemandFilter(flt.release, flt.segment, flt.weighting, 1, charts.TOP))
        if chart == "top":
            svg = charts.top_demand([(r.name, r.title, r.score) for r in top.items], f"Top 20 — {_heading(proj, flt)}")
        else:
            svg = charts.priority_distribution([(r.name, r.title, r.tally) for r in top.items],
                                               f"Votes by priority — {_heading(proj, flt)}")
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = SVG_CSP
    response.headers["Cache-Control"] = "no-store"
    return response


def _export_name(proj: Project, flt: DemandFilter, what: str, ext: str) -> str:
    release = f"-{flt.release}" if flt.release else ""
    segment = "-segment" if flt.segment.narrowed else ""
    return f"{proj.name}{release}-{what}{segment}.{ext}"


def _download(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/projects/<project_name>/dashboard/demand.<fmt>")
def export_demand(project_name: str, fmt: str) -> ResponseReturnValue:
    """The whole ranking (every page) as CSV or JSON; no email addresses, no per-voter data."""
    if fmt not in ("csv", "json"):
        raise NotFound(f"No export as '{fmt[:20]}': use demand.csv or demand.json.")
    db = get_db()
    proj = get_project(db, project_name)
    flt, error = _filter(proj)
    if error:
        raise InvalidInput(error)
    rows = demand_rows(db, proj.id, DemandFilter(flt.release, flt.segment, flt.weighting, 1, demand.MAX_PER_PAGE))
    items = [row.as_json() for row in rows.items]
    if fmt == "csv":
        return _download(export.ranking_csv(items), "text/csv; charset=utf-8", _export_name(proj, flt, "demand", "csv"))
    document = {
        "project": proj.name,
        "release": flt.release,
        "segment": flt.segment.describe(),
        "filters": flt.args(),
        "score": SCORE_RULE,
        "weighting": flt.weighting,
        "generated_at": datetime.now(UTC).isoformat(),
        "total": rows.page.total,
        "items": items,
    }
    return _download(export.to_json(document), "application/json", _export_name(proj, flt, "demand", "json"))


@bp.get("/projects/<project_name>/dashboard/specs/<spec_name>/voters")
def voters(project_name: str, spec_name: str) -> ResponseReturnValue:
    """Per-vote reasons and context for the project's PTLs; counts and aggregates for everyone else."""
    db = get_db()
    spec = spec_or_404(db, project_name, spec_name)
    sees = permissions.can_see_vote_context(actor(), spec.project)
    flt, _ = _filter(spec.project)
    fmt = request.args.get("format", "html")
    if fmt in ("csv", "json"):
        permissions.require(sees)
        rows = demand.voters(db, spec.id, flt.segment)
        if fmt == "csv":
            return _download(export.voters_csv(spec.name, rows), "text/csv; charset=utf-8",
                             _export_name(spec.project, flt, f"{spec.name}-voters", "csv"))
        document = {"project": spec.project.name, "spec": spec.name, "segment": flt.segment.describe(), "voters": [
            {"voter": v.name, "priority": v.priority, "affects_me": v.affects_me, "reason": v.reason,
             "links": v.links, "context": v.context, "updated_at": v.updated_at.isoformat()} for v in rows]}
        return _download(export.to_json(document), "application/json",
                         _export_name(spec.project, flt, f"{spec.name}-voters", "json"))
    return _voters_page(spec)


def _voters_page(spec: Spec, **extra: Any) -> str:
    db = get_db()
    sees = permissions.can_see_vote_context(actor(), spec.project)
    flt, _ = _filter(spec.project)
    return render_template(
        "dashboard/voters.html",
        project=spec.project,
        spec=spec,
        flt=flt,
        args=flt.args(),
        sees_voters=sees.allowed,
        refusal=sees.message,
        rows=demand.voters(db, spec.id, flt.segment) if sees else [],
        summary=vote_summary(db, spec.id, None),
        history=acknowledgements.history(db, spec.id),
        priorities=PRIORITY_LABELS,
        is_ptl=permissions.can_acknowledge(actor(), spec.project).allowed,
        ack_error=extra.get("ack_error"),
        ack_draft=extra.get("ack_draft") or {},
    )


@bp.post("/projects/<project_name>/dashboard/specs/<spec_name>/acknowledge")
def acknowledge(project_name: str, spec_name: str) -> ResponseReturnValue:
    db = get_db()
    spec = spec_or_404(db, project_name, spec_name)
    permissions.require(permissions.can_acknowledge(actor(), spec.project))
    back = request.form.get("back", "dashboard")
    target = (url_for("pages.spec", project_name=project_name, spec_name=spec_name, _anchor="vote") if back == "spec"
              else url_for("dashboard.project", project_name=project_name))
    try:
        kind = acknowledgements.parse_kind(request.form.get("kind"))
        row = acknowledgements.acknowledge(db, actor(), spec.project, spec, kind, request.form.get("release"),
                                           request.form.get("note", ""))
    except InvalidInput as exc:  # refused before anything was written
        flash(f"Answer not published: {exc.message}", "danger")
        # The voters page has the same form: shown again with what the PTL typed.
        return _voters_page(spec, ack_error=exc.message, ack_draft=request.form), 400
    shown = f"planned for {row.release}" if row.release else "acknowledged"
    flash(f"Published: “{spec.title or spec.name}” is {shown}. Operators see it on the spec page.", "success")
    return redirect(target)
