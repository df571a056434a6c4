"""A real HTTP server on 127.0.0.1 that plays a script, for tests of outbound HTTP.

Each request takes the next step of the script: a :class:`Reply` (status,
headers, body), :class:`Close` (drop the connection without answering) or
:class:`Hang` (accept and never answer, until the test ends). When the script
runs out, the last step repeats. Every request is recorded (method, path,
headers, body), so a test asserts what the client really sent.

The Gerrit and Launchpad importers' tests can subclass :class:`ScriptedServer`
or pass a ``handler`` that answers from their fixtures.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Close:
    """Read the request, then close the connection without a byte of answer."""


@dataclass(frozen=True)
class Hang:
    """Read the request and never answer (the client's read timeout must fire)."""


Step = Reply | Close | Hang


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class ScriptedServer:
    def __init__(self, server: ThreadingHTTPServer, stop: threading.Event) -> None:
        self._server = server
        self._stop = stop
        self._lock = threading.Lock()
        self._steps: list[Step] = [Reply(200, b"ok")]
        self.requests: list[Seen] = []
        self.handler: Callable[[Seen], Step] | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *steps: Step) -> None:
        with self._lock:
            self._steps = list(steps)

    def _next(self, seen: Seen) -> Step:
        with self._lock:
            self.requests.append(seen)
            if self.handler is not None:
                return self.handler(seen)
            return self._steps.pop(0) if len(self._steps) > 1 else self._steps[0]


def _handler_class(owner: Callable[[], ScriptedServer], stop: threading.Event) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            step = owner()._next(seen)
            if isinstance(step, Close):
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if isinstance(step, Hang):
                stop.wait(10)
                self.close_connection = True
                return
            payload = step.body.encode() if isinstance(step.body, str) else step.body
            self.send_response(step.status)
            for name, value in step.headers.items():
                self.send_header(name, value)
            if "content-length" not in {k.lower() for k in step.headers}:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up (timeouts, Close steps) are the point of these tests, not errors."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def scripted_server() -> Iterator[ScriptedServer]:
    """Serve on a free port of 127.0.0.1 in a thread; stop (and release hung requests) on exit."""
    stop = threading.Event()
    holder: list[ScriptedServer] = []
    server = _QuietServer(("127.0.0.1", 0), _handler_class(lambda: holder[0], stop))
    scripted = ScriptedServer(server, stop)
    holder.append(scripted)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield scripted
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def free_port() -> int:
    """A port on 127.0.0.1 where nothing listens (for 'connection refused')."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
