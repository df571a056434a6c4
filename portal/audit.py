"""The audit log: who did what security-relevant thing, from where."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import AuditLog, User


def audit(
    session: Session,
    actor: User | None,
    action: str,
    *,
    target_type: str = "",
    target_id: object = "",
    address: str = "",
    **details: Any,
) -> None:
    """Add an audit row in the caller's transaction. Never put secrets in ``details``."""
    session.add(
        AuditLog(
            actor_id=actor.id if actor is not None else None,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            address=address[:64],
            details=details,
        )
    )


def entries_about(
    session: Session, target_type: str, target_id: object, *, limit: int = 10
) -> list[tuple[AuditLog, str | None]]:
    """The newest audit rows about one thing with their actor's user name (``None``: the command line).

    An admin's page shows who changed it, and when; one query.
    """
    rows = session.execute(
        select(AuditLog, User.username)
        .outerjoin(User, User.id == AuditLog.actor_id)
        .where(AuditLog.target_type == target_type, AuditLog.target_id == str(target_id))
        .order_by(AuditLog.id.desc())
        .limit(limit)
    )
    return [(entry, username) for entry, username in rows]
