"""One database session per request, opened on first use, committed once, always closed.

The unit of work of a request: views call services and never commit. When
the view returned a response below 400, the request's session commits here,
once, and the work registered with :func:`portal.db.unit.on_commit` runs;
an error response or an exception rolls everything back, so a failed
request never leaves half a change behind. A commit that fails becomes an
error page: the user is never told "saved" for something that was not.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Response, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from portal.settings import Settings


@dataclass
class PortalState:
    """What the app factory wired, reachable as ``app.extensions['portal']``."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]


def state() -> PortalState:
    return current_app.extensions["portal"]


def settings() -> Settings:
    return state().settings


def get_db() -> Session:
    if "db" not in g:
        g.db = state().session_factory()
    return g.db


def init_app(app: Flask) -> None:
    @app.after_request
    def _commit_unit_of_work(response: Response) -> Response:
        db: Session | None = g.get("db")
        if db is not None:
            if response.status_code < 400:
                db.commit()
            else:
                db.rollback()
        return response

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        db: Session | None = g.pop("db", None)
        if db is not None:
            db.rollback()
            db.close()
