"""A real SMTP server (aiosmtpd) on 127.0.0.1, and the app configured to mail through it."""

from __future__ import annotations

import email
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from portal.settings import Settings

BASE_URL = "http://portal.example.org"


@dataclass
class Inbox:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def link(self, index: int = -1) -> str:
        """The portal path of the link in a mail (the test client needs no host)."""
        body = self.messages[index].get_payload(decode=True).decode()
        match = re.search(re.escape(BASE_URL) + r"(/\S+)", body)
        assert match, body
        return match.group(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def smtp_port(inbox: Inbox) -> int:
    return int(inbox.port)  # type: ignore[attr-defined]


@pytest.fixture
def settings(tmp_path: Path, database_url: str, smtp_port: int) -> Settings:
    return Settings.for_testing(tmp_path / "instance", database_url, self_signup=True, smtp_host="127.0.0.1",
                                smtp_port=smtp_port, mail_from="BOB <bob@example.org>", base_url=BASE_URL,
                                smtp_timeout=5)
