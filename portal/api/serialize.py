"""Model → JSON dicts, one function per shape in ``openapi.yaml``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for

from portal.clock import as_utc
from portal.models import GerritChange, Project, Spec, SpecRevision
from portal.specs.queries import Page, ProjectSummary, SpecRow


def iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat().replace("+00:00", "Z") if value else None


def page_envelope(
    page: Page, items: list[dict[str, Any]], endpoint: str, args: dict[str, Any], **view_args: Any
) -> dict[str, Any]:
    def link(number: int) -> str:
        return url_for(endpoint, **view_args, **{**args, "page": number}, _external=True)

    return {
        "items": items,
        "meta": {"page": page.page, "per_page": page.per_page, "total": page.total, "pages": page.pages},
        "links": {
            "self": link(page.page),
            "next": link(page.page + 1) if page.has_next else None,
            "prev": link(page.page - 1) if page.has_prev else None,
        },
    }


def project(summary: ProjectSummary) -> dict[str, Any]:
    p: Project = summary.project
    return {
        "name": p.name,
        "title": p.title,
        "description": p.description,
        "gerrit_repo": p.gerrit_repo,
        "launchpad": p.launchpad,
        "spec_count": summary.spec_count,
        "specs_by_state": summary.by_state,
        "url": url_for("api.list_specs", project_name=p.name, _external=True),
        "html_url": url_for("pages.project", project_name=p.name, _external=True),
    }


def launchpad(spec: Spec) -> dict[str, Any] | None:
    if spec.lp_definition_status is None and spec.lp_implementation_status is None:
        return None
    return {
        "url": spec.blueprint_url,
        "title": spec.lp_title,
        "definition_status": spec.lp_definition_status,
        "implementation_status": spec.lp_implementation_status,
        "priority": spec.lp_priority,
        "approver": spec.lp_approver,
        "assignee": spec.lp_assignee,
        "milestone": spec.lp_milestone,
        "whiteboard": spec.lp_whiteboard,
        "created_at": iso(spec.lp_created_at),
    }


def spec_summary(row: SpecRow, project_name: str) -> dict[str, Any]:
    spec = row.spec
    checklist = None if row.score is None else {"score": row.score, "gaps": [key for key, _ in row.gaps]}
    return _spec_base(spec, project_name) | {
        "comment_count": row.comment_count,
        "has_gerrit": row.has_gerrit,
        "checklist": checklist,
    }


def _spec_base(spec: Spec, project_name: str) -> dict[str, Any]:
    return {
        "name": spec.name,
        "title": spec.title,
        "summary": spec.summary,
        "state": spec.state,
        "release": spec.release,
        "blueprint_url": spec.blueprint_url,
        "launchpad": launchpad(spec),
        "last_activity_at": iso(spec.last_activity_at),
        "url": url_for("api.get_spec", project_name=project_name, spec_name=spec.name, _external=True),
        "html_url": url_for("pages.spec", project_name=project_name, spec_name=spec.name, _external=True),
    }


def revision(rev: SpecRevision) -> dict[str, Any]:
    return {
        "release": rev.release,
        "state": rev.state,
        "path": rev.path,
        "source": rev.source,
        "content_hash": rev.content_hash,
        "imported_at": iso(rev.created_at),
        "parse_error": rev.parse_error,
    }


def review(r: GerritChange) -> dict[str, Any]:
    return {
        "change_number": r.change_number,
        "change_id": r.change_id,
        "repo": r.repo,
        "status": r.status,
        "subject": r.subject,
        "owner": r.owner_name,
        "current_patch_set": r.current_patch_set,
        "url": r.url,
        "labels": r.labels,
        "approved_by": r.approved_by,
        "created_at": iso(r.created_at),
        "updated_at": iso(r.updated_at),
        "submitted_at": iso(r.submitted_at),
    }


def spec_detail(
    spec: Spec, current: SpecRevision | None, history: list[SpecRevision], comment_count: int
) -> dict[str, Any]:
    return _spec_base(spec, spec.project.name) | {
        "project": spec.project.name,
        "comment_count": comment_count,
        "has_gerrit": bool(spec.gerrit_changes),
        "created_at": iso(spec.created_at),
        "release_history": [revision(r) for r in history],
        "reviews": [review(r) for r in spec.gerrit_changes],
        "document": None
        if current is None
        else {
            "title": current.title,
            "path": current.path,
            "sections": [{"path": s["path"], "anchor": s["anchor"]} for s in current.sections],
            "parse_error": current.parse_error,
        },
    }
