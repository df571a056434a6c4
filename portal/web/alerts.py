"""Pages of alerts (in progress)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers this module's blueprint."""
