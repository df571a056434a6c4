"""The audit log: who did what security-relevant thing, from where."""

from __future__ import annotations

from typing import Any

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
