"""Server-rendered pages (Jinja); forms in, templates out, logic in the services."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user

from portal import __version__, permissions
from portal.http.auth import actor
from portal.web import (
    accounts,
    admin,
    alerts,
    checklist,
    comments,
    dashboard,
    feeds,
    filters,
    health,
    outside_links,
    pages,
    reports,
    search,
    signup,
    site_files,
    votes,
)
from portal.web.forms import LogoutForm


def register_web(app: Flask) -> None:
    filters.init_app(app)
    for blueprint in (pages.bp, accounts.bp, checklist.bp, admin.bp, health.bp, dashboard.bp, site_files.bp,
                      comments.bp, votes.bp, reports.bp):
        app.register_blueprint(blueprint)
    search.init_app(app)  # /search and saved searches; Jinja globals for related specs and the account page
    alerts.init_app(app)  # subscriptions, follow buttons, one-click unsubscribe
    feeds.init_app(app)  # Atom feeds (per user, per project), webhook delivery log
    signup.init_app(app)  # self sign-up, email verification, password reset
    outside_links.init_app(app)  # links of IRC meetings and mail threads to specs, added or removed by hand

    @app.context_processor
    def _globals() -> dict[str, object]:
        return {
            "logout_form": LogoutForm() if current_user.is_authenticated else None,
            # The navbar's Admin link, for whoever the admin area lets in.
            "show_admin_link": current_user.is_authenticated and permissions.can_open_admin_area(actor()).allowed,
            "portal_version": __version__,
        }
