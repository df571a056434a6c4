"""The composition root: ``create_app`` wires every layer and does no I/O."""

from __future__ import annotations

from flask import Flask
from flask_bootstrap import Bootstrap5
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session, sessionmaker

from portal.db.engine import make_engine, make_session_factory
from portal.http import auth, errors, json_body, security
from portal.http import session as http_session
from portal.logs import configure_logging
from portal.resources import resource_dir
from portal.settings import Settings, load_settings

csrf = CSRFProtect()
bootstrap = Bootstrap5()


def create_app(settings: Settings | None = None, *, session_factory: sessionmaker[Session] | None = None) -> Flask:
    """Build the WSGI app. ``session_factory`` lets tests share one rolled-back transaction."""
    settings = settings if settings is not None else load_settings()
    configure_logging(settings.log_level)
    app = Flask(
        "portal",
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
        instance_path=str(settings.instance_path),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        BOOTSTRAP_SERVE_LOCAL=True,  # Bootstrap's files come from the installed package, never a CDN
        WTF_CSRF_TIME_LIMIT=None,  # tokens live as long as the login session
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    engine = make_engine(settings.database_url)
    app.extensions["portal"] = http_session.PortalState(
        settings=settings, engine=engine, session_factory=session_factory or make_session_factory(engine)
    )
    security.configure(app, settings)
    http_session.init_app(app)
    auth.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
    errors.init_app(app)
    json_body.init_app(app)

    from portal.api import register_api
    from portal.web import register_web

    register_web(app)
    register_api(app, csrf)
    return app
