"""Jinja filters: dates in the reader's time zone, compact relative times, safe link targets."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, g
from flask_login import current_user
from markupsafe import Markup, escape

from portal.checklist.views import Gap
from portal.clock import as_utc, now
from portal.events.labels import label_for
from portal.specs.releases import version_series


def _zone() -> ZoneInfo:
    """The reader's time zone, looked up once per request (list pages format hundreds of dates)."""
    zone: ZoneInfo | None = g.get("reader_zone")  # one lookup through the proxy: this runs per date shown
    if zone is None:
        name = getattr(current_user, "timezone", None) or "UTC"
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        g.reader_zone = zone
    return zone


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


def time_tag(value: datetime | None) -> Markup:
    """``<time>`` showing the reader's local date, the full local time as its title: one call per list row.

    Built from a datetime only: digits, dashes, colons, and the zone's name (escaped), so it is safe markup.
    """
    value = as_utc(value)
    if value is None:
        return Markup("")
    local = value.astimezone(_zone())
    return Markup(  # noqa: S704 -- only formatted dates and the escaped zone name go in
        f'<time datetime="{value.isoformat()}" title="{local:%Y-%m-%d %H:%M} {escape(local.tzname() or "")}">'
        f"{local:%Y-%m-%d}</time>"
    )


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


def gap_badges(gaps: Sequence[Gap], spec_url: str, shown: int = 6) -> Markup:
    """A list row's operability gaps as badges linking to the item on the spec page, then "+N more".

    Built here, not in the template: a project page shows a few hundred of
    these and the template spent more time escaping their five values each
    than on anything else. Every value is still escaped.
    """
    url = escape(spec_url)
    parts = [
        f'<a class="badge cl-{kind} text-decoration-none" href="{url}#item-{key}" title="{kind}: {key}">{key}</a>'
        for key, kind in ((escape(gap.key), escape(gap.kind)) for gap in gaps[:shown])
    ]
    if len(gaps) > shown:
        parts.append(f'<span class="text-body-secondary">+{len(gaps) - shown} more</span>')
    return Markup("".join(parts))  # noqa: S704 -- every interpolated value is escaped above


LINK_SCHEMES = ("http", "https", "mailto")
# C0 controls and any whitespace: one regular expression, not a Python loop per character (a spec
# page checks hundreds of links).
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x1f\s]")


def safe_url(value: str | None) -> str | None:
    """The URL if it is an http(s) or mailto link, else ``None``.

    Autoescaping does not stop ``javascript:`` or ``data:`` URLs in ``href``;
    imported and user-given links (comment sources, Gerrit URLs) go through
    this before they become a link.
    """
    if not value:
        return None
    text = value.strip()
    if _CONTROL_OR_SPACE.search(text):
        return None  # browsers drop tabs/newlines inside schemes ("java\tscript:")
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return None
    return text if scheme in LINK_SCHEMES else None


def release_label(release: str | None) -> str:
    """A release as shown: a deliverable's own version carries its OpenStack series (``15.1 (victoria)``)."""
    if not release:
        return ""
    series = version_series(release)
    return f"{release} ({series})" if series else release


def init_app(app: Flask) -> None:
    app.add_template_filter(release_label, "release_label")
    app.add_template_filter(local_datetime, "datetime")
    app.add_template_filter(local_date, "date")
    app.add_template_filter(time_tag, "time_tag")
    app.add_template_filter(gap_badges, "gap_badges")
    app.add_template_filter(ago, "ago")
    app.add_template_filter(safe_url, "safe_url")
    # The one table of event labels (portal/events/labels.py): event_label(kind).text(count).
    app.add_template_global(label_for, "event_label")
