"""A real SMTP server on 127.0.0.1 (aiosmtpd), settings that send to it, and rows to deliver."""

from __future__ import annotations

import email
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from portal import events
from portal.clock import set_clock
from portal.models import Project, Spec, Subscription, TargetKind, User
from portal.settings import Settings

BASE_URL = "https://bob.example.org"
START = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Handler:
    """Records accepted mail; ``replies`` scripts the next DATA answers ("451 …", "550 …")."""

    received: list[Message] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        if self.replies:
            return self.replies.pop(0)
        self.received.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


@dataclass
class SmtpServer:
    port: int
    handler: Handler
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Message]:
        return self.handler.received


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port(), Handler())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, smtp: SmtpServer) -> Settings:
    return Settings.for_testing(tmp_path / "instance", database_url, base_url=BASE_URL, smtp_host="127.0.0.1",
                                smtp_port=smtp.port, mail_from="BOB <bob@example.org>", smtp_timeout=5.0)


class Clock:
    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock() -> Iterator[Clock]:
    c = Clock()
    set_clock(c)
    yield c
    set_clock(None)


@pytest.fixture
def follow(db: Session) -> Callable[..., Subscription]:
    def make(user: User, *, project: Project | None = None, spec: Spec | None = None, channel: str = "email",
             **kw: Any) -> Subscription:
        if spec is not None:
            sub = Subscription(user_id=user.id, kind=TargetKind.SPEC, project_id=spec.project_id, spec_id=spec.id,
                               channel=channel, **kw)
        elif project is not None:
            sub = Subscription(user_id=user.id, kind=TargetKind.PROJECT, project_id=project.id, channel=channel,
                               **kw)
        else:
            sub = Subscription(user_id=user.id, channel=channel, **kw)
        db.add(sub)
        db.flush()
        return sub

    return make


@pytest.fixture
def record(db: Session) -> Callable[..., int]:
    """Record an event of kind on ``spec`` (flushed) and return its id."""

    def make(kind: str, spec: Spec, *, actor: User | None = None, backfill: bool | None = None, **fields: Any) -> int:
        event = events.record(db, kind, project_id=spec.project_id, spec_id=spec.id,
                              actor_id=actor.id if actor else None, backfill=backfill, **fields)
        db.flush()
        return event.id

    return make
