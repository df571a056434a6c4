"""Atom feeds (a project's, public; a user's, by secret token), the feed token page and webhook delivery logs.

Thin views: the feeds and tokens live in ``portal.alerts.feeds``, the log
in ``portal.alerts.delivery_log``. A feed answers conditional requests
(ETag, Last-Modified, 304) so feed readers polling every few minutes cost
one query and no body.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WerkzeugResponse

from portal.alerts import delivery_log, feeds
from portal.http.session import get_db
from portal.http.urls import external_base
from portal.specs.service import get_project
from portal.web.forms import AdminActionForm

ATOM = "application/atom+xml"

bp = Blueprint("feeds", __name__)


def init_app(app: Flask) -> None:
    """Registers this module's blueprint."""
    app.register_blueprint(bp)


def _atom(feed: feeds.Feed, cache_control: str) -> WerkzeugResponse:
    response = Response(feed.xml, mimetype=ATOM)
    response.set_etag(feed.etag)
    response.last_modified = feed.updated
    response.headers["Cache-Control"] = cache_control
    return response.make_conditional(request)


@bp.get("/projects/<project_name>/feed.atom")
def project_feed(project_name: str) -> WerkzeugResponse:
    db = get_db()
    project = get_project(db, project_name)
    return _atom(feeds.project_feed(db, external_base(), project), "public, max-age=300")


@bp.get("/feeds/<token>.atom")
def user_feed(token: str) -> WerkzeugResponse:
    db = get_db()
    user = feeds.user_for_token(db, token)
    if user is None:
        abort(404)
    response = _atom(feeds.user_feed(db, external_base(), user, token), "private, max-age=60")
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/account/feed")
@login_required
def account_feed() -> str:
    created = feeds.feed_token_created_at(get_db(), current_user.user)
    return render_template("feeds/account_feed.html", created_at=created, form=AdminActionForm())


@bp.post("/account/feed/token")
@login_required
def create_feed_token() -> ResponseReturnValue:
    if not AdminActionForm().validate_on_submit():
        flash("No feed address was made: the form expired. Try again.", "danger")
        return redirect(url_for("feeds.account_feed"))
    token = feeds.create_feed_token(get_db(), current_user.user)
    url = external_base() + url_for("feeds.user_feed", token=token)
    # Shown once, in this response only: never in a redirect, a flash or a log.
    response = Response(render_template("feeds/feed_created.html", feed_url=url), status=201)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/feed/revoke")
@login_required
def revoke_feed_token() -> ResponseReturnValue:
    if not AdminActionForm().validate_on_submit():
        flash("The feed address was not revoked: the form expired. Try again.", "danger")
    elif feeds.revoke_feed_token(get_db(), current_user.user):
        flash("Feed address revoked: feed readers using it now get 404.", "success")
    else:
        flash("You had no feed address; nothing to revoke.", "info")
    return redirect(url_for("feeds.account_feed"))


@bp.get("/subscriptions/<int:subscription_id>/deliveries")
@login_required
def deliveries(subscription_id: int) -> str:
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() else 1
    log = delivery_log.deliveries(get_db(), current_user.user, subscription_id, page=number)
    return render_template("feeds/deliveries.html", log=log)
