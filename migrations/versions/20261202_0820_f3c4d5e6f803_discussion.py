"""discussion: threaded comments, edit history, moderation

Revision ID: f3c4d5e6f803
Revises: f2b3c4d5e702
Create Date: 2026-12-02 08:20:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = 'f3c4d5e6f803'
down_revision: str | None = 'f2b3c4d5e702'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable columns and a new table only: the previous release ignores them.
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_reply_to_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('thread_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('link_title', sa.String(length=300), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_comments_in_reply_to_id_comments'), 'comments',
                                    ['in_reply_to_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_comments_thread_id_comments'), 'comments',
                                    ['thread_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_comments_hidden_by_id_users'), 'users',
                                    ['hidden_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_comments_author_id_created_at', ['author_id', 'created_at'], unique=False)
        batch_op.create_index('ix_comments_thread_id', ['thread_id'], unique=False)

    op.create_table('comment_edits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('link_title', sa.String(length=300), nullable=True),
    sa.Column('url', sa.String(length=1000), nullable=True),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_comment_edits_comment_id_comments'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['edited_by_id'], ['users.id'], name=op.f('fk_comment_edits_edited_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_edits'))
    )
    op.create_index('ix_comment_edits_comment_id', 'comment_edits', ['comment_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_comment_edits_comment_id', table_name='comment_edits')
    op.drop_table('comment_edits')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_thread_id')
        batch_op.drop_index('ix_comments_author_id_created_at')
        batch_op.drop_constraint(batch_op.f('fk_comments_hidden_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_comments_thread_id_comments'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_comments_in_reply_to_id_comments'), type_='foreignkey')
        batch_op.drop_column('link_title')
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('hidden_by_id')
        batch_op.drop_column('hidden_at')
        batch_op.drop_column('thread_id')
        batch_op.drop_column('in_reply_to_id')
