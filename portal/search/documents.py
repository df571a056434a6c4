"""What is indexed: rows in, :class:`~portal.search.backend.SearchDoc` out (pure; no database, no index).

One spec gives one ``spec`` document (title, name, summary, Launchpad
fields), one ``section`` document per section of its current document (with
its heading path and anchor, so a hit links to ``#the-section``), and one
``comment`` document per live comment of any source (portal, Gerrit review
messages and inline comments with their file and line, Launchpad
whiteboards, link summaries). Every document carries the spec's project,
release and state so the facets filter all kinds alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from portal.models import Comment, Spec, SpecRevision
from portal.search.backend import SearchDoc
from portal.search.query import Kind

HEADING_JOIN = " > "
MAX_BODY_CHARS = 60_000  # a spec section or comment longer than this is indexed by its start (whole specs are ~30k)


def spec_doc_id(spec_id: int) -> str:
    return f"spec:{spec_id}"


def section_doc_id(spec_id: int, anchor: str) -> str:
    return f"section:{spec_id}:{anchor}"


def comment_doc_id(comment_id: int) -> str:
    return f"comment:{comment_id}"


def spec_id_of(doc_id: str) -> int | None:
    """The spec id in a ``spec:`` or ``section:`` id (``None`` for comments and malformed ids)."""
    kind, _, rest = doc_id.partition(":")
    if kind not in ("spec", "section"):
        return None
    number = rest.split(":", 1)[0]
    return int(number) if number.isdigit() else None


def spec_url(project: str, spec: str, anchor: str = "") -> str:
    """The spec page's path (as ``portal.web.pages.spec`` routes it), with a fragment."""
    path = f"/projects/{quote(project, safe='')}/specs/{quote(spec, safe='')}"
    return f"{path}#{quote(anchor, safe='-_.')}" if anchor else path


def comment_anchor(comment_id: int) -> str:
    return f"comment-{comment_id}"  # the timeline's id for a comment (portal/specs/timeline.py)


def is_live(comment: Comment) -> bool:
    """Shown to readers: not deleted, not hidden by a moderator (``hidden_at`` when the discussion has it)."""
    return comment.deleted_at is None and getattr(comment, "hidden_at", None) is None


@dataclass(frozen=True)
class SpecContext:
    """What every document of a spec repeats: where it lives and how it stands."""

    spec_id: int
    project: str
    name: str
    title: str
    release: str
    state: str
    source: str

    @classmethod
    def of(cls, spec: Spec, project: str, revision: SpecRevision | None) -> SpecContext:
        if revision is not None:
            source = str(revision.source)
        elif spec.lp_title or spec.lp_web_link or spec.lp_definition_status:
            source = "launchpad"
        else:
            source = "file"
        return cls(
            spec_id=spec.id,
            project=project,
            name=spec.name,
            title=spec.title or spec.lp_title or spec.name,
            release=spec.release or "",
            state=str(spec.state) if spec.state else "",
            source=source,
        )


def spec_documents(spec: Spec, project: str, revision: SpecRevision | None) -> list[SearchDoc]:
    """The spec's own document, then one per section of ``revision`` (its current document)."""
    ctx = SpecContext.of(spec, project, revision)
    docs = [_spec_doc(spec, ctx)]
    if revision is not None:
        docs.extend(section_documents(ctx, revision.sections, created_at=revision.created_at))
    return docs


def _spec_doc(spec: Spec, ctx: SpecContext) -> SearchDoc:
    parts: list[str] = [spec.summary or ""]
    if spec.lp_title and spec.lp_title != ctx.title:
        parts.append(spec.lp_title)
    if spec.lp_summary and spec.lp_summary.strip() != (spec.summary or "").strip():
        parts.append(spec.lp_summary)
    parts.extend(_work_items(spec.lp_work_items))
    people = [p for p in (spec.lp_assignee, spec.lp_drafter, spec.lp_approver, spec.lp_owner) if p]
    return SearchDoc(
        doc_id=spec_doc_id(spec.id),
        kind=Kind.SPEC,
        source=ctx.source,
        project=ctx.project,
        spec_id=ctx.spec_id,
        spec=ctx.name,
        title=ctx.title,
        body=_cut("\n\n".join(p.strip() for p in parts if p and p.strip())),
        url=spec_url(ctx.project, ctx.name),
        author=people[0] if people else "",
        created_at=spec.lp_created_at or spec.created_at,
        release=ctx.release,
        state=ctx.state,
    )


def _work_items(items: Sequence[Any] | None) -> Iterator[str]:
    for item in items or ():
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            yield item["text"]


def section_documents(ctx: SpecContext, sections: Iterable[Any], *, created_at: Any = None) -> list[SearchDoc]:
    """One document per stored section (``{"path", "anchor", "text"}``); empty sections and duplicates are skipped.

    A section without an anchor (older imports) links to the spec page itself
    and is keyed by its position.
    """
    docs: list[SearchDoc] = []
    seen: set[str] = set()
    for position, section in enumerate(sections):
        if not isinstance(section, dict):
            continue
        text = str(section.get("text") or "").strip()
        path = [str(p) for p in section.get("path") or () if str(p).strip()]
        if not text or not path:
            continue
        anchor = str(section.get("anchor") or "")
        key = anchor or f"n{position}"
        if key in seen:
            continue
        seen.add(key)
        docs.append(SearchDoc(
            doc_id=section_doc_id(ctx.spec_id, key),
            kind=Kind.SECTION,
            source=ctx.source,
            project=ctx.project,
            spec_id=ctx.spec_id,
            spec=ctx.name,
            title=ctx.title,
            heading=HEADING_JOIN.join(path),
            anchor=anchor,
            body=_cut(text),
            url=spec_url(ctx.project, ctx.name, anchor),
            created_at=created_at,
            release=ctx.release,
            state=ctx.state,
        ))
    return docs


def comment_document(comment: Comment, ctx: SpecContext) -> SearchDoc | None:
    """The comment's document, or ``None`` when readers do not see it (deleted, hidden) or it is empty."""
    if not is_live(comment) or not (comment.body or "").strip():
        return None
    file, line = split_file_line(comment.file_line)
    body = comment.body.strip()
    link_title = getattr(comment, "link_title", None)
    if isinstance(link_title, str) and link_title.strip():
        body = f"{link_title.strip()}\n\n{body}"
    anchor = comment_anchor(comment.id)
    return SearchDoc(
        doc_id=comment_doc_id(comment.id),
        kind=Kind.COMMENT,
        source=str(comment.source),
        project=ctx.project,
        spec_id=ctx.spec_id,
        spec=ctx.name,
        title=ctx.title,
        anchor=anchor,
        body=_cut(body),
        url=spec_url(ctx.project, ctx.name, anchor),
        author=comment.author_name or "",
        created_at=comment.created_at,
        release=ctx.release,
        state=ctx.state,
        file=file,
        line=line,
        patch_set=comment.patch_set,
    )


def split_file_line(file_line: str | None) -> tuple[str, int | None]:
    """``"specs/x.rst:42"`` → ``("specs/x.rst", 42)``; a file-level comment has no line."""
    if not file_line:
        return "", None
    path, sep, line = file_line.rpartition(":")
    if sep and line.isdigit():
        return path, int(line)
    return file_line, None


def _cut(text: str) -> str:
    return text if len(text) <= MAX_BODY_CHARS else text[:MAX_BODY_CHARS]
