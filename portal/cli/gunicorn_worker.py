"""gunicorn's sync worker, answering its own errors under ``/api/`` in the API's JSON shape.

Some failures never reach the Flask app, so ``portal.http.errors`` cannot
map them: gunicorn refuses a request line over ``limit_request_line`` with
414, bad HTTP with 400, headers that are too large with 431, and when the
arbiter aborts a worker that ran past ``timeout`` the worker answers 500.
gunicorn writes those as small HTML pages, which an API client cannot read.

This worker keeps gunicorn's decisions (status, logging) and only changes
the body: for a request under ``/api/`` it writes
``{"error": {"code", "message"}}``. The path is known from the parsed
request when there is one; for a request line too long to parse, from the
first bytes of the connection, peeked (``MSG_PEEK``) before gunicorn reads
them, one cheap call per connection (the sync worker closes each connection
after one request).
"""

from __future__ import annotations

import json
import re
import socket
from typing import Any

from gunicorn import util
from gunicorn.workers.sync import SyncWorker

API_PREFIX = b"/api/"
PEEK_BYTES = 64
_STATUS_LINE = re.compile(rb"^HTTP/1\.[01] (\d{3}) ([^\r\n]*)")

MESSAGES = {
    400: "The request is not valid HTTP, so it was not read. Check the client that sent it.",
    403: "The request was refused before it reached the portal.",
    414: "The URL is too long: the request line may be at most {limit} bytes. "
    "Send fewer or shorter query arguments.",
    417: "The request asked for an Expect behaviour the server does not support; send it without Expect.",
    431: "The request headers are too large. Send fewer or smaller headers.",
    500: "Something went wrong on our side and the request was stopped before it finished; "
    "nothing was saved. Try again, and tell the portal admin if it keeps happening.",
    501: "The request uses a transfer coding the server does not support. Send it without one.",
}
TIMEOUT_MESSAGE = (
    "The request took longer than {timeout} s and was stopped before it finished; nothing was saved. "
    "Try again with a smaller request, and tell the portal admin if it keeps happening."
)


class _Capture:
    """Stands in for the client socket while gunicorn writes its HTML error, to learn the status it chose."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def setblocking(self, _flag: bool) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.data += data

    def __getattr__(self, name: str) -> Any:  # getsockname() and the like, for gunicorn's access log
        return getattr(self._client, name)


def is_api_request_start(head: bytes) -> bool:
    """Whether the first bytes of a connection are the request line of a request under /api/."""
    _method, _, rest = head.partition(b" ")
    return rest.startswith(API_PREFIX)


def json_error(status: int, reason: str, message: str) -> bytes:
    """A complete HTTP response carrying the API's error shape."""
    code = re.sub(r"[^a-z0-9]+", "_", reason.lower()).strip("_") or "error"
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Cache-Control: no-store\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class PortalSyncWorker(SyncWorker):
    """The sync worker with JSON error answers under /api/ (see the module docstring)."""

    _api_connection = False

    def handle(self, listener: Any, client: socket.socket, addr: Any) -> None:
        self._api_connection = self._peek_api(client)
        super().handle(listener, client, addr)

    def _peek_api(self, client: socket.socket) -> bool:
        if self.cfg.is_ssl:
            return False  # the first bytes are TLS, not the request line
        try:
            return is_api_request_start(client.recv(PEEK_BYTES, socket.MSG_PEEK))
        except OSError:
            return False

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        path = getattr(req, "path", None)
        under_api = path.startswith(API_PREFIX.decode()) if isinstance(path, str) else self._api_connection
        if not under_api:
            super().handle_error(req, client, addr, exc)
            return
        capture = _Capture(client)
        super().handle_error(req, capture, addr, exc)  # gunicorn picks the status and logs as usual
        found = _STATUS_LINE.match(capture.data)
        status, reason = (int(found.group(1)), found.group(2).decode("latin-1")) if found else (500, "Internal Error")
        if status == 500 and isinstance(exc, SystemExit):
            message = TIMEOUT_MESSAGE.format(timeout=self.cfg.timeout)
        else:
            message = MESSAGES.get(status, MESSAGES[400]).format(limit=self.cfg.limit_request_line)
        try:
            util.write_nonblock(client, json_error(status, reason, message))
        except Exception:  # the client may be gone; gunicorn ignores this too
            self.log.debug("Failed to send error message.")
