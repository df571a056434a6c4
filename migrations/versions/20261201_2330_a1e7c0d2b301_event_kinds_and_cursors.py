"""typed event kinds, consumer cursors, events outlive their spec

- ``event_cursors``: one row per consumer of events (portal.events.cursors).
- ``events.backfill``: events of a first import or a ``--full`` sync (existing rows: false).
- ``events.spec_id`` / ``events.project_id``: ON DELETE SET NULL instead of CASCADE, so
  deleting a spec or project keeps its events (SQLite recreates the table in batch mode).
- The two kinds renamed by the EventKind enum are rewritten in place, and back on downgrade.

Revision ID: a1e7c0d2b301
Revises: 5b7e2f9c1a40
Create Date: 2026-12-01 23:30:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'a1e7c0d2b301'
down_revision: str | None = '5b7e2f9c1a40'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


RENAMED_KINDS = {"review.updated": "gerrit.change_updated", "spec.blueprint_updated": "launchpad.changed"}


def _references(ondelete: str) -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        for column, table in (('project_id', 'projects'), ('spec_id', 'specs')):
            name = f'fk_events_{column}_{table}'
            batch_op.drop_constraint(name, type_='foreignkey')
            batch_op.create_foreign_key(name, table, [column], ['id'], ondelete=ondelete)


def _rename_kinds(renames: dict[str, str]) -> None:
    events = sa.table('events', sa.column('kind', sa.String(64)))
    for old, new in renames.items():
        op.execute(events.update().where(events.c.kind == old).values(kind=new))


def upgrade() -> None:
    op.create_table('event_cursors',
    sa.Column('consumer', sa.String(length=64), nullable=False),
    sa.Column('last_event_id', sa.Integer(), nullable=False),
    sa.Column('gaps', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('consumer', name=op.f('pk_event_cursors'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backfill', sa.Boolean(), server_default=sa.false(), nullable=False))
    _references('SET NULL')
    _rename_kinds(RENAMED_KINDS)


def downgrade() -> None:
    _rename_kinds({new: old for old, new in RENAMED_KINDS.items()})
    _references('CASCADE')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('backfill')
    op.drop_table('event_cursors')
