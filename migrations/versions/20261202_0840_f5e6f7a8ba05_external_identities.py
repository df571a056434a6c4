"""external identities: OpenID Connect and LDAP links

``external_identities`` links a user to an OpenID Connect ``sub`` (per
issuer) or an LDAP entry's DN (per directory host). ``users.email`` becomes
nullable: an account made by an external sign-in may have no address (or
one that a local account already uses, which is never merged). Two nullable
columns say when a group/claim mapping decides a user's role or PTL duties.

All additive: the previous release keeps working (it never writes a NULL
email; it shows an empty one).

SQLite cannot drop a NOT NULL in place and a batch copy of ``users`` would
fire the ON DELETE CASCADEs of sessions, tokens and PTL duties (foreign keys
are on, and cannot be turned off inside the migration's transaction). So the
column's definition is edited in ``sqlite_schema`` with the procedure SQLite
documents for changes that leave the stored rows untouched ("removing ...
NOT NULL constraints", https://sqlite.org/lang_altertable.html, section 7).

Revision ID: f5e6f7a8ba05
Revises: f4d5e6f7a904
Create Date: 2026-12-02 08:40:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'f5e6f7a8ba05'
down_revision: str | None = 'f4d5e6f7a904'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


EMAIL_NOT_NULL = "email VARCHAR(254) NOT NULL"
EMAIL_NULL = "email VARCHAR(254)"


def _sqlite_edit_users_sql(old: str, new: str) -> None:
    """Rewrite one column definition of ``users`` in the schema (rows unchanged), as sqlite.org documents."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'").scalar()
    if old not in sql:
        raise RuntimeError(f"users table definition has no '{old}'; cannot change it: {sql}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'users'", (sql.replace(old, new, 1),)
    )
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def upgrade() -> None:
    op.create_table('external_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('label', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('oidc', 'ldap')", name=op.f('ck_external_identities_kind')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_external_identities_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_identities')),
    sa.UniqueConstraint('kind', 'issuer', 'subject', name=op.f('uq_external_identities_kind_issuer_subject'))
    )
    op.create_index(op.f('ix_external_identities_user_id'), 'external_identities', ['user_id'], unique=False)
    # Nullable columns: ADD COLUMN without a table rewrite on both databases.
    op.add_column('users', sa.Column('role_source', sa.String(length=8), nullable=True))
    op.add_column('users', sa.Column('duties_source', sa.String(length=8), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_edit_users_sql(EMAIL_NOT_NULL, EMAIL_NULL)
    else:
        op.alter_column('users', 'email', existing_type=sa.String(length=254), nullable=True)


def downgrade() -> None:
    # Accounts without an address get a unique placeholder the previous release accepts.
    op.execute("UPDATE users SET email = username || '@no-email.invalid' WHERE email IS NULL")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_edit_users_sql(EMAIL_NULL, EMAIL_NOT_NULL)
        # Not a batch copy (see above). SQLite >= 3.35 drops columns in place.
        op.execute("ALTER TABLE users DROP COLUMN duties_source")
        op.execute("ALTER TABLE users DROP COLUMN role_source")
    else:
        op.alter_column('users', 'email', existing_type=sa.String(length=254), nullable=False)
        op.drop_column('users', 'duties_source')
        op.drop_column('users', 'role_source')
    op.drop_index(op.f('ix_external_identities_user_id'), table_name='external_identities')
    op.drop_table('external_identities')
