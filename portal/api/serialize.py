"""Model → JSON dicts, one function per shape in ``openapi.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from portal.checklist.queue import QueuePage
from portal.clock import as_utc
from portal.http.spec_list import SpecRow
from portal.http.urls import external_url
from portal.models import GerritChange, Project, Spec, SpecRevision
from portal.specs.listing import IdPage, LaunchpadFields, SpecBrief
from portal.specs.overview import ProjectSummary
from portal.specs.projects import Sources


def iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat().replace("+00:00", "Z") if value else None


def page_envelope(
    page: IdPage | QueuePage, items: list[dict[str, Any]], endpoint: str, args: dict[str, Any], **view_args: Any
) -> dict[str, Any]:
    def link(number: int) -> str:
        return external_url(endpoint, **view_args, **{**args, "page": number})

    return {
        "items": items,
        "meta": {"page": page.page, "per_page": page.per_page, "total": page.total, "pages": page.pages},
        "links": {
            "self": link(page.page),
            "next": link(page.page + 1) if page.has_next else None,
            "prev": link(page.page - 1) if page.has_prev else None,
        },
    }


def project(summary: ProjectSummary, sources: Sources) -> dict[str, Any]:
    p: Project = summary.project
    return {
        "name": p.name,
        "title": p.title,
        "description": p.description,
        "gerrit_repo": p.gerrit_repo,
        "launchpad": p.launchpad,  # the main one, as before
        "launchpad_names": list(sources.launchpad),
        "code_repos": list(sources.code_repos),
        "spec_count": summary.spec_count,
        "specs_by_state": summary.by_state,
        "url": external_url("api.list_specs", project_name=p.name),
        "html_url": external_url("pages.project", project_name=p.name),
    }


def launchpad(spec: Spec) -> dict[str, Any] | None:
    if spec.lp_definition_status is None and spec.lp_implementation_status is None:
        return None
    return launchpad_fields(spec.blueprint_url, LaunchpadFields(
        title=spec.lp_title, definition_status=spec.lp_definition_status,
        implementation_status=spec.lp_implementation_status, priority=spec.lp_priority, approver=spec.lp_approver,
        assignee=spec.lp_assignee, milestone=spec.lp_milestone, whiteboard=spec.lp_whiteboard,
        created_at=spec.lp_created_at,
    ))


def launchpad_fields(url: str | None, lp: LaunchpadFields | None) -> dict[str, Any] | None:
    if lp is None:
        return None
    return {
        "url": url,
        "title": lp.title,
        "definition_status": lp.definition_status,
        "implementation_status": lp.implementation_status,
        "priority": lp.priority,
        "approver": lp.approver,
        "assignee": lp.assignee,
        "milestone": lp.milestone,
        "whiteboard": lp.whiteboard,
        "created_at": iso(lp.created_at),
    }


@dataclass(frozen=True)
class SpecLinks:
    """Absolute links to one project's specs, built once per response.

    A list answer has two links per spec: building each with ``url_for`` cost
    more than reading the rows. The prefixes come from the real routes, and
    the name is quoted as Werkzeug quotes a path segment, so the links are
    the same as ``url_for`` would build.
    """

    api_prefix: str
    html_prefix: str

    @classmethod
    def of(cls, project_name: str) -> SpecLinks:
        return cls(
            api_prefix=external_url("api.list_specs", project_name=project_name) + "/",
            html_prefix=external_url("pages.project", project_name=project_name) + "/specs/",
        )

    def api(self, spec_name: str) -> str:
        return self.api_prefix + quote(spec_name, safe=_PATH_SAFE)

    def html(self, spec_name: str) -> str:
        return self.html_prefix + quote(spec_name, safe=_PATH_SAFE)


_PATH_SAFE = "!$&'()*+,/:;=@"  # werkzeug.routing.BaseConverter.to_url's


def spec_summary(row: SpecRow, links: SpecLinks, lp: LaunchpadFields | None) -> dict[str, Any]:
    """A list item; ``lp`` from :func:`portal.specs.listing.load_launchpad` (the API's own column)."""
    cl = row.checklist
    return _spec_base(row.spec, links, launchpad_fields(row.spec.blueprint_url, lp)) | {
        "comment_count": row.comment_count,
        "has_gerrit": row.sources.has_gerrit,
        "checklist": None if cl is None else {"score": cl.score, "gaps": [gap.key for gap in cl.gaps]},
    }


def _spec_base(spec: Spec | SpecBrief, links: SpecLinks, lp: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "name": spec.name,
        "title": spec.title,
        "summary": spec.summary,
        "state": spec.state,
        "release": spec.release,
        "blueprint_url": spec.blueprint_url,
        "launchpad": lp,
        "last_activity_at": iso(spec.last_activity_at),
        "url": links.api(spec.name),
        "html_url": links.html(spec.name),
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
    return _spec_base(spec, SpecLinks.of(spec.project.name), launchpad(spec)) | {
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
