"""external identities: OpenID Connect and LDAP links

Revision ID: f5e6f7a8ba05
Revises: f4d5e6f7a904
Create Date: 2026-12-02 08:40:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = 'f5e6f7a8ba05'
down_revision: str | None = 'f4d5e6f7a904'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
