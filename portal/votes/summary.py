"""What the spec page's vote control shows, read in one query.

The tally, the reader's own vote (to prefill the form), the PTL's current
answer and the voters' context *aggregated* (how many votes come from
which release, size band and tool: what everyone may see) come back as
rows of one ``UNION ALL``, told apart by their first column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, bindparam, func, literal, null, select, type_coerce, union_all
from sqlalchemy.orm import Session

from portal.db.base import UTCDateTime
from portal.models import Acknowledgement, User, Vote
from portal.votes.acknowledgements import AckView
from portal.votes.service import Tally, tally_from_rows

SPEC = bindparam("spec_id", type_=Integer)
ME = bindparam("user_id", type_=Integer)


def _row(kind: str, key: Any, flag: Any, count: Any, text: Any = None, links: Any = None, extra: Any = None,
         at: Any = None) -> list[Any]:
    return [
        literal(kind, String).label("kind"),
        type_coerce(key, String).label("key"),
        type_coerce(flag if flag is not None else null(), Boolean).label("flag"),
        count.label("n"),
        type_coerce(text if text is not None else null(), String).label("text"),
        type_coerce(links if links is not None else null(), JSON).label("links"),
        type_coerce(extra if extra is not None else null(), String).label("extra"),
        type_coerce(at if at is not None else null(), UTCDateTime()).label("at"),
    ]


_AGGREGATES = {"r": Vote.ctx_release, "h": Vote.ctx_hypervisors, "p": Vote.ctx_projects, "d": Vote.ctx_tool}

def _build() -> Any:
    who_none = type_coerce(null(), String).label("who")
    branches = [
        select(*_row("t", Vote.priority, Vote.affects_me, func.count()), who_none)
        .where(Vote.spec_id == SPEC).group_by(Vote.priority, Vote.affects_me),
        select(*_row("m", Vote.priority, Vote.affects_me, literal(1, Integer), Vote.reason, Vote.links, None,
                     Vote.updated_at), who_none)
        .where(Vote.spec_id == SPEC, Vote.user_id == ME),
        select(*_row("a", Acknowledgement.kind, None, literal(1, Integer), Acknowledgement.note, None,
                     Acknowledgement.release, Acknowledgement.created_at),
               func.coalesce(func.nullif(User.display_name, ""), User.username, "").label("who"))
        .outerjoin(User, User.id == Acknowledgement.user_id)
        .where(Acknowledgement.id == select(func.max(Acknowledgement.id))
               .where(Acknowledgement.spec_id == SPEC).scalar_subquery()),
    ]
    for kind, column in _AGGREGATES.items():
        branches.append(
            select(*_row(kind, column, None, func.count()), who_none)
            .where(Vote.spec_id == SPEC, column != "").group_by(column)
        )
    return union_all(*branches)


_SUMMARY = _build()


@dataclass(frozen=True)
class MyVote:
    priority: str
    affects_me: bool
    reason: str
    links: list[str]
    updated_at: datetime | None


@dataclass(frozen=True)
class VoteSummary:
    """Everything the vote control needs; ``context`` holds counts only, never a voter."""

    tally: Tally = field(default_factory=Tally)
    mine: MyVote | None = None
    acknowledgement: AckView | None = None
    # "release" | "hypervisors" | "projects" | "tool" -> [(value, votes)], most votes first
    context: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


_CONTEXT_NAMES = {"r": "release", "h": "hypervisors", "p": "projects", "d": "tool"}


def vote_summary(session: Session, spec_id: int, user_id: int | None) -> VoteSummary:
    """The spec's vote summary for ``user_id`` (``None``: anonymous), one query."""
    tally_rows: list[tuple[str, bool, int]] = []
    mine = ack = None
    context: dict[str, list[tuple[str, int]]] = {}
    for kind, key, flag, n, text, links, extra, at, who in session.execute(
        _SUMMARY, {"spec_id": spec_id, "user_id": user_id if user_id is not None else -1}
    ):
        if kind == "t":
            tally_rows.append((str(key), bool(flag), int(n)))
        elif kind == "m":
            mine = MyVote(str(key), bool(flag), text or "", list(links or []), at)
        elif kind == "a":
            ack = AckView(str(key), extra, text or "", who or "", at)
        else:
            context.setdefault(_CONTEXT_NAMES[kind], []).append((str(key), int(n)))
    for values in context.values():
        values.sort(key=lambda pair: (-pair[1], pair[0]))
    return VoteSummary(tally_from_rows(tally_rows), mine, ack, context)
