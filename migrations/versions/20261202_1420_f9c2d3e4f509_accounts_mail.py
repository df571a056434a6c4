"""accounts mail: users.email_verified_at (self sign-up confirms the address by a mailed link)

Revision ID: f9c2d3e4f509
Revises: f8c9daeb0f08
Create Date: 2026-12-02 14:20:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'f9c2d3e4f509'
down_revision: str | None = 'f8c9daeb0f08'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email_verified_at")
