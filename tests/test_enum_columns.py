"""Enum columns: rows read back as their enums, and a value outside the enum never reaches the database."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from portal.models import Event, EventKind, Role, Spec, SpecState, User


def test_rows_read_back_as_enum_members(db: Session, make_user, make_spec) -> None:
    make_user("rita", role="reviewer")
    spec = make_spec("live-resize")
    db.flush()
    db.expire_all()
    user = db.scalar(select(User).where(User.username == "rita"))
    assert user is not None and user.role is Role.REVIEWER
    assert db.get(Spec, spec.id).state in set(SpecState)  # type: ignore[union-attr]


def test_a_value_outside_the_enum_is_refused_with_the_allowed_ones(db: Session, make_user) -> None:
    user = make_user("rita")
    user.role = "superuser"  # type: ignore[assignment]
    with pytest.raises(StatementError, match="expected one of operator, reviewer, admin"):
        db.flush()
    db.rollback()


def test_an_unknown_stored_value_still_reads(db: Session) -> None:
    """A newer release may write a kind this one does not know (rolling deploys): reading must not crash."""
    db.execute(text("INSERT INTO events (kind, payload, backfill, created_at) "
                    "VALUES ('future.kind', '{}', false, CURRENT_TIMESTAMP)"))
    event = db.scalar(select(Event).order_by(Event.id.desc()).limit(1))
    assert event is not None and event.kind == "future.kind"
    assert event.kind not in set(EventKind)
