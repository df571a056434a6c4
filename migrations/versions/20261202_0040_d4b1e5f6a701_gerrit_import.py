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
    pass


def downgrade() -> None:
    pass
