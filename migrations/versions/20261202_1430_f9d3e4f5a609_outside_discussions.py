"""outside discussions: imported meeting topics and list threads, their links to specs, irc/mail comments

Adds ``outside_files`` (source files already imported, by content hash),
``outside_discussions`` (one row per meeting topic or list thread) and
``discussion_links`` (discussion to spec, with the reason and who made it; a
removed link keeps its row), and lets ``comments.source`` be ``irc`` and ``mail``.

Revision ID: f9d3e4f5a609
Revises: f9c2d3e4f509
Create Date: 2026-12-02 14:30:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.db.base

revision: str = 'f9d3e4f5a609'
down_revision: str | None = 'f9c2d3e4f509'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_SOURCES = "source IN ('portal', 'gerrit', 'launchpad', 'link')"
_NEW_SOURCES = "source IN ('portal', 'gerrit', 'launchpad', 'link', 'irc', 'mail')"


def upgrade() -> None:
    with op.batch_alter_table('comments') as batch_op:
        batch_op.drop_constraint(op.f('ck_comments_source'), type_='check')
        batch_op.create_check_constraint(op.f('ck_comments_source'), sa.text(_NEW_SOURCES))
    op.create_table(
        'outside_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('path', sa.String(length=500), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('imported_at', portal.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outside_files')),
        sa.UniqueConstraint('source', 'path', name=op.f('uq_outside_files_source_path')),
    )
    op.create_table(
        'outside_discussions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('external_id', sa.String(length=500), nullable=False),
        sa.Column('title', sa.String(length=500), nullable=False),
        sa.Column('url', sa.String(length=1000), nullable=True),
        sa.Column('group_name', sa.String(length=100), nullable=False),
        sa.Column('started_at', portal.db.base.UTCDateTime(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('imported_at', portal.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outside_discussions')),
        sa.UniqueConstraint('source', 'external_id', name=op.f('uq_outside_discussions_source_external_id')),
    )
    op.create_table(
        'discussion_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('discussion_id', sa.Integer(), nullable=False),
        sa.Column('spec_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=300), nullable=False),
        sa.Column('made_by', sa.String(length=16), nullable=False),
        sa.Column('made_by_id', sa.Integer(), nullable=True),
        sa.Column('comment_id', sa.Integer(), nullable=True),
        sa.Column('created_at', portal.db.base.UTCDateTime(), nullable=False),
        sa.Column('removed_at', portal.db.base.UTCDateTime(), nullable=True),
        sa.Column('removed_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_discussion_links_comment_id_comments'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['discussion_id'], ['outside_discussions.id'],
                                name=op.f('fk_discussion_links_discussion_id_outside_discussions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['made_by_id'], ['users.id'], name=op.f('fk_discussion_links_made_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['removed_by_id'], ['users.id'], name=op.f('fk_discussion_links_removed_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['spec_id'], ['specs.id'], name=op.f('fk_discussion_links_spec_id_specs'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_discussion_links')),
        sa.UniqueConstraint('discussion_id', 'spec_id', name=op.f('uq_discussion_links_discussion_id_spec_id')),
    )
    op.create_index('ix_discussion_links_spec_id', 'discussion_links', ['spec_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_discussion_links_spec_id', table_name='discussion_links')
    op.drop_table('discussion_links')
    op.drop_table('outside_discussions')
    op.drop_table('outside_files')
    op.execute("DELETE FROM comments WHERE source IN ('irc', 'mail')")
    with op.batch_alter_table('comments') as batch_op:
        batch_op.drop_constraint(op.f('ck_comments_source'), type_='check')
        batch_op.create_check_constraint(op.f('ck_comments_source'), sa.text(_OLD_SOURCES))
