"""What did not get delivered, for admins: permanent failures and deliveries still being retried.

A permanent failure (a 5xx reply, a refused recipient, a refused webhook
address) is not retried on its own: the user sees it on /subscriptions,
and the admin sees every user's here, with the server's reply, and can send
it again once the cause is fixed (a wrong From address, a full mailbox).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from portal.audit import audit
from portal.clock import now
from portal.errors import NotFound, PortalError
from portal.events.labels import label_for
from portal.models import Digest, Event, Notification, NotificationStatus, Project, Spec, User
from portal.permissions import can_manage_alerts, require

MAX_SHOWN = 100


@dataclass(frozen=True)
class Problem:
    """One notification that failed for good, or that failed and waits for its next try."""

    id: int
    username: str
    channel: str
    status: str  # "failed" or "pending" (being retried)
    what: str  # "New comment on" …
    project: str | None
    spec: str | None
    error: str
    attempts: int
    last_try: datetime | None
    next_try: datetime | None


@dataclass(frozen=True)
class ProblemSummary:
    failed: int
    retrying: int
    failed_digests: int
    shown: list[Problem]


def _problem_filter() -> ColumnElement[bool]:
    return or_(
        Notification.status == NotificationStatus.FAILED,
        (Notification.status == NotificationStatus.PENDING) & (Notification.attempts > 0),
    )


def delivery_problems(session: Session, *, limit: int = MAX_SHOWN) -> ProblemSummary:
    """The newest problems (two queries for the counts, one for the rows, whatever the number)."""
    counts = dict(
        session.execute(
            select(Notification.status, func.count()).where(_problem_filter()).group_by(Notification.status)
        ).all()
    )
    failed_digests = session.scalar(select(func.count()).where(Digest.status == NotificationStatus.FAILED)) or 0
    rows = session.execute(
        select(
            Notification.id, User.username, Notification.channel, Notification.status, Event.kind,
            Project.name, Spec.name, Notification.last_error, Notification.attempts, Notification.claimed_at,
            Notification.next_attempt_at,
        )
        .join(User, User.id == Notification.user_id)
        .join(Event, Event.id == Notification.event_id)
        .outerjoin(Project, Project.id == Event.project_id)
        .outerjoin(Spec, Spec.id == Event.spec_id)
        .where(_problem_filter())
        .order_by(Notification.id.desc())
        .limit(limit)
    ).all()
    shown = [
        Problem(
            id=r[0], username=r[1], channel=str(r[2]), status=str(r[3]), what=label_for(str(r[4])).one,
            project=r[5], spec=r[6], error=r[7] or "", attempts=r[8], last_try=r[9],
            next_try=r[10] if str(r[3]) == NotificationStatus.PENDING else None,
        )
        for r in rows
    ]
    return ProblemSummary(
        failed=int(counts.get(NotificationStatus.FAILED, 0)),
        retrying=int(counts.get(NotificationStatus.PENDING, 0)),
        failed_digests=int(failed_digests),
        shown=shown,
    )


def retry(session: Session, actor: User | None, notification_id: int) -> Notification:
    """Queue a permanently failed notification again (after the cause is fixed); its Message-ID stays."""
    require(can_manage_alerts(actor))
    row = session.get(Notification, notification_id)
    if row is None:
        raise NotFound(f"There is no notification #{notification_id}; the list may have changed: reload it.")
    if row.status != NotificationStatus.FAILED:
        raise PortalError(f"Notification #{notification_id} has not failed for good (it is {row.status}); "
                          "nothing to do.")
    row.status = NotificationStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = now()
    audit(session, actor, "notification.retried", target_type="notification", target_id=row.id,
          error=(row.last_error or "")[:300])
    session.flush()
    return row
