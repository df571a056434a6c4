"""Every event kind has a typed payload, checked when the event is recorded and read back as a dataclass."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import events
from portal.events import EventKind, PayloadError
from portal.events.payloads import GerritChangeUpdated, LaunchpadChanged, SpecCreated, SpecRevised
from portal.models import Event, SpecState
from portal.specs.service import GerritChangeData, upsert_gerrit_change

# One valid payload per kind; the test below fails when a kind is added without one.
VALID: dict[EventKind, dict[str, Any]] = {
    EventKind.PROJECT_CREATED: {"name": "nova"},
    EventKind.PROJECT_CHANGED: {"change": "renamed", "name": "nova", "old_name": "compute"},
    EventKind.SPEC_CREATED: {"name": "drain", "source": "file", "revision_id": 3, "path": "specs/x.rst"},
    EventKind.SPEC_REVISED: {"name": "drain", "revision_id": 4, "source": "gerrit", "content_hash": "ab12",
                             "patch_set": 2},
    EventKind.SPEC_STATE_CHANGED: {"name": "drain", "from_state": "proposed", "to_state": "approved"},
    EventKind.SPEC_DELETED: {"former_spec_id": 7, "name": "drain", "title": "Drain", "project": "nova"},
    EventKind.SPEC_MERGED_INTO: {"name": "drain", "into_spec_id": 8, "into_name": "drain-mode", "former_spec_id": 7},
    EventKind.GERRIT_CHANGE_UPDATED: {"change_number": 123, "status": "MERGED", "name": "drain",
                                      "repo": "openstack/nova-specs", "patch_set": 3},
    EventKind.IMPLEMENTATION_CHANGED: {"name": "drain", "repo": "openstack/nova", "change_number": 9,
                                       "status": "NEW", "partial": True},
    EventKind.LAUNCHPAD_CHANGED: {"name": "drain", "fields": ["priority", "milestone"]},
    EventKind.COMMENT_ADDED: {"comment_id": 1, "source": "gerrit"},
    EventKind.COMMENT_EDITED: {"comment_id": 1},
    EventKind.COMMENT_HIDDEN: {"comment_id": 1, "reason": "spam"},
    EventKind.COMMENT_SHOWN: {"comment_id": 1},
    EventKind.COMMENT_DELETED: {"comment_id": 1},
    EventKind.MENTION: {"comment_id": 1, "mentioned_user_id": 2},
    EventKind.VOTE_CAST: {"affects_me": True, "priority": "high"},
    EventKind.VOTE_WITHDRAWN: {},
    EventKind.CHECKLIST_ANSWERED: {"item": "upgrade", "state": "addressed", "answer_id": 5},
    EventKind.CHECKLIST_RECHECKED: {"template_version": 2},
    EventKind.CHECKLIST_REFRESHED: {"specs": 40, "template_version": 2},
    EventKind.CHECKLIST_STALE: {"items": ["upgrade", "monitoring"], "revision_id": None},
    EventKind.PTL_ACKNOWLEDGED: {"item": "upgrade", "note": "next cycle", "answer": "planned", "release": "2026.2"},
    EventKind.IMPORT_FINISHED: {"source": "gerrit", "status": "succeeded", "run_id": 9, "counts": {"created": 3}},
    EventKind.SAVED_SEARCH_CREATED: {"saved_search_id": 4, "name": "rabbitmq", "query": {"q": "rabbitmq"}},
    EventKind.SAVED_SEARCH_DELETED: {"saved_search_id": 4, "name": "rabbitmq"},
}

# (kind, fields, what the error must say)
INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("spec.revised", {"name": "x", "revision_id": 4, "source": "file"}, "missing field 'content_hash' (str)"),
    ("spec.deleted", {"name": "x", "title": "X", "project": "nova"}, "missing field 'former_spec_id' (int)"),
    ("gerrit.change_updated", {"change_number": 1, "status": "NEW", "name": "x", "patch_set": 1},
     "missing field 'repo'"),
    ("comment.added", {"comment_id": 1, "source": "portal", "body": "hi"}, "unknown field 'body'"),
    ("vote.withdrawn", {"priority": "high"}, "unknown field 'priority'; VoteWithdrawn has no fields"),
    ("comment.added", {"comment_id": "1", "source": "portal"}, "field 'comment_id' must be int, got str '1'"),
    ("checklist.refreshed", {"specs": True, "template_version": 1}, "field 'specs' must be int, got bool"),
    ("vote.cast", {"affects_me": 1}, "field 'affects_me' must be bool, got int"),
    ("spec.deleted", {"former_spec_id": 7, "name": "x", "title": None, "project": "nova"},
     "field 'title' must be str, got NoneType"),
    ("spec.created", {"name": "x", "source": "file", "release": 2025}, "field 'release' must be str or None"),
    ("gerrit.change_updated", {"change_number": 1, "status": "DRAFT", "name": "x", "repo": "r", "patch_set": 1},
     "field 'status' must be one of 'NEW', 'MERGED', 'ABANDONED'"),
    ("project.changed", {"change": "archived", "name": "nova"}, "field 'change' must be one of 'renamed'"),
    ("launchpad.changed", {"name": "x", "fields": ["priority", 3]}, "field 'fields' must be list[str]"),
    ("launchpad.changed", {"name": "x", "fields": "priority"}, "field 'fields' must be list[str], got str"),
    ("import.finished", {"source": "gerrit", "status": "failed", "counts": {"created": "3"}},
     "field 'counts' must be dict[str, int]"),
    ("review.updated", {"change_number": 1, "status": "NEW"}, "unknown event kind 'review.updated'"),
]


def test_every_kind_has_a_payload_and_a_valid_example() -> None:
    assert set(events.PAYLOADS) == set(EventKind)
    assert set(VALID) == set(EventKind), "add a valid example for the new kind to VALID"


@pytest.mark.parametrize("kind", list(EventKind), ids=str)
def test_a_valid_payload_is_stored_whole_and_reads_back_typed(db: Session, kind: EventKind) -> None:
    event = events.record(db, kind, **VALID[kind])
    db.flush()
    stored = db.scalar(select(Event.payload).where(Event.id == event.id))
    assert stored is not None and set(VALID[kind]) <= set(stored)
    payload = events.payload_of(event)
    assert isinstance(payload, events.PAYLOADS[kind])
    for name, value in VALID[kind].items():
        assert getattr(payload, name) == value


@pytest.mark.parametrize(("kind", "fields", "message"), INVALID, ids=[m for _, _, m in INVALID])
def test_a_wrong_payload_is_a_programming_error_naming_kind_and_field(
    db: Session, kind: str, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(PayloadError) as caught:
        events.record(db, kind, spec_id=None, **fields)
    assert isinstance(caught.value, TypeError)
    assert repr(kind) in str(caught.value)
    assert message in str(caught.value)
    assert not db.new  # nothing was added to the transaction


def test_defaults_are_stored_and_enum_members_become_plain_strings(db: Session) -> None:
    event = events.record(db, EventKind.SPEC_CREATED, name="drain", source="file", state=SpecState.APPROVED)
    assert event.kind == "spec.created" and type(event.kind) is str
    assert event.payload == {"name": "drain", "source": "file", "revision_id": None, "content_hash": None, "path": None,
                             "release": None, "state": "approved"}
    assert type(event.payload["state"]) is str


def test_rows_written_before_a_field_existed_read_with_its_old_rows_value(db: Session) -> None:
    """Rows of the previous release: a Gerrit update without repo or patch set, a blueprint-made spec."""
    old_gerrit = Event(kind="gerrit.change_updated", payload={"change_number": 12, "status": "MERGED"})
    old_spec = Event(kind="spec.created", payload={"name": "drain", "fields": ["title"]})
    db.add_all([old_gerrit, old_spec])
    db.flush()
    assert events.payload_of(old_gerrit) == GerritChangeUpdated(change_number=12, status="MERGED")
    assert events.payload_of(old_spec) == SpecCreated(name="drain", source="")


def test_a_stored_row_that_does_not_fit_its_kind_says_so(db: Session) -> None:
    broken = Event(kind="launchpad.changed", payload={"fields": ["title"]})
    with pytest.raises(PayloadError, match="stored event 'launchpad.changed' has no field 'name'"):
        events.payload_of(broken)
    assert events.payload_of(Event(kind="launchpad.changed", payload={"name": "x", "fields": []})) == \
        LaunchpadChanged(name="x", fields=[])


def test_services_record_typed_payloads(db: Session, make_spec) -> None:
    spec = make_spec("compute-drain")
    created = db.scalars(select(Event).where(Event.spec_id == spec.id)).one()
    payload = events.payload_of(created)
    assert isinstance(payload, SpecCreated)
    assert payload.source == "file" and payload.revision_id is not None
    assert payload.path == "specs/2025.1/approved/compute-drain.rst"


def test_gerrit_updates_say_what_changed(db: Session, make_spec) -> None:
    spec = make_spec("compute-drain")

    def update(status: str, patch_set: int) -> GerritChangeUpdated:
        data = GerritChangeData(repo="openstack/nova-specs", change_number=4242, status=status,
                                current_patch_set=patch_set)
        upsert_gerrit_change(db, None, spec, data)
        db.flush()
        event = db.scalars(select(Event).where(Event.kind == EventKind.GERRIT_CHANGE_UPDATED)
                           .order_by(Event.id.desc()).limit(1)).one()
        payload = events.payload_of(event)
        assert isinstance(payload, GerritChangeUpdated)
        return payload

    first = update("NEW", 1)
    assert (first.previous_status, first.is_new_patch_set, first.merged) == (None, False, False)
    second = update("NEW", 2)
    assert second.is_new_patch_set and not second.merged
    assert (second.name, second.repo, second.patch_set) == ("compute-drain", "openstack/nova-specs", 2)
    third = update("MERGED", 2)
    assert third.merged and not third.is_new_patch_set and not third.abandoned


def test_spec_revised_carries_source_and_content_hash(db: Session, make_spec, make_project) -> None:
    project = make_project("nova")
    make_spec("compute-drain", project=project, text=None)
    make_spec("compute-drain", project=project, release="2025.2")
    revised = db.scalars(select(Event).where(Event.kind == EventKind.SPEC_REVISED)).one()
    payload = events.payload_of(revised)
    assert isinstance(payload, SpecRevised)
    assert payload.source == "file" and len(payload.content_hash) == 64 and payload.release == "2025.2"
