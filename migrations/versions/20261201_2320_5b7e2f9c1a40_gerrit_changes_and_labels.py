"""rename spec_reviews to gerrit_changes and its votes to labels

"Review" meant three things; a Gerrit change now says so, and "vote" is
left to operators' votes. Rows are kept: PostgreSQL renames in place,
SQLite copies into a table built with the new names (its constraint names
live in the table's SQL, so a rename would leave the old ones).

Revision ID: 5b7e2f9c1a40
Revises: 2c1a04a13864
Create Date: 2026-12-01 23:20:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '5b7e2f9c1a40'
down_revision: str | None = '2c1a04a13864'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("id, spec_id, repo, change_number, change_id, status, subject, owner_name, current_patch_set, "
           "url, {labels}, approved_by, created_at, updated_at, submitted_at")


def _create(table: str, labels: str) -> None:
    op.create_table(table,
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('spec_id', sa.Integer(), nullable=False),
    sa.Column('repo', sa.String(length=200), nullable=False),
    sa.Column('change_number', sa.Integer(), nullable=False),
    sa.Column('change_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('owner_name', sa.String(length=200), nullable=False),
    sa.Column('current_patch_set', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column(labels, sa.JSON(), nullable=False),
    sa.Column('approved_by', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['spec_id'], ['specs.id'], name=f'fk_{table}_spec_id_specs', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=f'pk_{table}'),
    sa.UniqueConstraint('repo', 'change_number', name=f'uq_{table}_repo_change_number')
    )
    op.create_index(f'ix_{table}_spec_id', table, ['spec_id'], unique=False)


def _rename(old: str, new: str, old_col: str, new_col: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.rename_table(old, new)
        op.alter_column(new, old_col, new_column_name=new_col)
        for kind, rest in (("pk", ""), ("uq", "_repo_change_number"), ("fk", "_spec_id_specs")):
            op.execute(f'ALTER TABLE {new} RENAME CONSTRAINT {kind}_{old}{rest} TO {kind}_{new}{rest}')
        op.execute(f'ALTER INDEX ix_{old}_spec_id RENAME TO ix_{new}_spec_id')
        op.execute(f'ALTER SEQUENCE {old}_id_seq RENAME TO {new}_id_seq')
        return
    _create(new, new_col)
    op.execute(f"INSERT INTO {new} ({COLUMNS.format(labels=new_col)}) "
               f"SELECT {COLUMNS.format(labels=old_col)} FROM {old}")
    op.drop_index(f'ix_{old}_spec_id', table_name=old)
    op.drop_table(old)


def upgrade() -> None:
    _rename("spec_reviews", "gerrit_changes", "votes", "labels")


def downgrade() -> None:
    _rename("gerrit_changes", "spec_reviews", "labels", "votes")
