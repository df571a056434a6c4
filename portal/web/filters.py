"""Jinja filters: dates in the reader's time zone, compact relative times, safe link targets."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, g
from flask_login import current_user

from portal.clock import as_utc, now


def _zone() -> ZoneInfo:
    """The reader's time zone, looked up once per request (list pages format hundreds of dates)."""
    if "reader_zone" not in g:
        name = getattr(current_user, "timezone", None) or "UTC"
        try:
            g.reader_zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            g.reader_zone = ZoneInfo("UTC")
    return g.reader_zone


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


LINK_SCHEMES = ("http", "https", "mailto")


def safe_url(value: str | None) -> str | None:
    """The URL if it is an http(s) or mailto link, else ``None``.

    Autoescaping does not stop ``javascript:`` or ``data:`` URLs in ``href``;
    imported and user-given links (comment sources, Gerrit URLs) go through
    this before they become a link.
    """
    if not value:
        return None
    text = value.strip()
    if any(ord(ch) < 0x20 or ch.isspace() for ch in text):
        return None  # browsers drop tabs/newlines inside schemes ("java\tscript:")
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return None
    return text if scheme in LINK_SCHEMES else None


def init_app(app: Flask) -> None:
    app.add_template_filter(local_datetime, "datetime")
    app.add_template_filter(local_date, "date")
    app.add_template_filter(ago, "ago")
    app.add_template_filter(safe_url, "safe_url")
