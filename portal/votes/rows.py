"""The dashboard's rows: one page of the ranking, then one loader per column (the list pattern).

Queries: the ranking (two: the page's ids with scores, then their counts
per priority), then spec fields, review state, checklist gaps, comment
counts and PTL answers for the page's ids (one each): seven whatever the
page size or the number of votes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from portal.checklist import views as checklist
from portal.checklist.views import Gap
from portal.specs import listing
from portal.votes import acknowledgements
from portal.votes.acknowledgements import AckView
from portal.votes.demand import DemandFilter, DemandPage, ReviewState, load_review_states, rank
from portal.votes.service import Tally


@dataclass(frozen=True, slots=True)
class DemandRow:
    rank: int
    spec_id: int
    name: str
    title: str
    state: str
    release: str | None
    score: float
    tally: Tally
    review: ReviewState | None
    gaps: tuple[Gap, ...]
    comments: int
    acknowledgement: AckView | None

    def as_json(self) -> dict[str, Any]:
        """The API's item (``GET /projects/<p>/demand``), also the base of the exports."""
        ack = self.acknowledgement
        return {
            "rank": self.rank,
            "name": self.name,
            "title": self.title,
            "state": self.state,
            "release": self.release,
            "score": self.score,
            "votes": self.tally.as_json(),
            "review_state": self.review.as_json() if self.review else None,
            "gaps": [{"key": g.key, "kind": g.kind} for g in self.gaps],
            "comments": self.comments,
            "acknowledgement": (
                {"kind": ack.kind, "release": ack.release, "note": ack.note, "by": ack.by, "at": ack.at.isoformat()}
                if ack else None
            ),
        }


@dataclass(frozen=True)
class DemandRows:
    page: DemandPage
    items: list[DemandRow]


def demand_rows(session: Session, project_id: int, flt: DemandFilter) -> DemandRows:
    page = rank(session, project_id, flt)
    ids = page.ids
    briefs = listing.load_briefs(session, ids)
    reviews = load_review_states(session, ids)
    gaps = checklist.load_briefs(session, ids)
    comments = listing.load_comment_counts(session, ids)
    acks = acknowledgements.load_latest(session, ids)
    first = (page.page - 1) * page.per_page + 1
    items = []
    for offset, ranked in enumerate(page.items):
        brief = briefs[ranked.spec_id]
        gap = gaps.get(ranked.spec_id)
        items.append(DemandRow(
            rank=first + offset, spec_id=ranked.spec_id, name=brief.name, title=brief.title,
            state=str(brief.state), release=brief.release, score=ranked.score, tally=ranked.tally,
            review=reviews.get(ranked.spec_id), gaps=gap.gaps if gap else (),
            comments=comments.get(ranked.spec_id, 0), acknowledgement=acks.get(ranked.spec_id),
        ))
    return DemandRows(page, items)
