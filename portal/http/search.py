"""The search backend of this app, built once per app from the settings (shared by the pages and the API)."""

from __future__ import annotations

from flask import current_app

from portal.http.session import state
from portal.search import SearchBackend, backend_for

_KEY = "portal.search"


def search_backend() -> SearchBackend:
    """``PORTAL_SEARCH_BACKEND``'s backend: the Whoosh index in the instance folder, or PostgreSQL."""
    backend: SearchBackend | None = current_app.extensions.get(_KEY)
    if backend is None:
        portal = state()
        backend = backend_for(portal.settings, portal.session_factory)
        current_app.extensions[_KEY] = backend
    return backend
