"""gerrit import: changes of several specs, patch sets, review messages

Revision ID: d4b1e5f6a701
Revises: c3a9e2f4d503
Create Date: 2026-12-02 00:40:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'd4b1e5f6a701'
down_revision: str | None = 'c3a9e2f4d503'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable columns: ADD COLUMN without a table rewrite on both databases.
    op.add_column('gerrit_changes', sa.Column('topic', sa.String(length=200), nullable=True))
    op.add_column('gerrit_changes', sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True))
    # Change <-> spec is many-to-many; gerrit_changes.spec_id stays the primary spec (older code reads it).
    op.create_table('gerrit_change_specs',
    sa.Column('gerrit_change_id', sa.Integer(), nullable=False),
    sa.Column('spec_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['gerrit_change_id'], ['gerrit_changes.id'],
                            name=op.f('fk_gerrit_change_specs_gerrit_change_id_gerrit_changes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['spec_id'], ['specs.id'], name=op.f('fk_gerrit_change_specs_spec_id_specs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('gerrit_change_id', 'spec_id', name=op.f('pk_gerrit_change_specs'))
    )
    op.create_index(op.f('ix_gerrit_change_specs_spec_id'), 'gerrit_change_specs', ['spec_id'], unique=False)
    op.create_table('implementation_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('spec_id', sa.Integer(), nullable=False),
    sa.Column('repo', sa.String(length=200), nullable=False),
    sa.Column('change_number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('owner_name', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('partial', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['spec_id'], ['specs.id'], name=op.f('fk_implementation_changes_spec_id_specs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_implementation_changes')),
    sa.UniqueConstraint('spec_id', 'repo', 'change_number',
                        name=op.f('uq_implementation_changes_spec_id_repo_change_number'))
    )
    op.create_index(op.f('ix_implementation_changes_spec_id'), 'implementation_changes', ['spec_id'], unique=False)
    # Every existing change belongs to its one spec.
    op.execute("INSERT INTO gerrit_change_specs (gerrit_change_id, spec_id) SELECT id, spec_id FROM gerrit_changes")


def downgrade() -> None:
    op.drop_index(op.f('ix_implementation_changes_spec_id'), table_name='implementation_changes')
    op.drop_table('implementation_changes')
    op.drop_index(op.f('ix_gerrit_change_specs_spec_id'), table_name='gerrit_change_specs')
    op.drop_table('gerrit_change_specs')
    if op.get_bind().dialect.name == "sqlite":
        # Not a batch copy (that would drop the table and fire cascades); SQLite >= 3.35 drops in place.
        op.execute("ALTER TABLE gerrit_changes DROP COLUMN approved_at")
        op.execute("ALTER TABLE gerrit_changes DROP COLUMN topic")
    else:
        op.drop_column('gerrit_changes', 'approved_at')
        op.drop_column('gerrit_changes', 'topic')
