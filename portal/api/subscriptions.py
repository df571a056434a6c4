"""``GET|POST /api/v1/subscriptions``, ``DELETE /api/v1/subscriptions/<id>``: one's own subscriptions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from portal import permissions
from portal.alerts import subscriptions as service
from portal.api.serialize import iso
from portal.errors import InvalidInput
from portal.http.auth import actor
from portal.http.session import get_db, settings
from portal.http.votes import start_write
from portal.models import Subscription

FIELDS = ("target", "channel", "url")


def subscription_json(sub: Subscription, project: str | None, spec: str | None,
                      secret: str | None = None) -> dict[str, Any]:
    target: dict[str, Any]
    if sub.rule is not None:
        target = {"rule": dict(sub.rule)}
    elif sub.saved_search_id is not None:
        target = {"saved_search": sub.saved_search_id}
    else:
        target = {"project": project} | ({"spec": spec} if sub.spec_id is not None else {})
    out: dict[str, Any] = {
        "id": sub.id, "kind": str(sub.kind), "target": target, "channel": str(sub.channel),
        "url": sub.webhook_url, "origin": str(sub.origin), "enabled": sub.enabled,
        "created_at": iso(sub.created_at),
    }
    if secret is not None:
        out["secret"] = secret  # shown once, when a webhook subscription is made
    return out


def list_subscriptions() -> Response:
    db = get_db()
    user = actor()
    permissions.require(permissions.signed_in(user))
    assert user is not None
    items = [subscription_json(s, p, sp) for s, p, sp, _saved in service.list_for(db, user)]
    return jsonify({"items": items})


def create_subscription() -> tuple[Response, int]:
    db = get_db()
    start_write(db)
    user = actor()
    permissions.require(permissions.signed_in(user))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput('Send JSON like {"target": {"project": "nova"}, "channel": "email"} '
                           "with Content-Type: application/json.")
    unknown = sorted(str(k)[:40] for k in body if k not in FIELDS)[:5]
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0]!r}; a subscription has only {', '.join(FIELDS)}.",
                           dict.fromkeys(unknown, "unknown"))
    sub, created = service.subscribe(db, user, settings(), body.get("target"), body.get("channel"), body.get("url"))
    names = {s.id: (p, sp) for s, p, sp, _ in service.list_for(db, user)} if user else {}
    project, spec = names.get(sub.id, (None, None))
    return jsonify(subscription_json(sub, project, spec, sub.webhook_secret if created else None)), (
        201 if created else 200)


def delete_subscription(subscription_id: int) -> Response:
    db = get_db()
    start_write(db)
    service.unsubscribe(db, actor(), subscription_id)
    return Response(status=204)


def register(bp: Blueprint) -> None:
    """Adds the subscription endpoints to the API blueprint."""
    bp.add_url_rule("/subscriptions", view_func=list_subscriptions, endpoint="list_subscriptions", methods=["GET"])
    bp.add_url_rule("/subscriptions", view_func=create_subscription, endpoint="create_subscription",
                    methods=["POST"])
    bp.add_url_rule("/subscriptions/<int:subscription_id>", view_func=delete_subscription,
                    endpoint="delete_subscription", methods=["DELETE"])
