"""admin housekeeping: project sources and aliases, blocked users

A project may have several Launchpad projects and code repositories
(``project_sources``; the first Launchpad name stays in
``projects.launchpad``, which the API and blueprint links read); a renamed
project keeps its old names in ``project_aliases`` so old links redirect;
``users.blocked_at`` stops a user from posting without disabling the
account (disabling is the existing ``users.is_active``).

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
    op.create_table('project_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('launchpad', 'code_repo')", name=op.f('ck_project_sources_kind')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_sources_project_id_projects'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_sources')),
    sa.UniqueConstraint('kind', 'name', name=op.f('uq_project_sources_kind_name'))
    )
    op.create_index(op.f('ix_project_sources_project_id'), 'project_sources', ['project_id'], unique=False)
    op.create_table('project_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_aliases_project_id_projects'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_aliases')),
    sa.UniqueConstraint('name', name=op.f('uq_project_aliases_name'))
    )
    op.create_index(op.f('ix_project_aliases_project_id'), 'project_aliases', ['project_id'], unique=False)
    # A nullable column: ADD COLUMN without a table rewrite on both databases.
    op.add_column('users', sa.Column('blocked_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Not a batch copy: dropping the old users table would fire its ON DELETE CASCADEs
        # (sessions, tokens, PTL duties) while foreign keys are on. SQLite >= 3.35 drops in place.
        op.execute("ALTER TABLE users DROP COLUMN blocked_at")
    else:
        op.drop_column('users', 'blocked_at')
    op.drop_index(op.f('ix_project_aliases_project_id'), table_name='project_aliases')
    op.drop_table('project_aliases')
    op.drop_index(op.f('ix_project_sources_project_id'), table_name='project_sources')
    op.drop_table('project_sources')
