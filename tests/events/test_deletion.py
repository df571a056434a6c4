"""Events outlive what they describe: deleting a spec or project keeps its events and records the removal."""

from __future__ import annotations

from sqlalchemy import Connection, inspect, select
from sqlalchemy.orm import Session

from portal import events
from portal.discussion.service import add_comment
from portal.events import EventKind
from portal.events.payloads import ProjectChanged, SpecDeleted
from portal.models import Comment, Event, Project, Spec
from portal.specs.service import delete_project, delete_spec


def test_the_schema_sets_references_to_null(connection: Connection) -> None:
    fks = {fk["constrained_columns"][0]: fk for fk in inspect(connection).get_foreign_keys("events")}
    assert fks["spec_id"]["name"] == "fk_events_spec_id_specs"
    assert fks["spec_id"]["options"].get("ondelete", "").upper() == "SET NULL"
    assert fks["project_id"]["options"].get("ondelete", "").upper() == "SET NULL"


def test_deleting_a_spec_keeps_its_events_and_records_spec_deleted(
    db: Session, make_spec, make_project, make_user
) -> None:
    nova = make_project("nova")
    spec = make_spec("compute-drain", project=nova, title="Compute drain mode")
    add_comment(db, make_user("rey"), spec, "Does this drain live migrations?")
    db.flush()
    spec_id = spec.id
    before = db.scalars(select(Event.id).where(Event.spec_id == spec_id)).all()
    assert len(before) == 2  # spec.created, comment.added

    delete_spec(db, None, spec)
    db.flush()

    assert db.get(Spec, spec_id) is None
    assert db.scalars(select(Comment).where(Comment.spec_id == spec_id)).all() == []
    kept = db.scalars(select(Event).where(Event.id.in_(before)).execution_options(populate_existing=True)).all()
    assert len(kept) == 2 and all(e.spec_id is None and e.project_id == nova.id for e in kept)
    deleted = db.scalars(select(Event).where(Event.kind == EventKind.SPEC_DELETED)).one()
    assert (deleted.spec_id, deleted.project_id) == (None, nova.id)
    assert events.payload_of(deleted) == SpecDeleted(
        former_spec_id=spec_id, name="compute-drain", title="Compute drain mode", project="nova"
    )


def test_deleting_a_project_records_each_spec_and_the_project(db: Session, make_spec, make_project) -> None:
    nova = make_project("nova")
    glance = make_project("glance")
    specs = [make_spec("compute-drain", project=nova), make_spec("cpu-pinning", project=nova)]
    other = make_spec("image-cache", project=glance)
    ids = [s.id for s in specs]
    nova_id = nova.id

    assert delete_project(db, None, nova) == 2
    db.flush()

    assert db.get(Project, nova_id) is None and db.get(Spec, other.id) is not None
    removed = db.scalars(select(Event).where(Event.kind == EventKind.SPEC_DELETED).order_by(Event.id)).all()
    payloads = [events.payload_of(e) for e in removed]
    assert [(p.former_spec_id, p.project) for p in payloads if isinstance(p, SpecDeleted)] == [
        (spec_id, "nova") for spec_id in ids
    ]
    gone = db.scalars(select(Event).where(Event.kind == EventKind.PROJECT_CHANGED)).one()
    assert events.payload_of(gone) == ProjectChanged(change="removed", name="nova")
    orphans = db.scalars(
        select(Event).where(Event.project_id.is_(None), Event.kind == EventKind.PROJECT_CREATED)
        .execution_options(populate_existing=True)
    ).all()
    assert [e.payload["name"] for e in orphans] == ["nova"]  # the project's own history stays
    assert db.scalars(select(Event).where(Event.project_id == glance.id)).all()  # the other project's untouched
