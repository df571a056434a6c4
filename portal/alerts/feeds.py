"""Atom feeds: a public one per project, and a private one per user behind a secret token.

The project feed is the project's recent events (new specs, state changes,
new patch sets, comments, PTL acknowledgements); a backfill (first import)
is one entry, its run's ``import.finished`` event, never one per spec. The
user feed is the user's ``atom`` notifications (all but skipped ones): the
feed *is* their delivery, so the outbox creates them as sent.

Entry ids are ``tag:`` URIs built from the portal's base URL and the event
id (``tag:bob.example.org,2026:event/812``), so a feed reader never shows
an entry twice; set ``PORTAL_BASE_URL`` so they stay the same whatever host
a reader used. The document is deterministic for the same rows (no "now"
inside), so its hash is a strong ETag.

The user's token is shown once and stored as its sha256
(``AlertPreferences.feed_token_hash``): a database leak does not leak feeds.
Creating a token again rotates it; revoking clears it; an unknown token
finds nobody (the page answers 404).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]
from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from portal import clock
from portal.events import EventKind, label_for
from portal.models import (
    AlertChannel,
    AlertPreferences,
    Event,
    Notification,
    NotificationStatus,
    Project,
    Spec,
    User,
)

MAX_ENTRIES = 50
TOKEN_BYTES = 32
TAG_DATE = "2026"  # the tag: URI date; part of every entry id, so it never changes

# What a project's followers want to read about (the public activity of a project).
PROJECT_FEED_KINDS: frozenset[EventKind] = frozenset({
    EventKind.SPEC_CREATED, EventKind.SPEC_STATE_CHANGED, EventKind.SPEC_REVISED, EventKind.SPEC_DELETED,
    EventKind.SPEC_MERGED_INTO, EventKind.GERRIT_CHANGE_UPDATED, EventKind.IMPLEMENTATION_CHANGED,
    EventKind.COMMENT_ADDED, EventKind.PTL_ACKNOWLEDGED, EventKind.IMPORT_FINISHED,
})
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Feed:
    """A rendered Atom document and when its newest entry changed (for Last-Modified)."""

    xml: bytes
    updated: datetime

    @property
    def etag(self) -> str:
        return hashlib.sha256(self.xml).hexdigest()[:32]


@dataclass(frozen=True)
class Entry:
    event_id: int
    title: str
    updated: datetime
    link: str
    summary: str


# --- the two feeds ----------------------------------------------------------------------


def project_feed(session: Session, base_url: str, project: Project) -> Feed:
    """The project's newest :data:`MAX_ENTRIES` feed-worthy events, in one query."""
    stmt = (
        select(Event, Spec.name, Spec.title)
        .outerjoin(Spec, Spec.id == Event.spec_id)
        .where(Event.project_id == project.id, Event.kind.in_(PROJECT_FEED_KINDS))
        .where(or_(Event.backfill.is_(false()), Event.kind == EventKind.IMPORT_FINISHED))
        .order_by(Event.id.desc())
        .limit(MAX_ENTRIES)
    )
    entries = [
        _entry(base_url, event, project.name, spec_name, spec_title, reason="")
        for event, spec_name, spec_title in session.execute(stmt)
    ]
    title = f"{project.title or project.name} — BOB"
    page = f"{base_url}/projects/{quote(project.name, safe='')}"
    return _render(base_url, f"project/{project.id}", title, page, page + "/feed.atom", entries,
                   project.created_at)


def user_feed(session: Session, base_url: str, user: User, token: str) -> Feed:
    """The user's newest :data:`MAX_ENTRIES` Atom notifications, in one query."""
    stmt = (
        select(Notification.reason, Notification.summary, Event, Project.name, Spec.name, Spec.title)
        .join(Event, Event.id == Notification.event_id)
        .outerjoin(Project, Project.id == Event.project_id)
        .outerjoin(Spec, Spec.id == Event.spec_id)
        .where(Notification.user_id == user.id, Notification.channel == AlertChannel.ATOM)
        .where(Notification.status != NotificationStatus.SKIPPED)  # e.g. the subscription went away
        .order_by(Notification.id.desc())
        .limit(MAX_ENTRIES)
    )
    entries = []
    for reason, summary, event, project_name, spec_name, spec_title in session.execute(stmt):
        entry = _entry(base_url, event, project_name, spec_name, spec_title, reason=reason)
        if summary:
            entry = Entry(entry.event_id, _summary_title(summary) or entry.title, entry.updated, entry.link,
                          entry.summary)
        entries.append(entry)
    self_url = f"{base_url}/feeds/{token}.atom"
    return _render(base_url, f"user/{user.id}", f"BOB alerts for {user.username}", base_url + "/", self_url,
                   entries, user.created_at)


# --- the secret token -------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_feed_token(session: Session, actor: User) -> str:
    """A new secret feed token for ``actor`` (the old one stops working); shown once, stored hashed."""
    prefs = _preferences(session, actor)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    prefs.feed_token_hash = token_hash(token)
    prefs.feed_token_created_at = clock.now()
    session.flush()
    return token


def revoke_feed_token(session: Session, actor: User) -> bool:
    """Forget ``actor``'s feed token; whether there was one."""
    prefs = session.get(AlertPreferences, actor.id)
    if prefs is None or prefs.feed_token_hash is None:
        return False
    prefs.feed_token_hash = None
    prefs.feed_token_created_at = None
    session.flush()
    return True


def feed_token_created_at(session: Session, actor: User) -> datetime | None:
    """When ``actor``'s current feed token was made, ``None`` without one."""
    prefs = session.get(AlertPreferences, actor.id)
    return prefs.feed_token_created_at if prefs is not None and prefs.feed_token_hash else None


def user_for_token(session: Session, token: str) -> User | None:
    """The active user whose feed token this is, else ``None`` (unknown, revoked or a disabled account)."""
    if not token or len(token) > 200:
        return None
    user = session.scalar(
        select(User).join(AlertPreferences, AlertPreferences.user_id == User.id)
        .where(AlertPreferences.feed_token_hash == token_hash(token))
    )
    return user if user is not None and user.is_active else None


def _preferences(session: Session, user: User) -> AlertPreferences:
    prefs = session.get(AlertPreferences, user.id)
    if prefs is None:
        prefs = AlertPreferences(user_id=user.id)
        session.add(prefs)
    return prefs


# --- rendering --------------------------------------------------------------------------


def entry_id(base_url: str, event_id: int) -> str:
    """``tag:<host>,2026:<path>/event/<id>``: the same for an event in every feed, forever."""
    parts = urlsplit(base_url)
    path = parts.path.rstrip("/")
    return f"tag:{parts.hostname or 'localhost'},{TAG_DATE}:{path}/event/{event_id}"


def _entry(base_url: str, event: Event, project_name: str | None, spec_name: str | None, spec_title: str | None,
           *, reason: str) -> Entry:
    payload: dict[str, Any] = event.payload or {}
    project = project_name or str(payload.get("project") or "")
    label = label_for(event.kind)
    if event.kind == EventKind.IMPORT_FINISHED:
        title = f"{project}: {_import_text(payload)}"
    elif label.subject == "spec":
        subject = spec_title or spec_name or str(payload.get("title") or payload.get("spec") or "a spec")
        title = f"{project}: {label.one} {subject}"
    else:
        title = f"{project}: {label.one}" if project else label.one
    link = f"{base_url}/projects/{quote(project, safe='')}" if project else base_url + "/"
    if spec_name is not None:
        link += f"/specs/{quote(spec_name, safe='')}"
    summary = title + (f" ({reason})" if reason else "")
    return Entry(event.id, title, event.created_at, link, summary)


def _import_text(payload: dict[str, Any]) -> str:
    counts = payload.get("counts") or {}
    created, updated = int(counts.get("created") or 0), int(counts.get("updated") or 0)
    parts = []
    if created:
        parts.append(f"{created} spec{'' if created == 1 else 's'} imported")
    if updated:
        parts.append(f"{updated} updated")
    status = payload.get("status")
    text = ", ".join(parts) or "import finished"
    return text + (f" ({status})" if status and status != "succeeded" else "")


def _summary_title(summary: dict[str, Any]) -> str:
    """A backfill summary notification: ``{"nova": 195, …}`` reads "nova: 195 specs imported"."""
    parts = [f"{name}: {count} specs imported" for name, count in sorted(summary.items()) if isinstance(count, int)]
    return "; ".join(parts)


def _render(base_url: str, feed_key: str, title: str, alternate: str, self_url: str, entries: list[Entry],
            created: datetime | None) -> Feed:
    updated = max((e.updated for e in entries), default=created or _EPOCH)
    fg = FeedGenerator()
    parts = urlsplit(base_url)
    fg.id(f"tag:{parts.hostname or 'localhost'},{TAG_DATE}:{parts.path.rstrip('/')}/feed/{feed_key}")
    fg.title(_clean(title))
    fg.author({"name": "BOB"})
    fg.link(href=alternate, rel="alternate", type="text/html")
    fg.link(href=self_url, rel="self", type="application/atom+xml")
    fg.updated(updated)
    fg.generator("BOB")
    for item in entries:  # newest first
        fe = fg.add_entry(order="append")
        fe.id(entry_id(base_url, item.event_id))
        fe.title(_clean(item.title))
        fe.updated(item.updated)
        fe.link(href=item.link, rel="alternate", type="text/html")
        fe.summary(_clean(item.summary))
    return Feed(fg.atom_str(pretty=False), updated)


def _clean(text: str) -> str:
    """Text XML can carry: control characters (a hostile spec title) dropped, lxml escapes the rest."""
    return _NOT_XML.sub("", text)
