"""The reviewers' queue (page and API), resolved concerns and the answer messages next to the item."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.checklist import queue, service
from portal.models import SpecRevision
from tests.checklist import DRAIN_SECTIONS
from tests.support.factories import login
from tests.support.html import csrf_token, text_of


@pytest.fixture
def specs(db, make_project, make_spec, make_user):
    """nova: drain (unreviewed), tidy (reviewed); glance: cache (unreviewed, 2024.1)."""
    nova, glance = make_project("nova"), make_project("glance")
    drain = make_spec("compute-drain", project=nova, title="Compute drain mode", **DRAIN_SECTIONS)
    tidy = make_spec("tidy-spec", project=nova, title="Tidy spec", **{"Testing": "Unit tests."})
    cache = make_spec("cache-nodes", project=glance, release="2024.1", title="Cache nodes",
                      **{"Proposed change": "A new API lists the nodes caching an image."})
    for spec in (drain, tidy, cache):
        service.refresh_prefill(db, spec)
    rita = make_user("rita", role="reviewer")
    service.answer(db, rita, tidy, "testing", "addressed", "")
    db.flush()
    return {"drain": drain, "tidy": tidy, "cache": cache, "nova": nova}


def names(page: queue.QueuePage) -> list[str]:
    return [row.spec.name for row in page.rows]


def test_queue_lists_unreviewed_specs_newest_revision_first_and_filters(db, specs) -> None:
    page = queue.review_queue(db, queue.QueueFilter())
    assert names(page) == ["cache-nodes", "compute-drain"]  # tidy-spec was reviewed; newest first
    assert page.rows[0].reasons == ("unreviewed",)
    assert names(queue.review_queue(db, queue.QueueFilter(projects=("nova",)))) == ["compute-drain"]
    assert names(queue.review_queue(db, queue.QueueFilter(release="2024.1"))) == ["cache-nodes"]
    # Item: the spec still needs a reviewer's answer on it.
    assert names(queue.review_queue(db, queue.QueueFilter(item="upgrade"))) == ["cache-nodes", "compute-drain"]


def test_a_stale_answer_puts_a_reviewed_spec_back_in_the_queue(db, specs, make_spec) -> None:
    tidy = specs["tidy"]
    # A new revision changes the Testing section the reviewer's answer rests on.
    make_spec("tidy-spec", project=specs["nova"], title="Tidy spec", **{"Testing": "No tests at all."})
    revisions = list(db.scalars(select(SpecRevision).where(SpecRevision.spec_id == tidy.id)))
    service.refresh_prefill(db, tidy, revisions)
    db.flush()
    page = queue.review_queue(db, queue.QueueFilter(projects=("nova",)))
    row = next(r for r in page.rows if r.spec.name == "tidy-spec")
    assert row.reasons == ("stale",) and row.stale_count == 1


def test_queue_query_count_does_not_grow_with_the_page(db, specs, make_spec, count_queries) -> None:
    with count_queries() as small:
        queue.review_queue(db, queue.QueueFilter())
    project = specs["nova"]
    for n in range(12):
        service.refresh_prefill(db, make_spec(f"more-{n}", project=project, **{"Testing": "Unit tests."}))
    db.flush()
    with count_queries() as large:
        page = queue.review_queue(db, queue.QueueFilter())
    assert len(page.rows) == 14
    assert large.count == small.count == 2  # count + rows, whatever the page size


def test_queue_page_for_reviewers(client, db, specs) -> None:
    login(client, "rita")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/review-queue"' in home  # linked for reviewers
    html = client.get("/review-queue?project=nova&project=glance").get_data(as_text=True)
    text = text_of(html)
    assert "2 specs to review" in text
    assert text.index("Cache nodes") < text.index("Compute drain mode")
    assert "Tidy spec" not in text
    assert "/projects/glance/specs/cache-nodes#checklist" in html
    bad = client.get("/review-queue?item=nope")
    assert bad.status_code == 200
    assert "Unknown checklist item 'nope'" in text_of(bad.get_data(as_text=True))


def test_operators_get_no_queue_link(client, db, specs, make_user) -> None:
    make_user("rey", role="operator")
    login(client, "rey")
    assert 'href="/review-queue"' not in client.get("/").get_data(as_text=True)


def test_queue_api_uses_the_list_envelope(client, db, specs) -> None:
    response = client.get("/api/v1/review-queue?project=nova,glance&per_page=1")
    assert response.status_code == 200
    body = response.get_json()
    assert body["meta"] == {"page": 1, "per_page": 1, "total": 2, "pages": 2}
    assert [i["name"] for i in body["items"]] == ["cache-nodes"]
    assert body["items"][0]["reasons"] == ["unreviewed"]
    assert body["links"]["next"] and "page=2" in body["links"]["next"]
    error = client.get("/api/v1/review-queue?item=nope")
    assert error.status_code == 400
    assert "Allowed:" in error.get_json()["error"]["message"]


def test_a_confirmed_item_shows_the_prefill_concern_as_resolved(client, db, specs) -> None:
    login(client, "rita")
    page = client.get("/projects/nova/specs/compute-drain").get_data(as_text=True)
    response = client.post(
        "/projects/nova/specs/compute-drain/checklist/upgrade",
        data={"csrf_token": csrf_token(page), "upgrade-state": "addressed", "upgrade-note": "Expand/contract."},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#item-upgrade")  # back on the item
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    item_html = html[html.index('id="item-upgrade"'):]
    item_html = item_html[: item_html.index("</li>")]
    text = text_of(item_html)
    assert "Saved: “Upgrade” is now addressed." in text  # the message next to the item, with its title
    assert "resolved by rita" in text
    assert "The data model changes (a schema migration)" in text
    # The message is shown once.
    assert "Saved:" not in text_of(client.get("/projects/nova/specs/compute-drain").get_data(as_text=True))


def test_a_refused_answer_posts_to_the_item_anchor(client, db, specs) -> None:
    login(client, "rita")
    page = client.get("/projects/nova/specs/compute-drain").get_data(as_text=True)
    assert 'action="/projects/nova/specs/compute-drain/checklist/upgrade#item-upgrade"' in page
    response = client.post(
        "/projects/nova/specs/compute-drain/checklist/upgrade",
        data={"csrf_token": csrf_token(page), "upgrade-state": "concern", "upgrade-note": ""},
    )
    assert response.status_code == 400
    text = text_of(response.get_data(as_text=True))
    assert "Not saved: “Upgrade”:" in text
