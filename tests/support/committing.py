"""Sessions that really commit, for tests of batches that must outlive a failure.

The usual ``db`` fixture rolls everything back; an importer's batches and
its run record commit for real, so these tests use their own sessions and
remove what they made afterwards: projects named with the test's prefix
(their specs, runs and sync states cascade), and the events and checklist
templates recorded since the start.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from portal.db.engine import make_session_factory
from portal.db.unit import unit_of_work
from portal.models import ChecklistTemplate, Event, Project


@contextmanager
def committing_sessions(engine: Engine, project_prefix: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on ``engine``; projects named ``<project_prefix>…`` are deleted at the end."""
    factory = make_session_factory(engine)
    with factory() as before:
        last_event = before.scalar(select(func.max(Event.id))) or 0
        last_template = before.scalar(select(func.max(ChecklistTemplate.id))) or 0
    try:
        yield factory
    finally:
        with unit_of_work(factory) as session:
            session.execute(delete(Project).where(Project.name.like(f"{project_prefix}%")))
            session.execute(delete(Event).where(Event.id > last_event))
            session.execute(delete(ChecklistTemplate).where(ChecklistTemplate.id > last_template))
