"""``/healthz``: 200 when the database answers, 503 otherwise (for load balancers).

It also says how far behind each event consumer is and which sync failed
last, so one monitoring probe sees a stuck worker. Every query is bounded
(primary-key lookups, a capped count, one ``LIMIT 1``), so the probe stays
fast on a large database.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from portal.clock import as_utc
from portal.http.session import get_db
from portal.models import Event, EventCursor, ImportRun, Project
from portal.models.activity import RunStatus

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

CONSUMERS = ("search", "alerts")
LAG_CAP = 10_000  # counting further would make the probe slow; "at least" is enough to alarm on
ERROR_SHOWN = 300


@bp.get("/healthz")
def healthz() -> Response:
    session = get_db()
    try:
        session.execute(text("SELECT 1"))
        body: dict[str, Any] = {"status": "ok", "database": "ok"}
        body["consumers"] = {name: _lag(session, name) for name in CONSUMERS}
        body["last_failed_sync"] = _last_failed_sync(session)
    except SQLAlchemyError as exc:
        log.warning("health check failed: %s", exc)
        response = jsonify({
            "status": "unavailable",
            "database": "unreachable",
            "message": "The database does not answer. Check that the database server is running and that "
            "PORTAL_DATABASE_URL points at it; the portal's log has the error.",
        })
        response.status_code = 503
        return response
    return jsonify(body)


def _lag(session: Session, consumer: str) -> dict[str, Any]:
    """Events the consumer has not handled yet (above its mark; capped at :data:`LAG_CAP`)."""
    cursor = session.get(EventCursor, consumer)
    last = cursor.last_event_id if cursor is not None else 0
    newer = select(Event.id).where(Event.id > last).limit(LAG_CAP + 1).subquery()
    pending = int(session.scalar(select(func.count()).select_from(newer)) or 0)
    return {
        "last_event_id": last,
        "pending_events": min(pending, LAG_CAP),
        "pending_capped": pending > LAG_CAP,
        "updated_at": _iso(cursor.updated_at) if cursor is not None else None,
    }


def _last_failed_sync(session: Session) -> dict[str, Any] | None:
    row = session.execute(
        select(ImportRun, Project.name)
        .outerjoin(Project, Project.id == ImportRun.project_id)
        .where(ImportRun.status == RunStatus.FAILED.value)
        .order_by(ImportRun.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    run, project = row
    return {
        "project": project,
        "source": run.source,
        "run_id": run.id,
        "at": _iso(run.finished_at or run.started_at),
        "error": (run.error or "")[:ERROR_SHOWN],
    }


def _iso(when: datetime | None) -> str | None:
    utc = as_utc(when)
    return utc.isoformat() if utc is not None else None
