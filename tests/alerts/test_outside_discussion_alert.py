"""An imported IRC meeting that discusses a followed spec reaches its followers, saying where it was discussed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from portal.alerts import consumer, jobs
from portal.events import cursors
from portal.importers.outside.model import Discussion, Line, LineKind
from portal.importers.outside.store import import_discussions
from portal.models import Project, Spec, User
from portal.settings import Settings
from tests.alerts.conftest import SmtpServer


def test_a_meeting_topic_on_a_followed_spec_is_mailed_as_discussed_in_that_meeting(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, smtp: SmtpServer,
    make_user: Callable[..., User], make_project: Callable[..., Project], make_spec: Callable[..., Spec],
    follow: Callable[..., Any],
) -> None:
    nova = make_project("nova")
    spec = make_spec("vm-live-resize", project=nova)
    cursors.reset(db, consumer.CONSUMER)
    follow(make_user(), spec=spec)
    at = datetime(2026, 11, 19, 16, 5, tzinfo=UTC)
    topic = Discussion(
        source="irc", external_id="nova/2026/nova.2026-11-19-16.00.log.txt#1",
        title="nova meeting 2026-11-19: bp/vm-live-resize", url="https://meetings.example.org/nova.log.html",
        started_at=at, group="nova", tags=("nova",), participants=("bauzas", "sean-k-mooney"),
        lines=(
            Line(1, "bauzas", "bp/vm-live-resize", LineKind.TOPIC, at, "https://meetings.example.org/x#l-1"),
            Line(2, "bauzas", "downtime cap stays at 5 s", LineKind.AGREED, at, "https://meetings.example.org/x#l-2"),
        ),
        content_hash="h1",
    )
    report = import_discussions(db, [topic], source_label="test")
    assert report.links == 1
    db.commit()

    counts = jobs.send_pending(session_factory, settings)

    assert counts["sent"] == 1
    subject = smtp.received[0]["Subject"]
    assert subject.startswith("[BOB] Discussed on an IRC meeting: ")
    assert subject.endswith("Vm Live Resize (nova), in \"nova meeting 2026-11-19: bp/vm-live-resize\"")
