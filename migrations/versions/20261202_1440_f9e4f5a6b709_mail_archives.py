"""mail archives: no schema change yet (a slot kept for this piece of work)

Revision ID: f9e4f5a6b709
Revises: f9d3e4f5a609
Create Date: 2026-12-02 14:40:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = 'f9e4f5a6b709'
down_revision: str | None = 'f9d3e4f5a609'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
