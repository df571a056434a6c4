"""Two senders at once on PostgreSQL: FOR UPDATE SKIP LOCKED hands each row to one of them."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from portal import events
from portal.accounts import passwords
from portal.accounts import service as accounts
from portal.alerts import deliver
from portal.db.unit import unit_of_work
from portal.models import Notification, NotificationStatus, User
from portal.settings import Settings
from portal.specs.service import add_project
from tests.alerts.conftest import SmtpServer
from tests.support.committing import committing_sessions


def test_two_senders_send_each_row_once(engine: Engine, settings: Settings, smtp: SmtpServer) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED claims are PostgreSQL's; SQLite has one writer (run with PORTAL_TEST_DATABASE_URL)")
    prefix = f"twosend{uuid.uuid4().hex[:6]}"
    with committing_sessions(engine, prefix) as factory:
        try:
            with unit_of_work(factory) as session:
                project = add_project(session, None, f"{prefix}-p")
                users = [accounts.create_user(session, None, f"{prefix}u{i}", email=f"{prefix}u{i}@example.org",
                                              role="operator", password="pw-Secret-123456",
                                              hasher=passwords.hasher(testing=True)) for i in range(4)]
                session.flush()
                for _n in range(30):
                    event = events.record(session, "vote.cast", project_id=project.id, affects_me=True)
                    session.flush()
                    for user in users:
                        session.add(Notification(user_id=user.id, event_id=event.id, channel="email",
                                                 reason="test", message_id=f"<{prefix}.{event.id}.{user.id}@t>"))
            tallies: list[deliver.Tally] = []
            start = threading.Barrier(2)

            def run() -> None:
                start.wait()
                tallies.append(deliver.deliver_pending(factory, settings))

            threads = [threading.Thread(target=run) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            ids = [m["Message-ID"] for m in smtp.received]
            assert len(ids) == 120 and len(set(ids)) == 120
            assert sum(t.sent for t in tallies) == 120
            with factory() as session:
                statuses = set(session.scalars(select(Notification.status).join(User, User.id == Notification.user_id)
                                               .where(User.username.like(f"{prefix}%"))))
                assert statuses == {NotificationStatus.SENT}
        finally:
            with unit_of_work(factory) as session:
                session.execute(delete(User).where(User.username.like(f"{prefix}%")))
