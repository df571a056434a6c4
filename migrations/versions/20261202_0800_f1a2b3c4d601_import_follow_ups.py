"""import follow-ups: spec aliases for merged specs, patch-set upload times

Revision ID: f1a2b3c4d601
Revises: e5c2f6a7b802
Create Date: 2026-12-02 08:00:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.

Adds ``spec_aliases`` (the former names of specs merged into another, so
old links redirect), ``spec_revisions.uploaded_at`` (Gerrit's upload time of
a patch set), ``gerrit_changes.unreadable_files`` (spec files Gerrit
answered 404 for) and ``specs.lp_dependencies`` / ``specs.lp_bugs`` (a
blueprint's dependencies and linked bugs). Only a new table and nullable
columns: the previous release keeps working and no row is rewritten.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'f1a2b3c4d601'
down_revision: str | None = 'e5c2f6a7b802'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = {
    'spec_revisions': [sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=True)],
    'gerrit_changes': [sa.Column('unreadable_files', sa.JSON(), nullable=True)],
    'specs': [sa.Column('lp_dependencies', sa.JSON(), nullable=True), sa.Column('lp_bugs', sa.JSON(), nullable=True)],
}


def upgrade() -> None:
    op.create_table('spec_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('spec_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_spec_aliases_project_id_projects'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['spec_id'], ['specs.id'], name=op.f('fk_spec_aliases_spec_id_specs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spec_aliases')),
    sa.UniqueConstraint('project_id', 'name', name=op.f('uq_spec_aliases_project_id_name'))
    )
    op.create_index(op.f('ix_spec_aliases_spec_id'), 'spec_aliases', ['spec_id'], unique=False)
    # Nullable columns: ADD COLUMN without a table rewrite on both databases.
    for table, columns in _COLUMNS.items():
        for column in columns:
            op.add_column(table, column)


def downgrade() -> None:
    for table, columns in _COLUMNS.items():
        for column in reversed(columns):
            if op.get_bind().dialect.name == "sqlite":
                # Not a batch copy: dropping the old table would fire its ON DELETE CASCADEs while
                # foreign keys are on. SQLite >= 3.35 drops a column in place.
                op.execute(f"ALTER TABLE {table} DROP COLUMN {column.name}")
            else:
                op.drop_column(table, column.name)
    op.drop_index(op.f('ix_spec_aliases_spec_id'), table_name='spec_aliases')
    op.drop_table('spec_aliases')
