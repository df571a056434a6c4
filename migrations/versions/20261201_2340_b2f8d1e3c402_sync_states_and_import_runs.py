"""sync state per source, import runs for the importer skeleton

``sync_states`` holds each importer's cursor per source and project (and
scope, e.g. a code repository) with its last run, last success and last
error. ``import_runs`` gains ``error`` (why a whole run failed, written
after its work rolled back) and ``progressed_at`` (when its last batch
committed, so an interrupted run can be told from a running one).
``spec_revisions`` gains ``change_number``: with ``patch_set`` it keys a
revision that came from Gerrit, so a re-run of the same patch set is
recognised. All new columns are nullable: ADD COLUMN, no table rewrite.

Revision ID: b2f8d1e3c402
Revises: a1e7c0d2b301
Create Date: 2026-12-01 23:40:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'b2f8d1e3c402'
down_revision: str | None = 'a1e7c0d2b301'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('import_runs', sa.Column('error', sa.Text(), nullable=True))
    op.add_column('import_runs', sa.Column('progressed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('spec_revisions', sa.Column('change_number', sa.Integer(), nullable=True))
    op.create_table('sync_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=200), nullable=False),
    sa.Column('cursor', sa.Text(), nullable=True),
    sa.Column('cursor_advanced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_run_id', sa.Integer(), nullable=True),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['last_run_id'], ['import_runs.id'], name=op.f('fk_sync_states_last_run_id_import_runs'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_sync_states_project_id_projects'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_states')),
    sa.UniqueConstraint('source', 'project_id', 'scope', name=op.f('uq_sync_states_source_project_id_scope'))
    )
    op.create_index(op.f('ix_sync_states_project_id'), 'sync_states', ['project_id'], unique=False)


def _drop_column(table: str, column: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # In place (SQLite >= 3.35), not a batch copy that would drop and re-create the table.
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_column(table, column)


def downgrade() -> None:
    op.drop_index(op.f('ix_sync_states_project_id'), table_name='sync_states')
    op.drop_table('sync_states')
    _drop_column('spec_revisions', 'change_number')
    _drop_column('import_runs', 'progressed_at')
    _drop_column('import_runs', 'error')
