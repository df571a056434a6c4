"""Store imported discussions, link them to specs and keep their salient-point comments current.

:func:`import_discussions` is what both parsers' commands call (``portal import meetings``
and ``portal import mail``). It is idempotent: a discussion whose content hash is stored
already is skipped without a write; a changed one updates its row, its links and its
comments in place. A link removed by hand keeps its row with ``removed_at`` and is never
made again by the rules. The hand-made side (:func:`add_link`, :func:`remove_link`) is
here too, so both go through the same writer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import events, permissions
from portal.clock import now
from portal.errors import InvalidInput, NotFound
from portal.importers.outside.linking import Match, SpecIndex
from portal.importers.outside.model import Discussion, Line, LineKind
from portal.importers.outside.writer import write_comment
from portal.models import Comment, DiscussionLink, LinkOrigin, OutsideDiscussion, Spec, User

CHUNK = 500
Progress = Callable[[int, int, str], None]


@dataclass
class ImportReport:
    """What one import did, in the words the command prints."""

    source_label: str = ""
    discussions: int = 0
    unchanged: int = 0
    new: int = 0
    changed: int = 0
    links: int = 0  # links made by the rules this time
    comments_added: int = 0
    comments_updated: int = 0

    def summary(self) -> str:
        return (f"{self.discussions} discussion(s): {self.new} new, {self.changed} changed, {self.unchanged} "
                f"unchanged; {self.links} new link(s) to specs; {self.comments_added} comment(s) added, "
                f"{self.comments_updated} updated")


def to_payload(discussion: Discussion) -> dict[str, Any]:
    """The parts of a discussion the row's columns do not hold, as JSON."""
    return {
        "tags": list(discussion.tags),
        "participants": list(discussion.participants),
        "lines": [[ln.number, ln.author, ln.text, ln.kind.value, ln.at.isoformat() if ln.at else None, ln.url]
                  for ln in discussion.lines],
    }


def from_row(row: OutsideDiscussion) -> Discussion:
    """The discussion as last imported (a link added by hand writes its comment from this)."""
    payload = row.payload or {}
    lines = tuple(Line(number=n, author=a, text=t, kind=LineKind(k), at=datetime.fromisoformat(at) if at else None,
                       url=u) for n, a, t, k, at, u in payload.get("lines", []))
    return Discussion(source=row.source, external_id=row.external_id, title=row.title, url=row.url,
                      started_at=row.started_at, group=row.group_name, tags=tuple(payload.get("tags", ())),
                      lines=lines, content_hash=row.content_hash,
                      participants=tuple(payload.get("participants", ())))


def import_discussions(session: Session, discussions: Sequence[Discussion], *, source_label: str,
                       progress: Progress | None = None, index: SpecIndex | None = None) -> ImportReport:
    """Store, link and summarise each discussion; skip those whose content hash is stored already.

    Flushes, never commits (the command's session does, or a per-file ``commit_batch`` in the caller).
    ``progress(index, total, external_id)`` is called for each discussion. ``index``: the specs' names,
    loaded once by a caller that imports file after file (loaded here otherwise).
    """
    report = ImportReport(source_label=source_label, discussions=len(discussions))
    rows = _rows(session, discussions)
    for number, discussion in enumerate(discussions, 1):
        if progress is not None:
            progress(number, len(discussions), discussion.external_id)
        row = rows.get((discussion.source, discussion.external_id))
        is_new = row is None
        if row is not None and discussion.content_hash and row.content_hash == discussion.content_hash:
            report.unchanged += 1
            continue
        if row is None:
            row = OutsideDiscussion(source=discussion.source, external_id=discussion.external_id[:500])
            session.add(row)
            rows[(discussion.source, discussion.external_id)] = row
            report.new += 1
        else:
            report.changed += 1
        row.title, row.url, row.group_name = discussion.title[:500], discussion.url, discussion.group[:100]
        row.started_at, row.content_hash = discussion.started_at, discussion.content_hash
        row.payload, row.imported_at = to_payload(discussion), now()
        session.flush()
        if index is None:
            index = SpecIndex.load(session)
        _link_and_write(session, row, discussion, index.link(discussion), report, is_new=is_new)
    session.flush()
    return report


def _rows(session: Session, discussions: Sequence[Discussion]) -> dict[tuple[str, str], OutsideDiscussion]:
    rows: dict[tuple[str, str], OutsideDiscussion] = {}
    by_source: dict[str, list[str]] = {}
    for d in discussions:
        by_source.setdefault(d.source, []).append(d.external_id)
    for source, ids in by_source.items():
        for start in range(0, len(ids), CHUNK):
            for row in session.scalars(select(OutsideDiscussion).where(
                    OutsideDiscussion.source == source, OutsideDiscussion.external_id.in_(ids[start:start + CHUNK]))):
                rows[(row.source, row.external_id)] = row
    return rows


def _link_and_write(session: Session, row: OutsideDiscussion, discussion: Discussion, matches: list[Match],
                    report: ImportReport, *, is_new: bool) -> None:
    if is_new and not matches:
        return  # a new discussion has no links yet, and the rules found none
    links = {} if is_new else {link.spec_id: link for link in session.scalars(
        select(DiscussionLink).where(DiscussionLink.discussion_id == row.id))}
    mentions = {m.spec_id: m.lines for m in matches}
    for match in matches:
        link = links.get(match.spec_id)
        if link is None:
            link = links[match.spec_id] = DiscussionLink(discussion_id=row.id, spec_id=match.spec_id,
                                                         reason=match.reason[:300], made_by=LinkOrigin.AUTO)
            session.add(link)
            report.links += 1
        elif link.made_by == LinkOrigin.AUTO and link.removed_at is None:
            link.reason = match.reason[:300]
    session.flush()
    for link in links.values():
        if link.removed_at is not None:
            continue
        spec = session.get(Spec, link.spec_id)
        if spec is None:
            continue
        existing = session.get(Comment, link.comment_id) if link.comment_id else None
        comment, what = write_comment(session, discussion, spec, mentions=mentions.get(link.spec_id, set()),
                                      reason=link.reason, existing=existing)
        link.comment_id = comment.id
        report.comments_added += what == "added"
        report.comments_updated += what == "updated"


def find_discussion(session: Session, ref: str) -> OutsideDiscussion | None:
    """A stored discussion by its external id, its URL, or a deep link into it (``…log.html#l-12``)."""
    ref = ref.strip()
    if not ref:
        return None
    found = session.scalar(select(OutsideDiscussion).where(OutsideDiscussion.external_id == ref))
    if found is not None:
        return found
    base, _, anchor = ref.partition("#")
    candidates = list(session.scalars(select(OutsideDiscussion).where(
        (OutsideDiscussion.url == base) | OutsideDiscussion.url.startswith(f"{base}#", autoescape=True))
        .order_by(OutsideDiscussion.id)))
    exact = [c for c in candidates if c.url == ref]
    if anchor.startswith("l-") and anchor[2:].isdigit():
        wanted = int(anchor[2:])
        best = None
        for candidate in candidates:  # the topic that the anchored line belongs to
            numbers = [line[0] for line in (candidate.payload or {}).get("lines", [])]
            if numbers and numbers[0] <= wanted and (best is None or numbers[0] > _first_line(best)):
                best = candidate
        return best or (candidates[0] if candidates else None)
    return exact[0] if exact else (candidates[0] if candidates else None)


def _first_line(row: OutsideDiscussion) -> int:
    lines = (row.payload or {}).get("lines", [])
    return int(lines[0][0]) if lines else 0


def spec_links(session: Session, spec: Spec) -> list[tuple[DiscussionLink, OutsideDiscussion]]:
    """The spec's outside discussions (removed links too, last), newest discussion first: one query."""
    return [(link, d) for link, d in session.execute(
        select(DiscussionLink, OutsideDiscussion).join(OutsideDiscussion,
                                                       OutsideDiscussion.id == DiscussionLink.discussion_id)
        .where(DiscussionLink.spec_id == spec.id)
        .order_by(DiscussionLink.removed_at.is_not(None), OutsideDiscussion.started_at.desc()))]


def add_link(session: Session, actor: User | None, spec: Spec, ref: str) -> DiscussionLink:
    """Link a stored discussion to the spec by hand (reviewers, admins) and write its comment."""
    permissions.require(permissions.can_link_discussions(actor))
    assert actor is not None
    row = find_discussion(session, ref)
    if row is None:
        raise InvalidInput(f"No imported discussion is known as {ref.strip()[:200]!r}: paste the meeting log's "
                           "address (…log.html#l-N) or the external id shown on another spec, and import the "
                           "log first if it is new (portal import meetings).")
    link = session.scalar(select(DiscussionLink).where(DiscussionLink.discussion_id == row.id,
                                                       DiscussionLink.spec_id == spec.id))
    if link is not None and link.removed_at is None:
        raise InvalidInput(f"{row.title} is linked to this spec already.")
    if link is None:
        link = DiscussionLink(discussion_id=row.id, spec_id=spec.id)
        session.add(link)
    link.made_by, link.made_by_id = LinkOrigin.USER, actor.id
    link.reason = f"linked by hand by {actor.display_name or actor.username}"[:300]
    link.removed_at = link.removed_by_id = None
    session.flush()
    discussion = from_row(row)
    mentions = {m.lines for m in SpecIndex.load(session).link(discussion) if m.spec_id == spec.id}
    existing = session.get(Comment, link.comment_id) if link.comment_id else None
    comment, _ = write_comment(session, discussion, spec, mentions=set().union(*mentions), reason=link.reason,
                               existing=existing, revive=True)
    link.comment_id = comment.id
    session.flush()
    return link


def remove_link(session: Session, actor: User | None, spec: Spec, link_id: int) -> DiscussionLink:
    """Remove a link by hand: its comment is deleted and the rules never make the link again."""
    permissions.require(permissions.can_link_discussions(actor))
    assert actor is not None
    link = session.get(DiscussionLink, link_id)
    if link is None or link.spec_id != spec.id:
        raise NotFound("That link is not on this spec (reload the page).")
    if link.removed_at is not None:
        return link
    at = now()
    link.removed_at, link.removed_by_id = at, actor.id
    comment = session.get(Comment, link.comment_id) if link.comment_id else None
    if comment is not None and comment.deleted_at is None:
        comment.deleted_at = at
        session.flush()
        events.record(session, events.EventKind.COMMENT_DELETED, project_id=spec.project_id, spec_id=spec.id,
                      actor_id=actor.id, comment_id=comment.id)
    session.flush()
    return link
