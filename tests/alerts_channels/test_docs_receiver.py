"""The ten-line receiver in docs/feeds-and-webhooks.md accepts BOB's signed POST and refuses a forged one."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from http.server import HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from portal.alerts import webhook
from portal.models import Notification, Subscription
from portal.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "feeds-and-webhooks.md"


def receiver_source() -> str:
    [code] = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    return code


def test_the_documented_receiver_is_ten_lines_and_verifies_bob(
    db: Session, local_settings: Settings, make_hook: Callable[..., tuple[Subscription, Notification]],
    capsys: pytest.CaptureFixture[str]
) -> None:
    code = receiver_source()
    assert len(code.strip().splitlines()) <= 11
    body, serve = code.rsplit("\n", 2)[0], code.strip().splitlines()[-1]
    assert serve.startswith("HTTPServer(")
    scope: dict[str, Any] = {}
    exec(body.replace('b"the secret BOB showed you"', 'b"doc-secret"'), scope)  # noqa: S102 (our own docs)
    server = HTTPServer(("127.0.0.1", 0), scope["Hook"])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        _, notification = make_hook(url, secret="doc-secret")
        webhook.post_notification(db, local_settings, notification)  # a 204, or this raises
        assert f"{notification.id} spec.state_changed" in capsys.readouterr().out

        forged = httpx.post(url, content=b'{"event": {"kind": "x"}}', headers={
            "X-BOB-Timestamp": "1", "X-BOB-Signature": "sha256=00"})
        assert forged.status_code == 401
    finally:
        server.shutdown()
        server.server_close()
