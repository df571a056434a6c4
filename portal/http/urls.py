"""Absolute links to the portal: from ``PORTAL_BASE_URL`` when it is set, never from a spoofable Host.

Flask's ``url_for(..., _external=True)`` takes the host from the request's
``Host`` header, which the client chooses: a request sent with
``Host: evil.example`` would get API answers whose links point there (and a
cache in front could keep them for everybody). With ``base_url`` set every
absolute link starts with it; without it the request's own host is used,
which is right for the zero-configuration demo on 127.0.0.1.
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for

from portal.http.session import settings


def external_base() -> str:
    """The URL the portal's root is reached at, without a trailing slash."""
    configured = settings().base_url
    if configured:
        return configured
    return request.url_root.rstrip("/")


def external_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint, **values)`` as an absolute URL under :func:`external_base`."""
    path = url_for(endpoint, **values)
    root = request.script_root
    if root and path.startswith(root):
        path = path[len(root):]  # the base already ends where the portal is mounted
    return external_base() + path
