"""sync state per source, import runs for the importer skeleton

Revision ID: b2f8d1e3c402
Revises: a1e7c0d2b301
Create Date: 2026-12-01 23:40:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'b2f8d1e3c402'
down_revision: str | None = 'a1e7c0d2b301'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
