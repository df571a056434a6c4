"""search: saved searches and the PostgreSQL full-text table

Revision ID: f4d5e6f7a904
Revises: f3c4d5e6f803
Create Date: 2026-12-02 08:30:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.

``saved_searches`` is created on every database. ``search_documents`` (the
PostgreSQL search backend's index: one row per spec, section or comment with
a weighted ``tsvector`` under a GIN index) and ``search_terms`` (the
vocabulary for "did you mean") exist only on PostgreSQL: SQLite sites use the
Whoosh index and get nothing here. The trigram index on the vocabulary needs
``pg_trgm``, which Debian's ``postgresql-15`` package ships and which is a
trusted extension (PostgreSQL 13+: the database owner may create it); when
it cannot be created the vocabulary has no trigram index and "did you mean"
is simply not offered (see docs/install.md).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'f4d5e6f7a904'
down_revision: str | None = 'f3c4d5e6f803'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'saved_searches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('query', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_searches_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_searches')),
        sa.UniqueConstraint('user_id', 'name', name=op.f('uq_saved_searches_user_id_name')),
    )
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.create_table(
        'search_documents',
        sa.Column('doc_id', sa.String(length=300), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('project', sa.String(length=64), nullable=False),
        sa.Column('spec_id', sa.Integer(), nullable=False),
        sa.Column('spec', sa.String(length=200), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('heading', sa.Text(), nullable=False),
        sa.Column('anchor', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('author', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('release', sa.String(length=32), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('file', sa.Text(), nullable=False),
        sa.Column('line', sa.Integer(), nullable=True),
        sa.Column('patch_set', sa.Integer(), nullable=True),
        sa.Column('search', postgresql.TSVECTOR(), nullable=False),
        sa.PrimaryKeyConstraint('doc_id', name=op.f('pk_search_documents')),
    )
    op.create_index('ix_search_documents_search', 'search_documents', ['search'], postgresql_using='gin')
    # Related specs search spec documents only: a partial index of those keeps it off the 100,000 comments.
    op.create_index('ix_search_documents_spec_search', 'search_documents', ['search'], postgresql_using='gin',
                    postgresql_where=sa.text("kind = 'spec'"))
    op.create_index('ix_search_documents_spec_id', 'search_documents', ['spec_id'])
    op.create_index('ix_search_documents_project', 'search_documents', ['project'])
    op.create_index('ix_search_documents_created_at', 'search_documents', ['created_at'])
    op.create_table(
        'search_terms',
        sa.Column('term', sa.String(length=64), nullable=False),
        sa.Column('docs', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('term', name=op.f('pk_search_terms')),
    )
    if _can_use_pg_trgm():
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.execute('CREATE INDEX ix_search_terms_term_trgm ON search_terms USING gin (term gin_trgm_ops)')


def _can_use_pg_trgm() -> bool:
    """Installed already, or available and this role may create extensions in the database."""
    return bool(op.get_bind().scalar(sa.text(
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') OR ("
        " EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')"
        " AND has_database_privilege(current_user, current_database(), 'CREATE'))"
    )))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        # pg_trgm stays: other databases objects may use it, and it holds no data.
        op.drop_table('search_terms')
        op.drop_table('search_documents')
    op.drop_table('saved_searches')
