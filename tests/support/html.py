"""Reading pages the way a user would: text, links, form tokens."""

from __future__ import annotations

import re
from html import unescape


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    if not match:
        raise AssertionError("no CSRF token in the page")
    return unescape(match.group(1))


def text_of(page: str) -> str:
    """Visible text, tags stripped and whitespace collapsed."""
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S | re.I)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page))).strip()
