"""Merging two specs moves every row that points at the merged one, tables added later included."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import events
from portal.checklist.service import refresh_prefill
from portal.discussion.service import import_comment
from portal.importers.revisions import merge_into
from portal.models import (
    Base,
    ChecklistAnswer,
    ChecklistSummary,
    Comment,
    CommentSource,
    Event,
    GerritChange,
    GerritChangeSpec,
    Project,
    Spec,
    SpecAlias,
    SpecRevision,
    SpecState,
    User,
)
from portal.specs.document import parse_spec
from portal.specs.merge import Keep, merge_specs, policy_for, referencing_columns, unique_keys
from portal.specs.service import GerritChangeData, SpecFile, upsert_gerrit_change, upsert_spec_file
from tests.support.factories import spec_rst

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def spec_with_text(db: Session, project: Project, path: str, text: str) -> Spec:
    stem = path.rsplit("/", 1)[-1].removesuffix(".rst")
    upsert_spec_file(db, None, project, SpecFile(path=path, release="2026.1", state=SpecState.APPROVED, text=text,
                                                 parsed=parse_spec(text), file_name=stem))
    spec = db.scalar(select(Spec).where(Spec.project_id == project.id, Spec.name == stem))
    assert spec is not None
    refresh_prefill(db, spec)
    return spec


def later_tables() -> tuple[sa.MetaData, sa.Table, sa.Table]:
    """The portal's tables plus two that other branches add: votes (newest per user wins) and follows."""
    metadata = sa.MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    votes = sa.Table(
        "test_votes", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("spec_id", sa.Integer, sa.ForeignKey("specs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("spec_id", "user_id"),
    )
    follows = sa.Table(
        "test_follows", metadata,
        sa.Column("spec_id", sa.Integer, sa.ForeignKey("specs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
    )
    return metadata, votes, follows


def test_the_walk_finds_every_reference_to_specs_and_its_unique_keys() -> None:
    tables = {c.table.name: c.name for c in referencing_columns(Base.metadata)}
    assert {"spec_revisions", "gerrit_changes", "gerrit_change_specs", "implementation_changes", "comments",
            "checklist_answers", "checklist_summaries", "checklist_gaps", "events", "spec_aliases"} <= set(tables)
    _, votes, follows = later_tables()
    assert [[c.name for c in key] for key in unique_keys(votes, votes.c.spec_id)] == [["spec_id", "user_id"]]
    assert [[c.name for c in key] for key in unique_keys(follows, follows.c.spec_id)] == [["spec_id", "user_id"]]
    assert policy_for(votes) is Keep.NEWEST and policy_for(follows) is Keep.SURVIVOR


def test_merging_moves_everything_and_resolves_collisions(
    db: Session, make_project: Callable[..., Project], make_user: Callable[..., User]
) -> None:
    project = make_project("mergers", launchpad="mergers", gerrit_repo="openstack/mergers-specs")
    bar = spec_with_text(db, project, "specs/2026.1/approved/bar.rst", spec_rst("Bar", "bar", "mergers"))
    bar.lp_priority = "High"
    foo = spec_with_text(db, project, "specs/2026.1/approved/foo.rst", spec_rst("Foo", "foo", "mergers"))
    import_comment(db, bar, source=CommentSource.GERRIT, external_id="gerrit:x/1/m1", author_name="Core",
                   body="Please add rollback.", created_at=T0)
    import_comment(db, foo, source=CommentSource.GERRIT, external_id="gerrit:x/2/m1", author_name="Core",
                   body="Fine.", created_at=T0)
    shared = GerritChangeData(repo="openstack/mergers-specs", change_number=7, status="NEW", updated_at=T0,
                              other_spec_ids=(foo.id,))
    upsert_gerrit_change(db, None, bar, shared)
    db.flush()
    change = db.scalar(select(GerritChange).where(GerritChange.change_number == 7))
    assert change is not None
    assert set(db.scalars(select(GerritChangeSpec.spec_id).where(GerritChangeSpec.gerrit_change_id == change.id))) \
        == {bar.id, foo.id}

    metadata, votes, follows = later_tables()
    connection = db.connection()
    votes.create(connection)
    follows.create(connection)
    ann, bob, cid = make_user(), make_user(), make_user()
    db.execute(votes.insert(), [
        {"spec_id": bar.id, "user_id": ann.id, "priority": "bar-newer", "updated_at": T0 + timedelta(days=1)},
        {"spec_id": foo.id, "user_id": ann.id, "priority": "foo-older", "updated_at": T0},
        {"spec_id": bar.id, "user_id": bob.id, "priority": "bar-older", "updated_at": T0},
        {"spec_id": foo.id, "user_id": bob.id, "priority": "foo-newer", "updated_at": T0 + timedelta(days=1)},
        {"spec_id": bar.id, "user_id": cid.id, "priority": "only-bar", "updated_at": T0},
    ])
    db.execute(follows.insert(), [
        {"spec_id": bar.id, "user_id": ann.id, "channel": "bar"},
        {"spec_id": foo.id, "user_id": ann.id, "channel": "foo"},
        {"spec_id": bar.id, "user_id": cid.id, "channel": "bar"},
    ])
    bar_id, answers_before = bar.id, db.scalar(select(func.count(ChecklistAnswer.id)))

    result = merge_specs(db, None, bar, foo, metadata=metadata)
    refresh_prefill(db, foo)

    for column in referencing_columns(metadata):
        assert db.scalar(select(func.count()).select_from(column.table).where(column == bar_id)) == 0, column
    assert db.get(Spec, bar_id) is None
    assert sorted(db.execute(select(votes.c.user_id, votes.c.priority).where(votes.c.spec_id == foo.id)).all()) \
        == sorted([(ann.id, "bar-newer"), (bob.id, "foo-newer"), (cid.id, "only-bar")])
    assert sorted(db.execute(select(follows.c.user_id, follows.c.channel).where(follows.c.spec_id == foo.id))
                  .all()) == sorted([(ann.id, "foo"), (cid.id, "bar")])
    assert result.moved["test_votes"] == 2 and result.dropped["test_votes"] == 2
    assert sorted(db.scalars(select(Comment.body).where(Comment.spec_id == foo.id))) == ["Fine.",
                                                                                     "Please add rollback."]
    assert sorted(db.scalars(select(SpecRevision.path).where(SpecRevision.spec_id == foo.id))) == [
        "specs/2026.1/approved/bar.rst", "specs/2026.1/approved/foo.rst"]
    assert list(db.scalars(select(GerritChangeSpec.spec_id).where(GerritChangeSpec.gerrit_change_id == change.id))) \
        == [foo.id]
    assert db.scalar(select(func.count(ChecklistAnswer.id))) >= answers_before  # answers are history: kept
    assert db.scalar(select(func.count()).select_from(ChecklistSummary).where(ChecklistSummary.spec_id == foo.id)) == 1
    assert db.get(Spec, foo.id).lp_priority == "High"  # what only the merged spec knew comes over
    alias = db.scalar(select(SpecAlias).where(SpecAlias.project_id == project.id, SpecAlias.name == "bar"))
    assert alias is not None and alias.spec_id == foo.id
    merged = db.scalar(select(Event).where(Event.kind == "spec.merged_into", Event.spec_id == foo.id))
    assert merged is not None
    payload = events.payload_of(merged)
    assert (payload.name, payload.into_name, payload.former_spec_id) == ("bar", "foo", bar_id)  # type: ignore[attr-defined]


def test_a_second_merge_carries_the_first_alias_along(db: Session, make_project: Callable[..., Project]) -> None:
    project = make_project("chain")
    a = spec_with_text(db, project, "specs/2026.1/approved/a.rst", spec_rst("A", "a", "chain"))
    b = spec_with_text(db, project, "specs/2026.1/approved/b.rst", spec_rst("B", "b", "chain"))
    c = spec_with_text(db, project, "specs/2026.1/approved/c.rst", spec_rst("C", "c", "chain"))
    merge_into(db, None, a, b)
    merge_into(db, None, b, c)
    assert dict(db.execute(select(SpecAlias.name, SpecAlias.spec_id).where(SpecAlias.project_id == project.id))
                .all()) == {"a": c.id, "b": c.id}
