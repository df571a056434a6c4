"""The one "new revision of a spec document" path: parse → upsert → checklist prefill, for every source."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.importers.revisions import (
    IncomingRevision,
    RevisionOutcome,
    known_revisions,
    receive_revision,
)
from portal.models import ChecklistAnswer, ChecklistSummary, Event, Project, Spec, SpecRevision, SpecState
from portal.specs.service import RevisionSource
from tests.checklist import DRAIN_SECTIONS
from tests.support.factories import spec_rst

PATH = "specs/2026.1/approved/compute-drain.rst"


@pytest.fixture
def nova(make_project: Callable[..., Project]) -> Project:
    return make_project("nova")


def incoming(project: Project, text: str, **changes: object) -> IncomingRevision:
    values: dict[str, object] = {
        "project": project, "source": RevisionSource.FILE, "path": PATH, "text": text,
        "release": "2026.1", "state": SpecState.APPROVED,
    }
    values.update(changes)
    return IncomingRevision(**values)  # type: ignore[arg-type]


def drain_text(**extra: str) -> str:
    return spec_rst("Compute drain", "compute-drain", "nova", {**DRAIN_SECTIONS, **extra})


def revisions(db: Session, spec_id: int) -> list[SpecRevision]:
    return list(db.scalars(select(SpecRevision).where(SpecRevision.spec_id == spec_id).order_by(SpecRevision.id)))


def prefill_rows(db: Session, spec_id: int) -> list[ChecklistAnswer]:
    return list(db.scalars(
        select(ChecklistAnswer).where(ChecklistAnswer.spec_id == spec_id, ChecklistAnswer.source == "prefill")
    ))


def test_a_new_document_is_parsed_stored_and_prefilled(db: Session, nova: Project) -> None:
    result = receive_revision(db, None, incoming(nova, drain_text()))

    assert result.outcome is RevisionOutcome.CREATED and result.spec_name == "compute-drain"
    assert result.reason is None and result.parse_error is None
    (revision,) = revisions(db, result.spec_id or 0)
    assert (revision.source, revision.path, revision.patch_set, revision.change_number) == ("file", PATH, None, None)
    assert [s["path"][-1] for s in revision.sections][:2] == ["Problem description", "Proposed change"]
    answers = prefill_rows(db, revision.spec_id)
    assert answers and {a.revision_id for a in answers} == {revision.id}
    upgrade = next(a for a in answers if a.item_key.startswith("upgrade"))
    assert upgrade.state == "none"  # "Upgrade impact: None", quoted from the text
    assert db.scalar(select(ChecklistSummary).where(ChecklistSummary.spec_id == revision.spec_id)) is not None


def test_the_same_revision_again_changes_nothing(db: Session, nova: Project) -> None:
    first = receive_revision(db, None, incoming(nova, drain_text()))
    answers_before = len(prefill_rows(db, first.spec_id or 0))
    events_before = db.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))

    again = receive_revision(db, None, incoming(nova, drain_text()))

    assert again.outcome is RevisionOutcome.UNCHANGED and again.spec_id == first.spec_id
    assert len(revisions(db, first.spec_id or 0)) == 1
    assert len(prefill_rows(db, first.spec_id or 0)) == answers_before
    assert db.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) == events_before


def test_a_changed_text_is_a_new_revision_with_a_fresh_prefill(db: Session, nova: Project) -> None:
    first = receive_revision(db, None, incoming(nova, drain_text()))
    changed = receive_revision(db, None, incoming(nova, drain_text(**{"Upgrade impact": "Run the new migration."})))

    assert changed.outcome is RevisionOutcome.REVISED and changed.spec_id == first.spec_id
    old, new = revisions(db, first.spec_id or 0)
    assert {a.revision_id for a in prefill_rows(db, new.spec_id)} >= {new.id}
    kinds = [e.kind for e in db.scalars(select(Event).where(Event.spec_id == first.spec_id).order_by(Event.id))]
    assert kinds[:2] == ["spec.created", "spec.revised"]


def test_gerrit_patch_sets_are_keyed_by_change_and_patch_set(db: Session, nova: Project) -> None:
    proposed = {"source": RevisionSource.GERRIT, "state": SpecState.PROPOSED, "change_number": 934001}
    ps1 = receive_revision(db, None, incoming(nova, drain_text(), patch_set=1, **proposed))
    ps1_again = receive_revision(db, None, incoming(nova, drain_text(), patch_set=1, **proposed))
    ps2 = receive_revision(db, None, incoming(nova, drain_text(Testing="Grenade covers it."), patch_set=2, **proposed))
    file_copy = receive_revision(db, None, incoming(nova, drain_text()))  # the merged file: another source

    assert [r.outcome for r in (ps1, ps1_again, ps2, file_copy)] == [
        RevisionOutcome.CREATED, RevisionOutcome.UNCHANGED, RevisionOutcome.REVISED, RevisionOutcome.REVISED
    ]
    stored = revisions(db, ps1.spec_id or 0)
    assert [(r.source, r.change_number, r.patch_set) for r in stored] == [
        ("gerrit", 934001, 1), ("gerrit", 934001, 2), ("file", None, None)
    ]
    event = db.scalars(select(Event).where(Event.spec_id == ps1.spec_id).order_by(Event.id)).first()
    assert event is not None and event.payload["source"] == "gerrit"


def test_the_texts_link_wins_over_the_sources_blueprint_then_the_file_name(db: Session, nova: Project) -> None:
    linked = receive_revision(db, None, incoming(nova, drain_text(), blueprint="some-topic"))
    assert linked.spec_name == "compute-drain"  # the text links blueprints.launchpad.net/nova/+spec/compute-drain

    unlinked = "Live resize\n===========\n\nNo blueprint link here.\n"
    by_topic = receive_revision(db, None, incoming(nova, unlinked, path="specs/2026.1/approved/x.rst",
                                                   blueprint="live-resize"))
    by_file = receive_revision(db, None, incoming(nova, unlinked, path="specs/2026.1/approved/file-named.rst"))
    assert (by_topic.spec_name, by_file.spec_name) == ("live-resize", "file-named")
    names = set(db.scalars(select(Spec.name).where(Spec.project_id == nova.id)))
    assert names == {"compute-drain", "live-resize", "file-named"}


def test_a_document_that_cannot_be_stored_fails_with_a_reason_and_stores_nothing(db: Session, nova: Project) -> None:
    unlinked = "Title\n=====\n\nText.\n"
    result = receive_revision(db, None, incoming(nova, unlinked, path="specs/2026.1/approved/bad name!.rst"))
    assert result.outcome is RevisionOutcome.FAILED
    assert result.reason is not None
    assert "Cannot derive a spec name" in result.reason and "rename the file" in result.reason
    assert db.scalar(select(Spec.id).where(Spec.project_id == nova.id)) is None


def test_broken_rst_is_stored_as_plain_text_and_says_so(db: Session, nova: Project) -> None:
    broken = drain_text() + "\n" + "x" * 30_000 + "\n"
    result = receive_revision(db, None, incoming(nova, broken))
    assert result.outcome is RevisionOutcome.CREATED
    assert result.parse_error is not None and "longer than" in result.parse_error
    known = known_revisions(db, nova, RevisionSource.FILE)
    again = receive_revision(db, None, incoming(nova, broken), known=known[("file", PATH, None, None)])
    assert (again.outcome, again.parse_error) == (RevisionOutcome.UNCHANGED, result.parse_error)


def test_known_revisions_tell_unchanged_apart_by_text_release_and_state(db: Session, nova: Project) -> None:
    receive_revision(db, None, incoming(nova, drain_text()))
    known = known_revisions(db, nova, RevisionSource.FILE)[("file", PATH, None, None)]
    assert known.matches(incoming(nova, drain_text()))
    assert not known.matches(incoming(nova, drain_text(Testing="More tests.")))
    assert not known.matches(incoming(nova, drain_text(), release="2026.2"))
    assert not known.matches(incoming(nova, drain_text(), state=SpecState.IMPLEMENTED))
    assert known_revisions(db, nova, RevisionSource.GERRIT) == {}
