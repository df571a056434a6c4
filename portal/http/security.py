"""Security headers on every response, cookie flags, and trusted proxies."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.settings import Settings

# No inline script or style anywhere: every script is a file under /static.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def configure(app: Flask, settings: Settings) -> None:
    """Cookie flags from the settings, headers on every response, ProxyFix when asked."""
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https,
        # __Host- cookies need Secure, so only over HTTPS.
        SESSION_COOKIE_NAME="__Host-portal_session" if settings.https else "portal_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.https,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PREFERRED_URL_SCHEME="https" if settings.https else "http",
    )
    if settings.proxy_hops:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if settings.https:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if response.mimetype == "text/html" or response.is_json:
            headers.setdefault("Cache-Control", "no-store" if _has_private_content(response) else "no-cache")
        return response


def _has_private_content(response: Response) -> bool:
    from flask_login import current_user

    return bool(getattr(current_user, "is_authenticated", False))
