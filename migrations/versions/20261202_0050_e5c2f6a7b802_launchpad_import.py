"""launchpad import: blueprint fields, work items, people, link conflicts

Revision ID: e5c2f6a7b802
Revises: d4b1e5f6a701
Create Date: 2026-12-02 00:50:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'e5c2f6a7b802'
down_revision: str | None = 'd4b1e5f6a701'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
