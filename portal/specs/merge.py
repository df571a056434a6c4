"""Merging two specs that linking shows to be one, without losing a row.

A spec file imported before anything linked it to its blueprint is a spec
named like the file (``bar``); when a later patch set carries the
``+spec/foo`` link, or a Gerrit change with topic ``bp/foo`` touches the
same file, BOB learns that ``bar`` and ``foo`` are one spec. Everything
``bar`` holds then moves to ``foo``: revisions, comments, checklist answers,
Gerrit links, events, and whatever later tables point at a spec (votes,
follows…). The move is generic: :func:`referencing_columns` walks the
SQLAlchemy metadata for every foreign key to ``specs.id``, so a table added
on another branch moves too without touching this module.

Unique keys that include the spec are where two rows can collide (a user's
vote on both specs). :data:`POLICIES` says per table who wins; by default a
table with an ``updated_at`` column keeps the newer row (a user's latest
vote), and any other keeps the surviving spec's row. The merged spec's name
becomes a :class:`~portal.models.SpecAlias`, so its page and API URL
redirect, and one ``spec.merged_into`` event records the merge.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, MetaData, Table, delete, exists, select, update
from sqlalchemy.orm import Session

from portal import events
from portal.errors import InvalidInput
from portal.models import Base, Spec, SpecAlias, SpecRevision, User
from portal.specs.service import _mirror_current


class Keep(StrEnum):
    NEWEST = "newest"  # the row with the later updated_at wins (votes: a user's latest opinion)
    SURVIVOR = "survivor"  # the surviving spec's row wins; the merged spec's duplicate is dropped


# Tables whose collisions need another rule than the default (see module docs). Summaries and gaps are
# recomputed after a merge, so which one is kept does not matter.
POLICIES: dict[str, Keep] = {}


@dataclass
class MergeResult:
    merged_id: int
    merged_name: str
    into_id: int
    moved: dict[str, int] = field(default_factory=dict)  # table → rows moved to the survivor
    dropped: dict[str, int] = field(default_factory=dict)  # table → colliding rows dropped


def referencing_columns(metadata: MetaData) -> Iterator[Column]:  # type: ignore[type-arg]
    """Every column of ``metadata`` with a foreign key to ``specs.id``, tables in dependency order."""
    for table in metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table.name == Spec.__tablename__ and key.column.name == "id":
                yield key.parent


def unique_keys(table: Table, column: Column) -> list[list[Column]]:  # type: ignore[type-arg]
    """The column sets that must be unique in ``table`` and include ``column``."""
    keys: list[list[Column]] = []  # type: ignore[type-arg]
    if column in table.primary_key.columns.values():
        keys.append(list(table.primary_key.columns))
    for constraint in table.constraints:
        cols = list(getattr(constraint, "columns", ()))
        if type(constraint).__name__ == "UniqueConstraint" and column in cols:
            keys.append(cols)
    for index in table.indexes:
        if index.unique and column in list(index.columns):
            keys.append(list(index.columns))
    return keys


def policy_for(table: Table) -> Keep:
    if table.name in POLICIES:
        return POLICIES[table.name]
    return Keep.NEWEST if "updated_at" in table.c else Keep.SURVIVOR


def _drop_collisions(session: Session, table: Table, column: Column, key: list[Column],  # type: ignore[type-arg]
                     merged_id: int, into_id: int) -> int:
    """Delete the rows that would break ``key`` once the merged spec's rows move; return how many went."""
    other = table.alias("other")
    same = [other.c[c.name] == table.c[c.name] for c in key if c is not column]
    dropped = 0
    if policy_for(table) is Keep.NEWEST and "updated_at" in table.c:
        newer = exists(select(other.c[column.name]).where(
            other.c[column.name] == merged_id, *same, other.c.updated_at > table.c.updated_at))
        dropped += _rowcount(session.execute(delete(table).where(column == into_id, newer)))
    clash = exists(select(other.c[column.name]).where(other.c[column.name] == into_id, *same))
    dropped += _rowcount(session.execute(delete(table).where(column == merged_id, clash)))
    return dropped


def _rowcount(result: Any) -> int:
    """Rows a DELETE or UPDATE touched (a CursorResult; typed as a plain Result by SQLAlchemy)."""
    return int(result.rowcount or 0)


def merge_specs(session: Session, actor: User | None, merged: Spec, into: Spec, *,
                metadata: MetaData | None = None) -> MergeResult:
    """Move every row of ``merged`` to ``into``, keep ``merged``'s name as an alias, delete ``merged``.

    ``metadata`` defaults to the portal's; tests pass one with extra tables. The caller refreshes what is
    derived from the rows (the checklist summary: ``portal.importers.revisions.merge_into``).
    """
    if merged.id == into.id or merged.project_id != into.project_id:
        raise InvalidInput("Only two different specs of one project can be merged.")
    session.flush()
    result = MergeResult(merged.id, merged.name, into.id)
    for column in referencing_columns(metadata if metadata is not None else Base.metadata):
        table = column.table
        for key in unique_keys(table, column):
            dropped = _drop_collisions(session, table, column, key, merged.id, into.id)
            if dropped:
                result.dropped[table.name] = result.dropped.get(table.name, 0) + dropped
        moved = _rowcount(session.execute(
            update(table).where(column == merged.id).values({column.name: into.id})
            .execution_options(synchronize_session=False)
        ))
        if moved:
            result.moved[table.name] = moved
    _take_missing_fields(merged, into)
    if session.scalar(select(SpecAlias.id).where(SpecAlias.project_id == into.project_id,
                                                 SpecAlias.name == merged.name)) is None:
        session.add(SpecAlias(project_id=into.project_id, name=merged.name, spec_id=into.id))
    events.record(session, events.EventKind.SPEC_MERGED_INTO, project_id=into.project_id, spec_id=into.id,
                  actor_id=actor.id if actor else None, name=merged.name, into_spec_id=into.id,
                  into_name=into.name, former_spec_id=merged.id)
    session.flush()
    session.execute(delete(Spec).where(Spec.id == merged.id))
    session.expunge(merged)
    # Rows loaded before the bulk updates still name the merged spec: read them again when used.
    session.expire_all()
    revisions = list(session.scalars(select(SpecRevision).where(SpecRevision.spec_id == into.id)))
    if revisions:
        _mirror_current(into, revisions, summary=None)
    session.flush()
    return result


def _take_missing_fields(merged: Spec, into: Spec) -> None:
    """The survivor keeps its own values; what only the merged spec knew (its blueprint's fields) comes over."""
    for attr in Spec.__table__.c.keys():
        if attr.startswith("lp_") or attr in ("summary", "blueprint_url"):
            if getattr(into, attr) in (None, "") and getattr(merged, attr) not in (None, ""):
                setattr(into, attr, getattr(merged, attr))
    if merged.last_activity_at and (into.last_activity_at is None or merged.last_activity_at > into.last_activity_at):
        into.last_activity_at = merged.last_activity_at


def resolve_alias(session: Session, project_id: int, name: str) -> Spec | None:
    """The spec a former name was merged into, or ``None``."""
    return session.scalar(select(Spec).join(SpecAlias, SpecAlias.spec_id == Spec.id).where(
        SpecAlias.project_id == project_id, SpecAlias.name == name))
