"""Jinja filters: dates in the reader's time zone, compact relative times."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from flask_login import current_user

from portal.clock import as_utc, now


def _zone() -> ZoneInfo:
    name = getattr(current_user, "timezone", None) or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC datetime shown in the reader's zone, with the zone's name."""
    value = as_utc(value)
    if value is None:
        return ""
    local = value.astimezone(_zone())
    return f"{local.strftime(fmt)} {local.tzname()}"


def local_date(value: datetime | None) -> str:
    value = as_utc(value)
    return value.astimezone(_zone()).strftime("%Y-%m-%d") if value else ""


def ago(value: datetime | None) -> str:
    value = as_utc(value)
    if value is None:
        return ""
    seconds = int((now() - value).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("year", 31536000), ("month", 2592000), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def init_app(app: Flask) -> None:
    app.add_template_filter(local_datetime, "datetime")
    app.add_template_filter(local_date, "date")
    app.add_template_filter(ago, "ago")
