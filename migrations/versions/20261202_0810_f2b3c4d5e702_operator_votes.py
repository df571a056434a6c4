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
    # New tables only: the previous release never reads them.
    op.create_table('deployment_profiles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('show_organisation', sa.Boolean(), nullable=False),
    sa.Column('release_in_production', sa.String(length=32), nullable=False),
    sa.Column('deployment_tool', sa.String(length=32), nullable=True),
    sa.Column('backends', sa.JSON(), nullable=False),
    sa.Column('hypervisors', sa.String(length=16), nullable=True),
    sa.Column('projects', sa.String(length=16), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_deployment_profiles_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_deployment_profiles'))
    )
    op.create_table('votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('spec_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('affects_me', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('ctx_release', sa.String(length=32), nullable=False),
    sa.Column('ctx_tool', sa.String(length=32), nullable=False),
    sa.Column('ctx_hypervisors', sa.String(length=16), nullable=False),
    sa.Column('ctx_projects', sa.String(length=16), nullable=False),
    sa.Column('ctx_backends', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("priority IN ('must', 'important', 'nice', 'not_needed')", name=op.f('ck_votes_priority')),
    sa.ForeignKeyConstraint(['spec_id'], ['specs.id'], name=op.f('fk_votes_spec_id_specs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_votes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_votes')),
    sa.UniqueConstraint('spec_id', 'user_id', name=op.f('uq_votes_spec_id_user_id'))
    )
    op.create_index('ix_votes_ranking', 'votes', ['spec_id', 'priority', 'affects_me', 'ctx_hypervisors',
                                                  'ctx_release', 'ctx_projects', 'ctx_tool'], unique=False)
    op.create_index('ix_votes_user_id_updated_at', 'votes', ['user_id', 'updated_at'], unique=False)
    op.create_table('vote_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('spec_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.String(length=16), nullable=True),
    sa.Column('affects_me', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("action IN ('cast', 'changed', 'withdrawn')", name=op.f('ck_vote_history_action')),
    sa.ForeignKeyConstraint(['spec_id'], ['specs.id'], name=op.f('fk_vote_history_spec_id_specs'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_vote_history_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_history'))
    )
    op.create_index('ix_vote_history_spec_id_user_id', 'vote_history', ['spec_id', 'user_id'], unique=False)
    op.create_table('acknowledgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('spec_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('release', sa.String(length=32), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('acknowledged', 'planned')", name=op.f('ck_acknowledgements_kind')),
    sa.CheckConstraint("kind <> 'planned' OR release IS NOT NULL", name=op.f('ck_acknowledgements_planned_release')),
    sa.ForeignKeyConstraint(['spec_id'], ['specs.id'], name=op.f('fk_acknowledgements_spec_id_specs'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_acknowledgements_user_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acknowledgements'))
    )
    op.create_index('ix_acknowledgements_spec_id_id', 'acknowledgements', ['spec_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_acknowledgements_spec_id_id', table_name='acknowledgements')
    op.drop_table('acknowledgements')
    op.drop_index('ix_vote_history_spec_id_user_id', table_name='vote_history')
    op.drop_table('vote_history')
    op.drop_index('ix_votes_user_id_updated_at', table_name='votes')
    op.drop_index('ix_votes_ranking', table_name='votes')
    op.drop_table('votes')
    op.drop_table('deployment_profiles')
