"""JSON API v1 at ``/api/v1``: the same services as the pages, one envelope, JSON errors.

Reads are public where the page is public; writes need a personal API token
(``Authorization: Bearer …``). CSRF does not apply: browsers never send
bearer tokens on their own.
"""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_wtf import CSRFProtect

from portal.api import guide, subscriptions, views, votes
from portal.http.auth import load_api_token


def register_api(app: Flask, csrf: CSRFProtect) -> None:
    bp = Blueprint("api", __name__, url_prefix="/api/v1")
    bp.before_request(load_api_token)
    views.register(bp)
    votes.register(bp)
    subscriptions.register(bp)
    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.register_blueprint(guide.bp)  # /api: the endpoints for people, an HTML page
