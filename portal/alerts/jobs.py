"""Entry points for cron, ``portal alerts`` and ``portal worker``: catch the consumer up, deliver, digest.

Both are safe to run twice at once: the consumer's cursor admits one
process at a time, and rows are claimed before they are sent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from portal.alerts import consumer, deliver, digest
from portal.search import SearchQuery, SearchUnavailable, backend_for
from portal.settings import Settings

log = logging.getLogger(__name__)


def search_matcher(factory: sessionmaker[Session], settings: Settings) -> consumer.SearchMatcher:
    """Whether a spec is a hit of a saved search now, asked of the configured search backend."""
    backend = backend_for(settings, factory)

    def matches(query: Mapping[str, Any], project: str, spec: str) -> bool:
        params = {str(k): str(v) for k, v in query.items() if k != "page"}
        if params.get("project") not in (None, "", project):
            return False
        found = backend.search(SearchQuery.from_params({**params, "project": project}).parsed(per_page=100))
        return any(hit.spec == spec for hit in found.hits)

    return matches


def send_pending(session_factory: sessionmaker[Session], settings: Settings) -> dict[str, int]:
    """Bring the alerts consumer up to date, then deliver what is due: counts matched/sent/retried/failed."""
    try:
        search: consumer.SearchMatcher | None = search_matcher(session_factory, settings)
    except (SearchUnavailable, OSError, ValueError) as exc:
        log.warning("alerts: search is unavailable (%s); saved-search subscriptions wait", exc)
        search = None
    events, matched = consumer.catch_up(session_factory, search=search)
    tally = deliver.deliver_pending(session_factory, settings)
    return {"events": events, "matched": matched, **tally.as_dict()}


def send_digests(session_factory: sessionmaker[Session], settings: Settings) -> dict[str, int]:
    """Send the daily digests that are due now (each user's hour, in their time zone)."""
    return digest.send_digests(session_factory, settings)
