"""admin housekeeping: project sources and aliases, blocked and disabled users

Revision ID: c3a9e2f4d503
Revises: b2f8d1e3c402
Create Date: 2026-12-01 23:50:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'c3a9e2f4d503'
down_revision: str | None = 'b2f8d1e3c402'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
