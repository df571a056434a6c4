"""``/healthz``: 200 when the database answers, 503 otherwise (for load balancers)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.http.session import get_db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> Response:
    try:
        get_db().execute(text("SELECT 1"))
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
    return jsonify({"status": "ok", "database": "ok"})
