"""Links by hand on the spec page: reviewers and admins add and remove them; operators only read them."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.importers.outside.meeting_import import import_logs, local_logs
from portal.models import Comment, DiscussionLink, Project, Spec, User
from tests.outside.meeting_support import FIXTURES, make_labelled_specs
from tests.support.factories import login
from tests.support.html import csrf_token

SPEC = "/projects/nova/specs/vm-live-resize"
WRONG = "nova/2025/nova.2025-03-13-16.00.log.txt#3"  # "Live migration": links vm-live-resize by a review URL


def _setup(db: Session, make_project: Callable[..., Project], make_spec: Callable[..., Spec]) -> dict[str, Spec]:
    specs = make_labelled_specs(db, make_project, make_spec)
    import_logs(db, local_logs(FIXTURES), commit=db.flush)
    db.flush()
    return specs


def test_reviewer_removes_a_wrong_link_and_adds_the_right_one_by_log_address(
    db: Session, client: FlaskClient, make_project: Callable[..., Project], make_spec: Callable[..., Spec],
    make_user: Callable[..., User], count_queries: Callable[..., object]
) -> None:
    specs = _setup(db, make_project, make_spec)
    make_user("rev", role="reviewer")
    login(client, "rev")
    page = client.get(SPEC).get_data(as_text=True)
    assert "Outside discussions" in page
    assert "nova meeting 2025-03-13: Live migration" in page and "Why: review URL of change 934211 on line 9" in page
    [action] = [a for a in re.findall(r'action="([^"]+/remove)"', page)
                if a.endswith(f"/{_link_id(db, specs['nova/vm-live-resize'], WRONG)}/remove")]
    answer = client.post(action, data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    html = answer.get_data(as_text=True)
    assert "Link removed" in html and "Removed links (1)" in html
    assert "Why: review URL of change 934211 on line 9" not in html

    sriov = "/projects/nova/specs/sriov-live-migration"
    page = client.get(sriov).get_data(as_text=True)
    log = "https://meetings.opendev.org/meetings/nova/2025/nova.2025-03-13-16.00.log.html#l-9"
    answer = client.post(f"{sriov}/outside-links", data={"csrf_token": csrf_token(page), "ref": log},
                         follow_redirects=True)
    html = answer.get_data(as_text=True)
    assert "Linked: linked by hand by rev" in html
    assert "SR-IOV live migration is blocked on neutron" in html  # the topic's comment, now on this spec
    comments = db.query(Comment).filter(Comment.spec_id == specs["nova/sriov-live-migration"].id).all()
    assert any("Live migration" in c.body for c in comments)

    again = client.post(f"{sriov}/outside-links", data={"csrf_token": csrf_token(html), "ref": log},
                        follow_redirects=True).get_data(as_text=True)
    assert "is linked to this spec already" in again
    unknown = client.post(f"{sriov}/outside-links", data={"csrf_token": csrf_token(again), "ref": "nope"},
                          follow_redirects=True).get_data(as_text=True)
    assert "Not linked: No imported discussion is known as &#39;nope&#39;" in unknown


def test_operators_read_the_links_but_cannot_change_them_and_csrf_is_required(
    db: Session, client: FlaskClient, make_project: Callable[..., Project], make_spec: Callable[..., Spec],
    make_user: Callable[..., User]
) -> None:
    specs = _setup(db, make_project, make_spec)
    make_user("op", role="operator")
    login(client, "op")
    page = client.get(SPEC).get_data(as_text=True)
    assert "Why: name vm-live-resize in the topic line" in page or "Why: review URL" in page
    assert "Remove link" not in page and "Link an imported discussion" not in page
    link_id = _link_id(db, specs["nova/vm-live-resize"], WRONG)
    token = csrf_token(client.get("/account").get_data(as_text=True))
    refused = client.post(f"{SPEC}/outside-links/{link_id}/remove", data={"csrf_token": token})
    assert refused.status_code == 403
    assert db.get(DiscussionLink, link_id).removed_at is None  # type: ignore[union-attr]
    admin = client.application.test_client()
    make_user("admin1", role="admin")
    login(admin, "admin1")
    no_token = admin.post(f"{SPEC}/outside-links/{link_id}/remove", data={})
    assert no_token.status_code == 400
    assert db.get(DiscussionLink, link_id).removed_at is None  # type: ignore[union-attr]


def test_the_card_costs_one_query(
    db: Session, client: FlaskClient, make_project: Callable[..., Project], make_spec: Callable[..., Spec],
    count_queries: Callable[..., object]
) -> None:
    from portal.importers.outside.store import spec_links

    specs = _setup(db, make_project, make_spec)
    with count_queries() as counter:  # type: ignore[attr-defined]
        rows = spec_links(db, specs["nova/vm-live-resize"])
    assert len(rows) >= 4 and counter.count == 1


def _link_id(db: Session, spec: Spec, external_id: str) -> int:
    from portal.models import OutsideDiscussion

    return db.query(DiscussionLink.id).join(OutsideDiscussion).filter(
        DiscussionLink.spec_id == spec.id, OutsideDiscussion.external_id == external_id).scalar()  # type: ignore[no-any-return]
