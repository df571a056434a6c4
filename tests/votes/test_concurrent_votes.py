"""One vote per user under concurrent requests: `portal serve` with two real gunicorn workers, 50 votes at once.

25 operators each send two different votes at the same instant (50 PUTs,
released together by a barrier) to a real gunicorn with two sync worker
processes on 127.0.0.1. Every request must succeed (no "database is
locked", no unique-constraint error), and the database must end with
exactly one vote per operator, one "cast" and one "changed" in each one's
history, and 50 events. On SQLite (the default) and on PostgreSQL when
PORTAL_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from portal.accounts import passwords
from portal.accounts import service as accounts
from portal.db.engine import make_engine, make_session_factory
from portal.models import Event, SpecState, Vote, VoteHistory
from portal.settings import Settings
from portal.specs.document import parse_spec
from portal.specs.service import SpecFile, add_project, upsert_spec_file
from tests.cli.test_serve_gunicorn import environment, free_port, portal_command, started
from tests.support.factories import spec_rst

pytestmark = pytest.mark.slow

OPERATORS = 25  # × 2 concurrent votes each = 50 requests


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    instance = tmp_path / "instance"
    base = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if not base:
        yield instance, Settings.for_testing(instance).database_url
        return
    from tests.support.pg import scratch_database

    with scratch_database(base, "votes") as url:
        yield instance, url


def seed(url: str) -> list[str]:
    """A project, a spec and the operators' API tokens, committed; returns the token secrets."""
    engine = make_engine(url)
    try:
        factory = make_session_factory(engine)
        with factory() as db:
            nova = add_project(db, None, "nova")
            text = spec_rst("Fast evacuate", "fast-evacuate")
            upsert_spec_file(db, None, nova, SpecFile(path="specs/2026.2/approved/fast-evacuate.rst",
                                                       release="2026.2", state=SpecState.APPROVED, text=text,
                                                       parsed=parse_spec(text), file_name="fast-evacuate"))
            secrets = []
            for i in range(OPERATORS):
                user = accounts.create_user(db, None, f"op{i}", email=f"op{i}@example.org", role="operator",
                                            password="correct horse battery", hasher=passwords.hasher(testing=True))
                db.flush()
                secrets.append(accounts.create_api_token(db, user, "votes")[1])  # first use: touched
            db.commit()
        return secrets
    finally:
        engine.dispose()


def test_fifty_concurrent_votes_on_two_workers_leave_one_vote_per_user(database) -> None:
    instance, url = database
    env = environment(instance) | {"PORTAL_DATABASE_URL": url}
    subprocess.run(portal_command("db", "upgrade"), env=env, check=True, capture_output=True)
    secrets = seed(url)
    port = free_port()
    server = started(portal_command("serve", "--port", str(port), "--workers", "2"), env, port)
    next(server)
    try:
        requests = [(secret, priority) for secret in secrets for priority in ("must", "nice")]
        barrier = threading.Barrier(len(requests))
        answers: list[tuple[int, str]] = []
        lock = threading.Lock()

        def vote(secret: str, priority: str) -> None:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                barrier.wait()
                response = client.put("/api/v1/projects/nova/specs/fast-evacuate/vote",
                                      json={"priority": priority, "affects_me": priority == "must"},
                                      headers={"Authorization": f"Bearer {secret}"})
                with lock:
                    answers.append((response.status_code, response.text))

        threads = [threading.Thread(target=vote, args=request) for request in requests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert len(answers) == 50
        failures = [text for status, text in answers if status != 200]
        assert not failures, failures[:3]
        tally = httpx.get(f"http://127.0.0.1:{port}/api/v1/projects/nova/specs/fast-evacuate").json()["votes"]
        assert tally["total"] == OPERATORS
        assert tally["by_priority"]["must"] + tally["by_priority"]["nice"] == OPERATORS
        assert tally["affects_me"] == tally["by_priority"]["must"]
    finally:
        try:
            next(server)
        except StopIteration:
            pass

    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as db:
            per_user = db.execute(select(Vote.user_id, func.count()).group_by(Vote.user_id)).all()
            assert len(per_user) == OPERATORS and all(count == 1 for _, count in per_user)
            actions = Counter(db.scalars(select(VoteHistory.action)))
            assert actions == {"cast": OPERATORS, "changed": OPERATORS}
            assert db.scalar(select(func.count()).where(Event.kind == "vote.cast")) == 2 * OPERATORS
    finally:
        engine.dispose()
