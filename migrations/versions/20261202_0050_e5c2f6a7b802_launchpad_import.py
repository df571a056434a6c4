"""launchpad import: blueprint fields, work items, people, link conflicts

Revision ID: e5c2f6a7b802
Revises: d4b1e5f6a701
Create Date: 2026-12-02 00:50:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.

Only nullable columns are added, so the previous release (which does not
know them) keeps working, and no row is rewritten.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e5c2f6a7b802'
down_revision: str | None = 'd4b1e5f6a701'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column('lp_project', sa.String(length=100), nullable=True),
        sa.Column('lp_summary', sa.Text(), nullable=True),
        sa.Column('lp_lifecycle_status', sa.String(length=32), nullable=True),
        sa.Column('lp_direction_approved', sa.Boolean(), nullable=True),
        sa.Column('lp_started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('lp_completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('lp_owner', sa.String(length=200), nullable=True),
        sa.Column('lp_drafter', sa.String(length=200), nullable=True),
        sa.Column('lp_people', sa.JSON(), nullable=True),
        sa.Column('lp_series_goal', sa.String(length=64), nullable=True),
        sa.Column('lp_goal_status', sa.String(length=16), nullable=True),
        sa.Column('lp_work_items', sa.JSON(), nullable=True),
        sa.Column('lp_specification_url', sa.String(length=1000), nullable=True),
        sa.Column('lp_web_link', sa.String(length=500), nullable=True),
        sa.Column('lp_dependencies_url', sa.String(length=500), nullable=True),
        sa.Column('lp_bugs_url', sa.String(length=500), nullable=True),
        sa.Column('lp_etag', sa.String(length=200), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table('specs') as batch:
        for column in _columns():
            batch.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table('specs') as batch:
        for column in reversed(_columns()):
            batch.drop_column(column.name)
