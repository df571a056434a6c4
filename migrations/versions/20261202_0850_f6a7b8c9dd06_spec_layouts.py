"""spec layouts: deliverables, more states, real dates

Revision ID: f6a7b8c9dd06
Revises: f5e6f7a8ba05
Create Date: 2026-12-02 08:50:00+00:00

Rules for every revision:
- Stay compatible with the previous release of the code (deploys are rolling).
- Work on SQLite (batch mode) and PostgreSQL; keep locks short.
- Write a downgrade that really reverses the upgrade.

Adds the layout attributes (deliverable, grouping), the document's own dates
and two spec states (not_implemented, retired). The state CHECK constraint
changes, which SQLite can only do by rebuilding ``specs``: foreign keys are
switched off for the run (migrations/env.py), or dropping the old table would cascade to every row that
references a spec. The previous release reads the new columns as unknown
and never writes the new states; a spec imported as ``not_implemented`` by
the new release reads as an unknown state in an old worker, so finish a
rolling deploy before re-importing trees.
The downgrade maps the new states back to the nearest old ones
(not_implemented → backlog, retired → abandoned).
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = 'f6a7b8c9dd06'
down_revision: str | None = 'f5e6f7a8ba05'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OLD_STATES = ('proposed', 'approved', 'implemented', 'backlog', 'abandoned')
NEW_STATES = OLD_STATES + ('not_implemented', 'retired')


def _states(states: tuple[str, ...]) -> str:
    return "state IN (" + ", ".join(f"'{s}'" for s in states) + ")"


def _foreign_keys(on: bool) -> None:
    """Refuse to rebuild ``specs`` on SQLite while foreign keys are enforced and specs exist.

    migrations/env.py switches SQLite's foreign keys off for a whole migration
    run on its own connection (the PRAGMA only works outside a transaction),
    so DROP TABLE during the rebuild cannot cascade to every revision, comment
    and answer. A caller that runs migrations inside its own transaction (the
    test suite, on an empty database) cannot switch them off: that is safe
    only while no spec exists.
    """
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite' or on:
        return
    enforced = bind.exec_driver_sql("PRAGMA foreign_keys").scalar()
    rows = bind.exec_driver_sql("SELECT count(*) FROM specs").scalar()
    if enforced and rows:
        raise RuntimeError(
            "This migration rebuilds the specs table and needs SQLite's foreign keys off: "
            "run it with `portal db upgrade`, not inside another transaction."
        )


def upgrade() -> None:
    with op.batch_alter_table('spec_revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deliverable', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('grouping', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True))
    _foreign_keys(False)
    with op.batch_alter_table('specs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deliverable', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('grouping', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('doc_created_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('doc_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(op.f('ck_specs_state'), type_='check')
        batch_op.create_check_constraint('state', _states(NEW_STATES))
    _foreign_keys(True)


def downgrade() -> None:
    op.execute("UPDATE specs SET state = 'backlog' WHERE state = 'not_implemented'")
    op.execute("UPDATE specs SET state = 'abandoned' WHERE state = 'retired'")
    op.execute("UPDATE spec_revisions SET state = 'backlog' WHERE state = 'not_implemented'")
    op.execute("UPDATE spec_revisions SET state = 'abandoned' WHERE state = 'retired'")
    _foreign_keys(False)
    with op.batch_alter_table('specs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_specs_state'), type_='check')
        batch_op.create_check_constraint('state', _states(OLD_STATES))
        batch_op.drop_column('doc_changed_at')
        batch_op.drop_column('doc_created_at')
        batch_op.drop_column('grouping')
        batch_op.drop_column('deliverable')
    _foreign_keys(True)
    with op.batch_alter_table('spec_revisions', schema=None) as batch_op:
        batch_op.drop_column('changed_at')
        batch_op.drop_column('grouping')
        batch_op.drop_column('deliverable')
