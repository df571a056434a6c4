"""Expected failures, in the domain's words.

Services raise these; ``portal.http.errors`` maps them to an HTML page or a
JSON error once, and the CLI prints them. Every message says what happened
and what to do next, because it is shown to the user as it is.
"""

from __future__ import annotations


class PortalError(Exception):
    """Base of every expected failure; ``code`` is stable for API clients."""

    code = "error"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SettingsError(PortalError):
    """A setting is missing or malformed; start-up stops."""

    code = "invalid_settings"
    status = 500


class NotFound(PortalError):
    code = "not_found"
    status = 404


class PermissionDenied(PortalError):
    code = "forbidden"
    status = 403


class AuthenticationRequired(PortalError):
    code = "unauthorized"
    status = 401


class InvalidInput(PortalError):
    """Bad input; ``fields`` maps a field name to what is wrong with it."""

    code = "invalid_input"
    status = 400

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


class Conflict(PortalError):
    code = "conflict"
    status = 409


class TooManyAttempts(PortalError):
    """Throttled; ``retry_after`` is in seconds."""

    code = "too_many_requests"
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UpstreamError(PortalError):
    """A remote source (Gerrit, Launchpad) failed; the run can be repeated."""

    code = "upstream_error"
    status = 502


class RemoteRequestFailed(UpstreamError):
    """An outbound HTTP request failed for good (``portal.net``): retries were spent or the answer was refused.

    ``reason`` is one of ``status``, ``timeout``, ``refused``, ``closed``,
    ``unresolved``, ``network``, ``redirect``, ``too_large``, ``url``;
    ``upstream_status`` is the remote server's last HTTP status, when there
    was one (``status`` stays the 502 BOB answers with).
    """

    def __init__(
        self, message: str, *, url: str, method: str, reason: str, attempts: int, upstream_status: int | None = None
    ) -> None:
        super().__init__(message)
        self.url = url
        self.method = method
        self.reason = reason
        self.attempts = attempts
        self.upstream_status = upstream_status


class AddressNotAllowed(InvalidInput):
    """A URL BOB will not call: not http(s), or it points at this host or a private network."""

    code = "address_not_allowed"
