"""A PTL's answer to operator demand on a spec: "acknowledged" or "planned for <release>".

Rows are history: an answer is never overwritten, the newest row of a spec
is what operators see on the spec page.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from portal import events, permissions
from portal.clock import now
from portal.errors import InvalidInput
from portal.models import AckKind, Acknowledgement, Project, Spec, User

MAX_NOTE_CHARS = 4000
RELEASE = re.compile(r"[0-9]{4}\.[0-9]|[a-z]{3,16}")


@dataclass(frozen=True, slots=True)
class AckView:
    kind: str
    release: str | None
    note: str
    by: str  # the PTL's name shown ("" when the account is gone)
    at: datetime

    @property
    def text(self) -> str:
        return f"Planned for {self.release}" if self.kind == AckKind.PLANNED.value else "Acknowledged"


def parse_kind(value: object) -> AckKind:
    try:
        return AckKind(str(value or "").strip())
    except ValueError:
        allowed = ", ".join(k.value for k in AckKind)
        raise InvalidInput(f"Unknown answer '{str(value)[:40]}': use one of {allowed}.",
                           {"kind": f"one of {allowed}"}) from None


def acknowledge(session: Session, actor: User | None, project: Project, spec: Spec, kind: AckKind,
                release: str | None, note: str) -> Acknowledgement:
    """Record a PTL's answer on ``spec`` (``release`` is needed for ``planned``)."""
    permissions.require(permissions.can_acknowledge(actor, project))
    assert actor is not None
    release = (release or "").strip().lower() or None
    if kind == AckKind.PLANNED and release is None:
        raise InvalidInput("Say which release it is planned for, e.g. 2026.2.", {"release": "required"})
    if release is not None and not RELEASE.fullmatch(release):
        raise InvalidInput(f"'{release[:40]}' is not a release: write it as OpenStack names it, e.g. 2026.2.",
                           {"release": "a release such as 2026.2"})
    note = (note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidInput(f"The note is {len(note)} characters long; the limit is {MAX_NOTE_CHARS}.",
                           {"note": "too long"})
    row = Acknowledgement(spec_id=spec.id, user_id=actor.id, kind=kind,
                          release=release if kind == AckKind.PLANNED else None, note=note, created_at=now())
    session.add(row)
    session.flush()
    events.record(session, events.EventKind.PTL_ACKNOWLEDGED, project_id=spec.project_id, spec_id=spec.id,
                  actor_id=actor.id, note=note, answer=kind.value, release=row.release)
    return row


_LATEST = (
    select(Acknowledgement.spec_id, Acknowledgement.kind, Acknowledgement.release, Acknowledgement.note,
           func.coalesce(func.nullif(User.display_name, ""), User.username, ""), Acknowledgement.created_at)
    .outerjoin(User, User.id == Acknowledgement.user_id)
    .where(Acknowledgement.id.in_(
        select(func.max(Acknowledgement.id)).where(Acknowledgement.spec_id.in_(
            bindparam("ids", expanding=True)))
        .group_by(Acknowledgement.spec_id).scalar_subquery()
    ))
)


def load_latest(session: Session, spec_ids: Collection[int]) -> dict[int, AckView]:
    """The current answer per spec, one query; specs without one are absent."""
    if not spec_ids:
        return {}
    return {
        spec_id: AckView(str(kind), release, note, by or "", at)
        for spec_id, kind, release, note, by, at in session.execute(_LATEST, {"ids": list(spec_ids)})
    }


def history(session: Session, spec_id: int) -> list[AckView]:
    """Every answer on a spec, newest first."""
    rows = session.execute(
        select(Acknowledgement.kind, Acknowledgement.release, Acknowledgement.note,
               func.coalesce(func.nullif(User.display_name, ""), User.username, ""), Acknowledgement.created_at)
        .outerjoin(User, User.id == Acknowledgement.user_id)
        .where(Acknowledgement.spec_id == spec_id).order_by(Acknowledgement.id.desc())
    )
    return [AckView(str(k), r, n, b or "", at) for k, r, n, b, at in rows]
