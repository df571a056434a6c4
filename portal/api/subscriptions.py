"""``GET|POST /api/v1/subscriptions``, ``DELETE /api/v1/subscriptions/<id>`` (in progress)."""

from __future__ import annotations

from flask import Blueprint


def register(bp: Blueprint) -> None:
    """Adds the subscription endpoints to the API blueprint."""
