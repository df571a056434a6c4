"""checklist applicability and template rules

Revision ID: f7b8c9daee07
Revises: f6a7b8c9dd06
Create Date: 2026-12-02 09:00:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.

Adds ``applies`` and ``applies_because`` to ``checklist_answers``: whether
the item applies to the spec (a prefill row says what the prefill decided,
with the evidence; a reviewer's row leaves them empty, the reviewer's state
says it). Both are nullable: the previous release never reads or writes
them, and a row without them reads as "applies", as before.
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = 'f7b8c9daee07'
down_revision: str | None = 'f6a7b8c9dd06'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('checklist_answers') as batch:
        batch.add_column(sa.Column('applies', sa.Boolean(), nullable=True))
        batch.add_column(sa.Column('applies_because', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('checklist_answers') as batch:
        batch.drop_column('applies_because')
        batch.drop_column('applies')
