"""Who is asking: a login session (cookie) for pages, a personal token for the API.

The signed Flask cookie holds only a random session secret; the
``user_sessions`` row it names must still be live, so logout and password
changes take effect everywhere at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, g, request
from flask_login import AnonymousUserMixin, LoginManager, current_user

from portal import permissions
from portal.accounts import passwords
from portal.accounts import service as accounts
from portal.clock import now
from portal.errors import AuthenticationRequired
from portal.http.session import get_db, settings
from portal.models import Role, User

F = TypeVar("F", bound=Callable[..., Any])

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please log in to see that page."
login_manager.login_message_category = "info"
TOKEN_TOUCH_INTERVAL = timedelta(minutes=10)
API_PATH_PREFIX = "/api/"


class LoginUser:
    """A logged-in user as flask-login sees it: the user row plus its session secret."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user: User, session_token: str) -> None:
        self.user = user
        self.session_token = session_token

    def get_id(self) -> str:
        return self.session_token

    def __getattr__(self, name: str) -> Any:
        return getattr(self.user, name)


class Anonymous(AnonymousUserMixin):
    user = None
    username = ""

    def has_role(self, *roles: Role) -> bool:
        return False


login_manager.anonymous_user = Anonymous


@login_manager.user_loader
def _load_user(session_token: str) -> LoginUser | None:
    user = accounts.user_for_session(get_db(), session_token)
    return LoginUser(user, session_token) if user is not None else None


def init_app(app: Flask) -> None:
    login_manager.init_app(app)


def actor() -> User | None:
    """The acting user for services: the API token's owner under /api/, else the logged-in user.

    The API never acts on a login cookie: it is exempt from CSRF checks, so a
    page on another site must not be able to borrow a visitor's cookie there.
    """
    if "api_user" in g:
        return g.api_user
    if request.path.startswith(API_PATH_PREFIX):
        return None
    return current_user.user if current_user.is_authenticated else None


def client_address() -> str:
    return request.remote_addr or "unknown"


def password_hasher():
    return passwords.hasher(settings().testing)


def login_limits() -> accounts.LoginLimits:
    s = settings()
    return accounts.LoginLimits(
        max_failures_per_account_and_address=s.login_max_failures_per_account_and_address,
        max_failures_per_account=s.login_max_failures_per_account,
        max_failures_per_address=s.login_max_failures_per_address,
        window_minutes=s.login_window_minutes,
    )


def permission_required(rule: Callable[[User | None], permissions.Decision]) -> Callable[[F], F]:
    """View decorator for an action whose rule needs no object, e.g. ``permissions.can_manage_users``.

    Views whose rule needs the object (a spec, a project) load it and call
    ``permissions.require(rule(actor(), obj))`` themselves.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            permissions.require(rule(actor()))
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def load_api_token() -> None:
    """Authenticate an API request from ``Authorization: Bearer <token>``; raise if malformed or unknown.

    Runs before every API view. It must return ``None``: Flask would send
    anything else as the response instead of calling the view.
    """
    header = request.headers.get("Authorization", "")
    if not header:
        return
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise AuthenticationRequired("Send the token as 'Authorization: Bearer <token>'.")
    found = accounts.user_for_api_token(get_db(), secret.strip())
    if found is None:
        raise AuthenticationRequired("Unknown or revoked API token. Create a new one on your account page.")
    user, token = found
    if token.last_used_at is None or now() - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        token.last_used_at = now()  # committed with the request's own unit of work
    g.api_user = user


_CONTROL = {chr(c) for c in range(32)} | {"\x7f"}


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else ``None`` (open-redirect guard).

    Refuses schemes, hosts, protocol-relative ``//x``, backslashes (browsers
    read ``/\\evil`` as ``//evil``) and control characters.
    """
    if not target or len(target) > 2000:
        return None
    if any(ch in _CONTROL for ch in target) or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    lowered = target.lower()
    if "%2f%2f" in lowered[:8] or lowered.startswith("/%5c"):
        return None
    return target
