"""Fixtures: a fake Gerrit on 127.0.0.1, a retry policy that never really sleeps, committing sessions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from portal.db.engine import make_session_factory
from portal.db.unit import unit_of_work
from portal.importers.gerrit import GerritClient
from portal.models import ChecklistTemplate, Event, Project
from portal.net import RetryPolicy, build_client
from tests.importers.gerrit.fake_gerrit import FakeGerrit
from tests.support.http_server import scripted_server

FIXED_NOW = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


class Waits(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def policy(waits: Waits) -> RetryPolicy:
    return RetryPolicy(retries=2, backoff_initial=0.5, backoff_max=10.0, jitter=0.0, retry_after_max=60.0,
                       sleep=waits, now=lambda: FIXED_NOW)


@pytest.fixture
def gerrit() -> Iterator[FakeGerrit]:
    with scripted_server() as server:
        yield FakeGerrit(server)


@pytest.fixture
def gerrit_client(gerrit: FakeGerrit, policy: RetryPolicy) -> Iterator[GerritClient]:
    with build_client(gerrit.url, timeout=5.0, user_agent="BOB-test") as http:
        yield GerritClient(http, policy)


@pytest.fixture
def real(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions that really commit (batches must outlive a failure); what they made is removed afterwards."""
    factory = make_session_factory(engine)
    with factory() as before:
        last_event = before.scalar(select(func.max(Event.id))) or 0
        last_template = before.scalar(select(func.max(ChecklistTemplate.id))) or 0
    yield factory
    with unit_of_work(factory) as session:
        session.execute(delete(Project).where(Project.name.like("gerrit-%")))  # cascades to specs, runs, states
        session.execute(delete(Event).where(Event.id > last_event))
        session.execute(delete(ChecklistTemplate).where(ChecklistTemplate.id > last_template))
