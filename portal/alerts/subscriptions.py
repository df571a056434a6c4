"""Following things: create, list, change and end subscriptions, and the per-user alert preferences.

Services take ``(session, actor, …)``, flush and never commit. Input is
checked field by field; an :class:`InvalidInput` names the field and what
to send instead. Following the same thing twice on the same channel returns
the existing subscription (idempotent).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal import permissions
from portal.alerts import matching, webhook
from portal.errors import InvalidInput, NotFound
from portal.models import (
    AlertChannel,
    AlertPreferences,
    Notification,
    NotificationStatus,
    Project,
    SavedSearch,
    Spec,
    Subscription,
    TargetKind,
    User,
)
from portal.settings import Settings

CHANNELS = tuple(c.value for c in AlertChannel)
MAX_PER_USER = 500


def parse_channel(value: Any) -> AlertChannel:
    if value in (None, ""):
        return AlertChannel.EMAIL
    if value not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}", {"channel": "unknown channel"})
    return AlertChannel(value)


def list_for(session: Session, user: User) -> list[tuple[Subscription, str | None, str | None, str | None]]:
    """A user's subscriptions with the project, spec and saved-search names (one query)."""
    rows = session.execute(
        select(Subscription, Project.name, Spec.name, SavedSearch.name)
        .outerjoin(Spec, Spec.id == Subscription.spec_id)
        .outerjoin(Project, Project.id == Subscription.project_id)
        .outerjoin(SavedSearch, SavedSearch.id == Subscription.saved_search_id)
        .where(Subscription.user_id == user.id)
        .order_by(Subscription.id)
    )
    return list(rows)


def get_own(session: Session, actor: User | None, subscription_id: int) -> Subscription:
    """The actor's subscription, or NotFound (someone else's looks the same as none)."""
    permissions.require(permissions.signed_in(actor))
    assert actor is not None
    sub = session.get(Subscription, subscription_id)
    if sub is None or sub.user_id != actor.id:
        raise NotFound("No such subscription of yours; see your subscriptions page for the ones you have.")
    return sub


def find(session: Session, user: User, kind: TargetKind, *, project_id: int | None = None,
         spec_id: int | None = None, channel: AlertChannel | None = None) -> Subscription | None:
    stmt = select(Subscription).where(Subscription.user_id == user.id, Subscription.kind == kind,
                                      Subscription.project_id == project_id)
    stmt = stmt.where(Subscription.spec_id == spec_id) if spec_id is not None else stmt.where(
        Subscription.spec_id.is_(None))
    if channel is not None:
        stmt = stmt.where(Subscription.channel == channel)
    return session.scalars(stmt.order_by(Subscription.id).limit(1)).first()


def parse_target(session: Session, actor: User, target: Any) -> dict[str, Any]:
    """The subscription columns for an API/form target, or InvalidInput saying what a target looks like."""
    example = ('send "target" as {"project": "nova"}, {"project": "nova", "spec": "<name>"}, '
               '{"saved_search": <id>} or {"rule": {"projects": [...], "release": "...", "items": [...], '
               '"when": "gap"}}')
    if not isinstance(target, Mapping) or not target:
        raise InvalidInput(f"A subscription needs a target: {example}.", {"target": "missing or not an object"})
    if "rule" in target:
        try:
            rule = matching.validate_rule(target["rule"])
        except ValueError as exc:
            raise InvalidInput(f"The rule is not valid: {exc}.", {"target.rule": str(exc)}) from exc
        known = set(session.scalars(select(Project.name).where(Project.name.in_(rule["projects"]))))
        missing = [p for p in rule["projects"] if p not in known]
        if missing:
            raise InvalidInput(f"No project named {missing[0]!r}; use the names shown on the projects page.",
                               {"target.rule.projects": f"unknown project {missing[0]!r}"})
        return {"kind": TargetKind.RULE, "rule": rule}
    if "saved_search" in target:
        saved_id = target["saved_search"]
        saved = session.get(SavedSearch, saved_id) if isinstance(saved_id, int) else None
        if saved is None or saved.user_id != actor.id:
            raise InvalidInput("No saved search of yours has that id; see your saved searches on the search page.",
                               {"target.saved_search": "unknown saved search"})
        return {"kind": TargetKind.SAVED_SEARCH, "saved_search_id": saved.id}
    name = target.get("project")
    if not isinstance(name, str) or not name:
        raise InvalidInput(f"Name the project: {example}.", {"target.project": "missing"})
    project = session.scalar(select(Project).where(Project.name == name))
    if project is None:
        raise InvalidInput(f"No project named {name[:80]!r}; use the names shown on the projects page.",
                           {"target.project": "unknown project"})
    spec_name = target.get("spec")
    if spec_name is None:
        return {"kind": TargetKind.PROJECT, "project_id": project.id}
    spec = session.scalar(select(Spec).where(Spec.project_id == project.id, Spec.name == spec_name)) \
        if isinstance(spec_name, str) else None
    if spec is None:
        raise InvalidInput(f"{project.name} has no spec named {str(spec_name)[:80]!r}; use the name in the "
                           "spec page's address.", {"target.spec": "unknown spec"})
    return {"kind": TargetKind.SPEC, "project_id": project.id, "spec_id": spec.id}


def subscribe(session: Session, actor: User | None, settings: Settings, target: Any,
              channel: Any = None, url: Any = None) -> tuple[Subscription, bool]:
    """Follow ``target`` on ``channel``; (subscription, created). Webhooks need an allowed https ``url``."""
    permissions.require(permissions.signed_in(actor))
    assert actor is not None
    columns = parse_target(session, actor, target)
    chosen = parse_channel(channel)
    webhook_url = webhook_secret = None
    if chosen == AlertChannel.WEBHOOK:
        if not isinstance(url, str) or not url:
            raise InvalidInput("A webhook subscription needs \"url\": the https address to POST to.",
                               {"url": "missing"})
        webhook_url = webhook.validate_webhook_url(url, settings)
        webhook_secret = webhook.new_secret()
    elif url not in (None, ""):
        raise InvalidInput("\"url\" is only for the webhook channel; leave it out or set channel to webhook.",
                           {"url": "only for webhooks"})
    if columns["kind"] in (TargetKind.PROJECT, TargetKind.SPEC) and chosen != AlertChannel.WEBHOOK:
        existing = find(session, actor, columns["kind"], project_id=columns.get("project_id"),
                        spec_id=columns.get("spec_id"), channel=chosen)
        if existing is not None:
            existing.enabled = True
            return existing, False
    count = len(list(session.scalars(select(Subscription.id).where(Subscription.user_id == actor.id))))
    if count >= MAX_PER_USER:
        raise InvalidInput(f"You have {count} subscriptions, the most one account may have; remove some first.")
    sub = Subscription(user_id=actor.id, channel=chosen, webhook_url=webhook_url, webhook_secret=webhook_secret,
                       **columns)
    session.add(sub)
    session.flush()
    return sub, True


def set_channel(session: Session, actor: User | None, subscription_id: int, channel: Any) -> Subscription:
    sub = get_own(session, actor, subscription_id)
    chosen = parse_channel(channel)
    if chosen == AlertChannel.WEBHOOK and not sub.webhook_url:
        raise InvalidInput("To use a webhook, add a new webhook subscription with its URL.", {"channel": "webhook"})
    sub.channel = chosen
    session.flush()
    return sub


def _end(session: Session, sub: Subscription) -> None:
    """Delete ``sub``; what it queued and was not sent yet is skipped (you asked not to hear more)."""
    session.execute(
        update(Notification)
        .where(Notification.subscription_id == sub.id, Notification.status == NotificationStatus.PENDING)
        .values(status=NotificationStatus.SKIPPED, last_error="unsubscribed")
    )
    session.delete(sub)


def unsubscribe(session: Session, actor: User | None, subscription_id: int) -> Subscription:
    sub = get_own(session, actor, subscription_id)
    _end(session, sub)
    session.flush()
    return sub


def unsubscribe_by_token(session: Session, subscription_id: int) -> Subscription | None:
    """The one-click unsubscribe (the token was checked by the caller): None if it is already gone."""
    sub = session.get(Subscription, subscription_id)
    if sub is not None:
        _end(session, sub)
        session.flush()
    return sub


def digest_subscriptions(session: Session, user_id: int) -> list[Subscription]:
    """The user's subscriptions on the digest channel: what a digest's one-click link stops."""
    return list(session.scalars(
        select(Subscription).where(Subscription.user_id == user_id, Subscription.channel == AlertChannel.DIGEST)
        .order_by(Subscription.id)
    ))


def stop_digests_by_token(session: Session, user_id: int) -> int:
    """A digest's one-click unsubscribe (the token was checked by the caller): how many subscriptions ended."""
    subs = digest_subscriptions(session, user_id)
    for sub in subs:
        _end(session, sub)
    session.flush()
    return len(subs)


def preferences(session: Session, user: User) -> AlertPreferences:
    """The user's preferences row (the defaults, unsaved, when there is none)."""
    row = session.get(AlertPreferences, user.id)
    return row if row is not None else AlertPreferences(user_id=user.id, digest_hour=8, ptl_follow=True)


def save_preferences(session: Session, actor: User | None, digest_hour: Any, ptl_follow: bool) -> AlertPreferences:
    permissions.require(permissions.signed_in(actor))
    assert actor is not None
    try:
        hour = int(digest_hour)
    except (TypeError, ValueError):
        hour = -1
    if not 0 <= hour <= 23:
        raise InvalidInput("The digest hour is a whole hour from 0 to 23, in your time zone.",
                           {"digest_hour": "0 to 23"})
    row = session.get(AlertPreferences, actor.id)
    if row is None:
        row = AlertPreferences(user_id=actor.id)
        session.add(row)
    row.digest_hour = hour
    row.ptl_follow = bool(ptl_follow)
    session.flush()
    return row


def describe(sub: Subscription, project: str | None, spec: str | None, saved: str | None) -> str:
    """One line naming what a subscription follows."""
    if sub.kind == TargetKind.PROJECT:
        return f"Project {project}"
    if sub.kind == TargetKind.SPEC:
        return f"Spec {project}/{spec}"
    if sub.kind == TargetKind.SAVED_SEARCH:
        return f"Saved search “{saved}”"
    rule = sub.rule or {}
    parts = [", ".join(rule.get("projects") or []) or "any project"]
    if rule.get("release"):
        parts.append(f"targeting {rule['release']}")
    items = ", ".join(rule.get("items") or []) or "any checklist item"
    when = {"gap": "has a gap", "concern": "gains a concern", "changed": "changes"}.get(rule.get("when", ""), "")
    return f"Rule: {' '.join(parts)} — when {items} {when}"
