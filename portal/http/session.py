"""One database session per request, opened on first use, always closed.

Views commit explicitly (``commit()``) after a successful write; anything
not committed when the request ends is rolled back, so a failed request
never leaves half a change behind.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g
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


def commit() -> None:
    get_db().commit()


def init_app(app: Flask) -> None:
    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        db: Session | None = g.pop("db", None)
        if db is not None:
            db.rollback()
            db.close()
