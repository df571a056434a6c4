"""Pages of alerts: /subscriptions, follow / unfollow forms, and the one-click unsubscribe link of alert mails.

Every form is a plain POST with CSRF, a redirect and a flash saying what
happened, except ``POST /unsubscribe/<token>``: a mail client sends it
without a session (RFC 8058), so its signed token is its protection and it
is the one view exempt from CSRF.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import func, select

from portal.alerts import subscriptions as service
from portal.alerts import tokens
from portal.errors import InvalidInput
from portal.http.auth import actor
from portal.http.session import get_db, settings
from portal.models import (
    AlertChannel,
    Notification,
    NotificationStatus,
    Project,
    SavedSearch,
    Spec,
    Subscription,
    TargetKind,
)

bp = Blueprint("alerts", __name__)

CHANNEL_LABELS = {
    AlertChannel.EMAIL.value: "Email, one per event",
    AlertChannel.DIGEST.value: "Daily digest",
    AlertChannel.ATOM.value: "My Atom feed",
    AlertChannel.WEBHOOK.value: "Webhook",
}


def _back(default: str) -> str:
    """Where a follow form came from (same site only)."""
    target = request.form.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


@bp.app_context_processor
def _follow_helpers() -> dict[str, Any]:
    def following(project: Project, spec: Spec | None = None) -> list[Subscription]:
        """The signed-in user's subscriptions on this project or spec (one query, only when asked)."""
        if not current_user.is_authenticated:
            return []
        kind = TargetKind.SPEC if spec is not None else TargetKind.PROJECT
        stmt = select(Subscription).where(Subscription.user_id == current_user.user.id, Subscription.kind == kind,
                                          Subscription.project_id == project.id)
        stmt = stmt.where(Subscription.spec_id == spec.id) if spec is not None else stmt
        return list(get_db().scalars(stmt.order_by(Subscription.id)))

    return {"alert_following": following, "alert_channel_labels": CHANNEL_LABELS}


@bp.get("/subscriptions")
@login_required
def index() -> ResponseReturnValue:
    db = get_db()
    user = actor()
    assert user is not None
    rows = service.list_for(db, user)
    failed = dict(db.execute(
        select(Notification.subscription_id, func.count())
        .where(Notification.user_id == user.id, Notification.status == NotificationStatus.FAILED)
        .group_by(Notification.subscription_id)).all())
    last_error = dict(db.execute(
        select(Notification.subscription_id, Notification.last_error)
        .where(Notification.id.in_(select(func.max(Notification.id)).where(
            Notification.user_id == user.id, Notification.status == NotificationStatus.FAILED)
            .group_by(Notification.subscription_id)))).all())
    items = [{"sub": s, "label": service.describe(s, p, sp, saved), "failed": failed.get(s.id, 0),
              "last_error": last_error.get(s.id)} for s, p, sp, saved in rows]
    projects = list(db.scalars(select(Project.name).order_by(Project.name)))
    saved = list(db.execute(select(SavedSearch.id, SavedSearch.name).where(SavedSearch.user_id == user.id)
                            .order_by(SavedSearch.name)))
    return render_template("alerts/subscriptions.html", items=items, prefs=service.preferences(db, user),
                           projects=projects, saved_searches=saved, channels=CHANNEL_LABELS)


@bp.post("/subscriptions")
@login_required
def create() -> ResponseReturnValue:
    db = get_db()
    form = request.form
    kind = form.get("kind", "project")
    target: dict[str, Any]
    if kind == "rule":
        target = {"rule": {
            "projects": [p for p in form.getlist("projects") if p],
            "release": form.get("release", "").strip() or None,
            "items": [i.strip() for i in form.get("items", "").split(",") if i.strip()],
            "when": form.get("when", "changed"),
        }}
    elif kind == "saved_search":
        raw = form.get("saved_search", "")
        target = {"saved_search": int(raw) if raw.isdigit() else -1}
    else:
        target = {"project": form.get("project", "")}
        if kind == "spec":
            target["spec"] = form.get("spec", "")
    back = _back(url_for("alerts.index"))
    try:
        sub, created = service.subscribe(db, actor(), settings(), target, form.get("channel") or "email",
                                         form.get("url") or None)
    except InvalidInput as exc:
        flash(f"Not followed: {exc.message}", "danger")
        return redirect(back)
    channel = CHANNEL_LABELS[str(sub.channel)].lower()
    saved_name = db.scalar(select(SavedSearch.name).where(SavedSearch.id == sub.saved_search_id)) \
        if sub.saved_search_id else None
    what = service.describe(sub, target.get("project"), target.get("spec"), saved_name)
    if created and sub.channel == AlertChannel.WEBHOOK:
        flash(f"Following {what} by webhook. Signing secret (shown once, keep it): {sub.webhook_secret}", "success")
    elif created:
        flash(f"Following {what} ({channel}). Manage it on your subscriptions page.", "success")
    else:
        flash(f"You already follow {what} ({channel}); nothing changed.", "info")
    return redirect(back)


@bp.post("/subscriptions/unfollow")
@login_required
def unfollow() -> ResponseReturnValue:
    """End every subscription of the user on one project or spec (the page's Unfollow button)."""
    db = get_db()
    user = actor()
    assert user is not None
    project = db.scalar(select(Project).where(Project.name == request.form.get("project", "")))
    back = _back(url_for("alerts.index"))
    if project is None:
        flash("Nothing unfollowed: no such project.", "danger")
        return redirect(back)
    spec_name = request.form.get("spec")
    stmt = select(Subscription).where(Subscription.user_id == user.id, Subscription.project_id == project.id)
    if spec_name:
        spec = db.scalar(select(Spec).where(Spec.project_id == project.id, Spec.name == spec_name))
        stmt = stmt.where(Subscription.kind == TargetKind.SPEC, Subscription.spec_id == (spec.id if spec else -1))
    else:
        stmt = stmt.where(Subscription.kind == TargetKind.PROJECT)
    subs = list(db.scalars(stmt))
    for sub in subs:
        service.unsubscribe(db, user, sub.id)
    what = f"{project.name}/{spec_name}" if spec_name else project.name
    flash(f"Unfollowed {what}." if subs else f"You did not follow {what}; nothing changed.",
          "success" if subs else "info")
    return redirect(back)


@bp.post("/subscriptions/<int:subscription_id>/channel")
@login_required
def change_channel(subscription_id: int) -> ResponseReturnValue:
    try:
        sub = service.set_channel(get_db(), actor(), subscription_id, request.form.get("channel"))
    except InvalidInput as exc:
        flash(f"Channel not changed: {exc.message}", "danger")
    else:
        flash(f"Channel changed to {CHANNEL_LABELS[str(sub.channel)].lower()}.", "success")
    return redirect(url_for("alerts.index"))


@bp.post("/subscriptions/<int:subscription_id>/delete")
@login_required
def delete(subscription_id: int) -> ResponseReturnValue:
    service.unsubscribe(get_db(), actor(), subscription_id)
    flash("Subscription removed; you will not hear about it any more.", "success")
    return redirect(url_for("alerts.index"))


@bp.post("/subscriptions/preferences")
@login_required
def save_preferences() -> ResponseReturnValue:
    try:
        prefs = service.save_preferences(get_db(), actor(), request.form.get("digest_hour"),
                                         bool(request.form.get("ptl_follow")))
    except InvalidInput as exc:
        flash(f"Preferences not saved: {exc.message}", "danger")
    else:
        follow = "on" if prefs.ptl_follow else "off"
        flash(f"Saved: your digest comes at {prefs.digest_hour:02d}:00 your time; PTL alerts are {follow}.",
              "success")
    return redirect(url_for("alerts.index"))


def _refused(exc: InvalidInput) -> ResponseReturnValue:
    return render_template("alerts/unsubscribe_invalid.html", message=exc.message), 400


@bp.get("/unsubscribe/<token>")
def unsubscribe_confirm(token: str) -> ResponseReturnValue:
    try:
        kind, number = tokens.read_any(settings().secret_key, token)
    except InvalidInput as exc:
        return _refused(exc)
    db = get_db()
    if kind == "d":
        count = len(service.digest_subscriptions(db, number))
        label = f"your daily digest ({count} subscription{'' if count == 1 else 's'})" if count else None
        return render_template("alerts/unsubscribe.html", token=token, label=label, done=False)
    sub = db.get(Subscription, number)
    label = None
    if sub is not None:
        project = db.get(Project, sub.project_id) if sub.project_id else None
        spec = db.get(Spec, sub.spec_id) if sub.spec_id else None
        label = service.describe(sub, project.name if project else None, spec.name if spec else None, "")
    return render_template("alerts/unsubscribe.html", token=token, label=label, done=False)


@bp.post("/unsubscribe/<token>")
def unsubscribe(token: str) -> ResponseReturnValue:
    """RFC 8058 one-click: no session, no CSRF token; the signed token is the proof."""
    try:
        kind, number = tokens.read_any(settings().secret_key, token)
    except InvalidInput as exc:
        return _refused(exc)
    if kind == "d":
        ended = service.stop_digests_by_token(get_db(), number)
        return render_template("alerts/unsubscribe.html", token=token, label=None, done=True, gone=ended == 0)
    sub = service.unsubscribe_by_token(get_db(), number)
    return render_template("alerts/unsubscribe.html", token=token, label=None, done=True, gone=sub is None)


def init_app(app: Flask) -> None:
    """Registers this module's blueprint; exempts exactly the one-click unsubscribe POST from CSRF."""
    app.extensions["csrf"].exempt(unsubscribe)
    app.register_blueprint(bp)
