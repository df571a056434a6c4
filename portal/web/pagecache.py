"""A per-worker cache of the pages anonymous readers see most: the project spec lists.

Every write in the portal records an ``Event`` in the same transaction
(DESIGN.md: one path for every change), so the newest event id is a
version number for everything a page can show. A cached page is served
only while that number has not moved; checking it is one indexed query.
Logged-in readers (their pages carry their name, forms and time zone) and
requests with a flash message pending are never cached. The cache lives in
each worker's memory, so it needs no set-up and is lost on restart.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from threading import Lock
from typing import Any

from flask import Response, current_app, request, session
from flask_login import current_user
from sqlalchemy import select

from portal.http.session import get_db
from portal.models import Event

MAX_ENTRIES = 256  # pages of ~50 KB: about 13 MB per worker at most


@dataclass(frozen=True)
class _Entry:
    version: tuple[int, str]
    body: bytes
    status: int
    mimetype: str


class PageCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str, version: tuple[int, str]) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.version != version:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: str, entry: _Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def page_cache() -> PageCache:
    """This app's cache (one per app and worker process)."""
    return current_app.extensions.setdefault("portal_page_cache", PageCache())


def data_version() -> tuple[int, str]:
    """The newest event's id and time: they move whenever anything a page shows changes.

    The time guards against a database restored from a backup, whose new
    events could reach an id the cache has already seen.
    """
    row = get_db().execute(select(Event.id, Event.created_at).order_by(Event.id.desc()).limit(1)).first()
    return (row[0], str(row[1])) if row else (0, "")


def _cacheable() -> bool:
    return (
        request.method == "GET"
        and not current_user.is_authenticated
        and not session.get("_flashes")
        and "Authorization" not in request.headers
    )


def cached_for_anonymous(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve the view's last response for this URL while no event was recorded since."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not _cacheable():
            return view(*args, **kwargs)
        key = request.full_path
        version = data_version()
        cache = page_cache()
        entry = cache.get(key, version)
        if entry is not None:
            return Response(entry.body, status=entry.status, mimetype=entry.mimetype)
        response = view(*args, **kwargs)
        if isinstance(response, Response):
            result = response
        elif isinstance(response, tuple):
            return response
        else:
            result = Response(response, mimetype="text/html")
        if result.status_code == 200 and not result.direct_passthrough:
            cache.put(key, _Entry(version, result.get_data(), result.status_code, result.mimetype or "text/html"))
        return result

    return wrapped
