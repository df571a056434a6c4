"""The spec page's review story: patch sets, each reviewer's latest label, approval with its "why"."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from portal.discussion.service import import_comment
from portal.models import CommentSource, GerritChange, GerritChangeSpec
from tests.support.html import text_of

APPROVED = datetime(2026, 2, 1, 17, 30, 12, tzinfo=UTC)


def add_change(db: Session, spec_id: int, number: int, *, approved: bool) -> GerritChange:
    change = GerritChange(
        spec_id=spec_id, repo="openstack/nova-specs", change_number=number, change_id=f"I{number}",
        status="MERGED" if approved else "NEW", subject=f"Spec change {number}", owner_name="Jane Dev",
        current_patch_set=3, url=f"https://review.example.org/c/openstack/nova-specs/+/{number}",
        labels=[{"label": "Code-Review", "value": -1, "by": "Grumpy Reviewer"},
                {"label": "Code-Review", "value": 2, "by": "Core One"},
                {"label": "Workflow", "value": 1, "by": "Core One"}] if approved else
               [{"label": "Code-Review", "value": 1, "by": "Ada"}],
        approved_by="Core One" if approved else None, approved_at=APPROVED if approved else None,
        topic="bp/review-story",
    )
    db.add(change)
    db.flush()
    db.add(GerritChangeSpec(gerrit_change_id=change.id, spec_id=spec_id))
    db.flush()
    return change


def test_the_spec_page_tells_who_approved_when_and_why(client, db, make_spec, make_project, count_queries) -> None:
    nova = make_project("nova", gerrit_repo="openstack/nova-specs")
    spec = make_spec("review-story", project=nova)
    add_change(db, spec.id, 4242, approved=True)
    import_comment(db, spec, source=CommentSource.GERRIT, external_id="gerrit:review.example.org/4242/abc",
                   author_name="Core One", body="Operators asked for this at the summit; approved.",
                   created_at=APPROVED, patch_set=3,
                   url="https://review.example.org/c/openstack/nova-specs/+/4242/3#message-abc")
    db.flush()
    with count_queries() as one:
        page = client.get("/projects/nova/specs/review-story")
    assert page.status_code == 200
    html = page.data.decode()
    text = text_of(html[html.index('id="review-story"'):html.index('id="history-heading"')])
    assert "Approved by Core One on 2026-02-01 17:30 UTC" in text
    assert "Why: Operators asked for this at the summit; approved." in text
    assert "Grumpy Reviewer: Code-Review -1" in text and "Core One: Code-Review +2 Workflow +1" in text
    assert "negative review" in text
    assert 'class="badge text-bg-danger me-1">Code-Review -1' in page.data.decode()

    for number in (4243, 4244, 4245):
        add_change(db, spec.id, number, approved=False)
    with count_queries() as more:
        assert client.get("/projects/nova/specs/review-story").status_code == 200
    assert more.count == one.count  # the story does not cost a query per change


def test_implementation_progress_is_listed_newest_first(client, db, make_spec, make_project) -> None:
    from portal.models import ImplementationChange

    nova = make_project("nova", gerrit_repo="openstack/nova-specs")
    spec = make_spec("progress-story", project=nova)
    for number, status, day in ((1, "MERGED", 1), (2, "NEW", 3), (3, "ABANDONED", 2)):
        db.add(ImplementationChange(spec_id=spec.id, repo="openstack/nova", change_number=number, status=status,
                                    subject=f"Part {number}", url=f"https://review.example.org/{number}",
                                    updated_at=datetime(2026, 3, day, tzinfo=UTC)))
    db.flush()
    html = client.get("/projects/nova/specs/progress-story").data.decode()
    section = text_of(html[html.index('id="implementation"'):html.index('id="history-heading"')])
    assert "1 merged, 1 open, 1 abandoned" in section
    assert section.index("Part 2") < section.index("Part 3") < section.index("Part 1")
