"""One spec as its page and ``GET /projects/<p>/specs/<name>`` show it (the timeline is in ``timeline.py``)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from portal.errors import NotFound
from portal.models import Comment, Project, Spec, SpecRevision


def get_spec(session: Session, project_name: str, spec_name: str) -> Spec:
    """A spec with its project, revisions and Gerrit changes loaded (four queries)."""
    spec = session.scalar(
        select(Spec)
        .join(Project, Project.id == Spec.project_id)
        .where(Project.name == project_name, Spec.name == spec_name)
        .options(selectinload(Spec.project), selectinload(Spec.revisions), selectinload(Spec.gerrit_changes))
    )
    if spec is None:
        raise NotFound(
            f"No spec '{spec_name}' in project '{project_name}'. It may have been renamed: "
            f"look for it on the {project_name} project page."
        )
    return spec


def comment_count(session: Session, spec_id: int) -> int:
    """The spec's live (not deleted) comments."""
    return session.scalar(
        select(func.count()).where(Comment.spec_id == spec_id, Comment.deleted_at.is_(None))
    ) or 0


def release_history(spec: Spec) -> list[SpecRevision]:
    """The latest revision per file path, newest release first."""
    latest: dict[str, SpecRevision] = {}
    for rev in spec.revisions:
        if rev.path not in latest or rev.id > latest[rev.path].id:
            latest[rev.path] = rev
    return sorted(latest.values(), key=lambda r: (r.release_rank, r.id), reverse=True)


_TAG = re.compile(r"<[^>]+>")
_PARAGRAPH = re.compile(r"<p(?:\s[^>]*)?>(.*?)</p>\s*", re.S)
_SECTION_START = re.compile(r"<section[\s>]")
_TITLE_SECTION = re.compile(r"\s*<section[^>]*>")
_SHORTENED = " …"


@dataclass(frozen=True)
class SpecText:
    """What the spec page prints: the lead under the title, and the body below it."""

    lead_html: str  # sanitised inline HTML (or escaped text); "" for no lead
    body_html: str


def _text_key(text: str) -> str:
    """Letters and digits only: the parser's plain text and the rendered HTML differ in quotes and brackets."""
    return re.sub(r"[\W_]+", "", text).lower()


def _html_key(fragment: str) -> str:
    return _text_key(html.unescape(_TAG.sub(" ", fragment)))


def lead_and_body(summary: str, fallback: str | None, body_html: str) -> SpecText:
    """Show the spec's lead paragraph once, not in the header *and* again as the body's first paragraph.

    The summary (``Spec.summary``, from the parser) is the first prose
    paragraph under the title, else the first paragraph of the first
    section. When it is the introduction under the title, that paragraph
    moves to the header whole (with its links; it was sanitised at import)
    and leaves the body. When it opens a section, it stays under its
    heading and the header shows no lead. A spec without a document shows
    its summary or its Launchpad summary (``fallback``) as plain text.
    """
    summary_key = _text_key(summary.removesuffix(_SHORTENED))
    if summary_key and body_html:
        title_section = _TITLE_SECTION.match(body_html)  # the title's section wraps the whole body
        intro_start = title_section.end() if title_section else 0
        first_section = _SECTION_START.search(body_html, intro_start)
        intro_end = first_section.start() if first_section else len(body_html)
        for match in _PARAGRAPH.finditer(body_html, intro_start, intro_end):
            if _html_key(match.group(1)).startswith(summary_key):
                body = body_html[: match.start()] + body_html[match.end():]
                return SpecText(lead_html=match.group(1).strip(), body_html=body)
        for match in _PARAGRAPH.finditer(body_html):
            if _html_key(match.group(1)).startswith(summary_key):
                return SpecText(lead_html="", body_html=body_html)
    plain = summary or fallback or ""
    return SpecText(lead_html=str(escape(plain)) if plain else "", body_html=body_html)
