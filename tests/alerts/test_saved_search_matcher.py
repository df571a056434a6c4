"""The saved-search matcher asks the real search backend whether a spec is now a hit of the saved query."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from portal.alerts import jobs
from portal.models import Project, Spec
from portal.search import backend_for, indexer
from portal.settings import Settings


def test_matcher_finds_the_spec_through_the_index(db: Session, session_factory: sessionmaker[Session],
                                                  settings: Settings, make_spec: Callable[..., Spec]) -> None:
    spec = make_spec("rabbit-heartbeat", title="RabbitMQ heartbeat tuning")
    project = db.get(Project, spec.project_id)
    assert project is not None
    db.commit()
    indexer.catch_up(session_factory, backend_for(settings, session_factory))
    matches = jobs.search_matcher(session_factory, settings)
    assert matches({"q": "heartbeat"}, project.name, spec.name)
    assert not matches({"q": "quantum entanglement"}, project.name, spec.name)
    assert not matches({"q": "heartbeat", "project": "other"}, project.name, spec.name)
