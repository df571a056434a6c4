"""One place that turns failures into responses: an HTML page, or JSON under /api/.

The page always says what happened and what to do next; a 500 rolls the
request's transaction back first and never shows a traceback.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from portal.errors import NotFound, PortalError, TooManyAttempts
from portal.http.session import get_db
from portal.models import Project
from portal.specs import merge
from portal.specs.projects import resolve_alias

log = logging.getLogger(__name__)

HINTS = {
    400: "The request was not understood. Go back, check what you entered and try again.",
    401: "You need to log in first.",
    403: "Your account is not allowed to do this. Ask an admin if you think it should be.",
    404: "The page does not exist. It may have been renamed; try the project list or check the address.",
    405: "This address does not accept that kind of request. Use the links and buttons on the site.",
    413: "What you sent is too large.",
    429: "Too many attempts. Wait a little and try again.",
    500: "Something went wrong on our side. Nothing you entered was saved by this request; try again, "
    "and tell your portal admin if it keeps happening.",
    503: "The portal is busy or its database is unavailable. Try again in a minute.",
}


# The same situations told to an API client: what to do next without the site's buttons.
API_HINTS = {
    404: "No such API endpoint. The endpoints are listed in /api/v1/openapi.json.",
    405: "This endpoint does not accept that method. See /api/v1/openapi.json for the methods it takes.",
    500: "Something went wrong on our side and nothing was saved. Try again, "
    "and tell the portal admin if it keeps happening.",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    retry_after: int | None = None,
    link: tuple[str, str] | None = None,
) -> Response:
    """The error as JSON under /api/, else as a page; ``link`` is (url, label) of the best next page."""
    if wants_json():
        response = jsonify({"error": {"code": code, "message": message}})
    else:
        response = Response(
            render_template(
                "errors/error.html", status=status, message=message, hint=HINTS.get(status, ""), link=link
            ),
            mimetype="text/html",
        )
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def renamed_project_redirect() -> WerkzeugResponse | None:
    """Send a request for a project's former name to its current one (pages and API alike).

    Asked only when a view found no such project, so it costs nothing on the
    normal path. GET and HEAD get 301; other methods 308, which keeps the
    method and body.
    """
    args = request.view_args or {}
    name = args.get("project_name")
    if not isinstance(name, str) or request.endpoint is None:
        return None
    project = resolve_alias(get_db(), name)
    if project is None or project.name == name:
        return None
    target = url_for(request.endpoint, **{**args, "project_name": project.name})
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    status = 301 if request.method in ("GET", "HEAD") else 308
    if wants_json():
        response = jsonify({"error": {"code": "moved_permanently", "message": (
            f"Project '{name}' is now called '{project.name}'; use {target} (this redirect stays)."
        )}})
        response.status_code = status
        response.headers["Location"] = target
        return response
    return redirect(target, code=status)


def merged_spec_redirect() -> WerkzeugResponse | None:
    """Send a request for a spec merged into another (``spec_aliases``) to the surviving spec.

    Like :func:`renamed_project_redirect`: asked only when a view found no such spec; 301 for GET and
    HEAD, 308 otherwise.
    """
    args = request.view_args or {}
    project_name, spec_name = args.get("project_name"), args.get("spec_name")
    if not isinstance(project_name, str) or not isinstance(spec_name, str) or request.endpoint is None:
        return None
    db = get_db()
    project_id = db.scalar(select(Project.id).where(Project.name == project_name))
    spec = merge.resolve_alias(db, project_id, spec_name) if project_id is not None else None
    if spec is None or spec.name == spec_name:
        return None
    target = url_for(request.endpoint, **{**args, "spec_name": spec.name})
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    status = 301 if request.method in ("GET", "HEAD") else 308
    if wants_json():
        response = jsonify({"error": {"code": "moved_permanently", "message": (
            f"Spec '{spec_name}' was merged into '{spec.name}'; use {target} (this redirect stays)."
        )}})
        response.status_code = status
        response.headers["Location"] = target
        return response
    return redirect(target, code=status)


def _rollback() -> None:
    db = g.get("db")
    if db is not None:
        db.rollback()


def init_app(app: Flask) -> None:
    @app.errorhandler(PortalError)
    def _portal_error(exc: PortalError) -> WerkzeugResponse:
        _rollback()
        if isinstance(exc, NotFound):
            moved = renamed_project_redirect() or merged_spec_redirect()
            if moved is not None:
                return moved
        retry = exc.retry_after if isinstance(exc, TooManyAttempts) else None
        return error_response(exc.status, exc.code, exc.message, retry_after=retry)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> Response:
        _rollback()
        return error_response(
            400,
            "csrf_failed",
            "Your form had expired or did not come from this site, so nothing was saved. "
            "Go back, reload the page and submit it again.",
        )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        message = {
            404: "Page not found.",
            405: "Method not allowed.",
        }.get(status, exc.description or exc.name)
        if wants_json() and status in API_HINTS:
            message = f"{message} {API_HINTS[status]}"
        response = error_response(status, exc.name.lower().replace(" ", "_"), message)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        _rollback()
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError) and "locked" in str(exc).lower():
            log.warning("database busy: %s", exc)
            return error_response(
                503, "database_busy", "The database is busy. Try again in a few seconds.", retry_after=5
            )
        if isinstance(exc, OperationalError) and _is_connection_failure(exc):
            log.error("database unavailable on %s %s: %s", request.method, request.path, exc)
            return error_response(
                503,
                "database_unavailable",
                "The database is unavailable. Try again in a minute; if it keeps happening, "
                "tell your portal admin (the database server may be down).",
                retry_after=30,
            )
        log.exception("unhandled error on %s %s", request.method, request.path)
        message = "Internal error."
        if wants_json():
            message = f"{message} {API_HINTS[500]}"
        return error_response(500, "internal_error", message)


def _is_connection_failure(exc: Exception) -> bool:
    """Could not reach the database at all (server down, wrong host, unreadable file)."""
    text = str(exc).lower()
    return any(
        marker in text
        for marker in ("connection refused", "could not connect", "connection failed", "unable to open database file",
                       "server closed the connection", "connection timed out", "could not translate host name")
    )
