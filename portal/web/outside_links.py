"""The spec page's "Outside discussions" card: the meeting topics and threads linked, and links by hand.

Reviewers and admins add a link (by the log's address or the discussion's id)
or remove one; a removed link stays removed when the logs are imported again.
The views are thin: :mod:`portal.importers.outside.store` decides and writes.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from portal import permissions
from portal.errors import InvalidInput, NotFound
from portal.http.auth import actor
from portal.http.session import get_db
from portal.importers.outside import store
from portal.models import Spec
from portal.specs import detail

bp = Blueprint("outside_links", __name__)
MAX_REF = 1000


def _spec_url(project_name: str, spec_name: str) -> str:
    return url_for("pages.spec", project_name=project_name, spec_name=spec_name, _anchor="outside-heading")


@bp.post("/projects/<project_name>/specs/<spec_name>/outside-links")
def add(project_name: str, spec_name: str) -> ResponseReturnValue:
    db = get_db()
    spec = detail.get_spec(db, project_name, spec_name)
    permissions.require(permissions.can_link_discussions(actor()))
    ref = (request.form.get("ref") or "").strip()[:MAX_REF]
    try:
        if not ref:
            raise InvalidInput("Paste the meeting log's address (…log.html#l-N) or the discussion's id to link it.")
        link = store.add_link(db, actor(), spec, ref)
    except InvalidInput as exc:
        db.rollback()
        flash(f"Not linked: {exc.message}", "danger")
        return redirect(_spec_url(project_name, spec_name))
    flash(f"Linked: {link.reason}. Its salient points are in the discussion below.", "success")
    return redirect(_spec_url(project_name, spec_name))


@bp.post("/projects/<project_name>/specs/<spec_name>/outside-links/<int:link_id>/remove")
def remove(project_name: str, spec_name: str, link_id: int) -> ResponseReturnValue:
    db = get_db()
    spec = detail.get_spec(db, project_name, spec_name)
    permissions.require(permissions.can_link_discussions(actor()))
    try:
        store.remove_link(db, actor(), spec, link_id)
    except NotFound as exc:
        flash(exc.message, "warning")
        return redirect(_spec_url(project_name, spec_name))
    flash("Link removed; its comment is deleted, and the next import will not link it again.", "success")
    return redirect(_spec_url(project_name, spec_name))


def outside_links(spec: Spec) -> dict[str, Any]:
    """What the card shows: the links (one query) and whether the reader may change them."""
    rows = store.spec_links(get_db(), spec)
    return {"links": rows, "can_edit": permissions.can_link_discussions(actor()).allowed}


def init_app(app: Flask) -> None:
    """Registers this module's blueprint and the card's template global."""
    app.register_blueprint(bp)
    app.add_template_global(outside_links, "outside_links")
