"""typed event kinds, consumer cursors, events outlive their spec

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


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
