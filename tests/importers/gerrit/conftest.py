"""Fixtures: a fake Gerrit on 127.0.0.1, a retry policy that never really sleeps, committing sessions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from portal.importers.gerrit import GerritClient
from portal.net import RetryPolicy, build_client
from tests.importers.gerrit.fake_gerrit import FakeGerrit
from tests.support.committing import committing_sessions
from tests.support.http_server import scripted_server
from tests.support.waits import FIXED_NOW, Waits


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
    with committing_sessions(engine, "gerrit-") as factory:
        yield factory
