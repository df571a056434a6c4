"""gunicorn's own errors come back as JSON under /api/: tried against a real gunicorn on 127.0.0.1.

A request line over gunicorn's limit is refused by gunicorn before Flask
sees it (414), and a worker that runs past its timeout is aborted by the
arbiter (500); both used to answer an HTML page even to API clients.
``portal.cli.gunicorn_worker`` writes the API's error shape there instead.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from portal.settings import SPECS

pytestmark = pytest.mark.slow

SLOW_SERVER = """
import sys, time
from portal.app import create_app
from portal.cli.serve import _run_gunicorn
from portal.settings import load_settings

app = create_app(load_settings())
# Test-only routes that run past the worker timeout, one under /api/ and one page.
app.add_url_rule("/api/v1/test-slow", "test_slow_api", lambda: time.sleep(60) or "")
app.add_url_rule("/test-slow", "test_slow_page", lambda: time.sleep(60) or "")
_run_gunicorn(app, {"bind": f"127.0.0.1:{sys.argv[1]}", "workers": 1, "timeout": 1, "graceful_timeout": 1})
"""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        return json.loads(self.body)  # type: ignore[no-any-return]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def raw_get(port: int, target: str, timeout: float = 15) -> Answer:
    """Send one GET as raw bytes (http.client refuses some of what an attacker sends) and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    return Answer(status=int(lines[0].split()[1]), headers=headers, body=body)


def environment(instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not any(k == f"PORTAL_{s.name.upper()}" for s in SPECS)}
    return env | {"PORTAL_INSTANCE_PATH": str(instance), "PORTAL_LOG_LEVEL": "WARNING"}


def portal_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from portal.cli import main; main()", *args]


def wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the server exited with {process.returncode}: {err.decode(errors='replace')[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("the server did not start listening within 30 s")


def started(command: list[str], env: dict[str, str], port: int) -> Iterator[int]:
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(port, process)
        yield port
    finally:
        process.terminate()  # gunicorn's master stops its workers on SIGTERM
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    instance = tmp_path / "instance"
    subprocess.run(portal_command("db", "upgrade"), env=environment(instance), check=True, capture_output=True)
    return instance


@pytest.fixture
def portal_serve(instance: Path) -> Iterator[int]:
    """``portal serve`` itself, one worker."""
    port = free_port()
    yield from started(portal_command("serve", "--port", str(port), "--workers", "1"), environment(instance), port)


@pytest.fixture
def slow_server(instance: Path) -> Iterator[int]:
    """The portal under gunicorn with a 1 s worker timeout and two routes that take longer."""
    port = free_port()
    yield from started([sys.executable, "-c", SLOW_SERVER, str(port)], environment(instance), port)


def test_an_over_long_url_under_api_gets_a_json_414(portal_serve: int) -> None:
    answer = raw_get(portal_serve, "/api/v1/projects?q=" + "x" * 5000)

    assert answer.status == 414
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {
        "error": {
            "code": "uri_too_long",
            "message": "The URL is too long: the request line may be at most 4094 bytes. "
            "Send fewer or shorter query arguments.",
        }
    }


def test_pages_keep_gunicorns_own_answer_and_normal_requests_still_work(portal_serve: int) -> None:
    page = raw_get(portal_serve, "/projects/nova?q=" + "x" * 5000)
    assert page.status == 414 and page.headers["content-type"] == "text/html"

    api = raw_get(portal_serve, "/api/v1/projects")
    assert api.status == 200 and api.json()["items"] == []
    assert raw_get(portal_serve, "/healthz").status == 200


def test_a_worker_timeout_under_api_gets_a_json_500(slow_server: int) -> None:
    answer = raw_get(slow_server, "/api/v1/test-slow")

    assert answer.status == 500
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {
        "error": {
            "code": "internal_server_error",
            "message": "The request took longer than 1 s and was stopped before it finished; nothing was saved. "
            "Try again with a smaller request, and tell the portal admin if it keeps happening.",
        }
    }
    page = raw_get(slow_server, "/test-slow")
    assert page.status == 500 and page.headers["content-type"] == "text/html"
