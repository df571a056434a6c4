"""operator votes, deployment profiles, PTL acknowledgements

Revision ID: f2b3c4d5e702
Revises: f1a2b3c4d601
Create Date: 2026-12-02 08:10:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = 'f2b3c4d5e702'
down_revision: str | None = 'f1a2b3c4d601'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
