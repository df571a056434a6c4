"""Anonymous project pages are served from a per-worker cache until anything changes."""

from __future__ import annotations

import re

from portal.discussion.service import add_comment
from portal.models import SpecState
from tests.support.factories import login
from tests.support.html import text_of


def test_a_repeated_anonymous_request_is_served_from_the_cache(client, db, make_project, make_spec, count_queries):
    nova = make_project("nova")
    for n in range(5):
        make_spec(f"spec-{n}", project=nova)
    first = client.get("/projects/nova")
    with count_queries() as again:
        second = client.get("/projects/nova")
    assert second.status_code == 200
    assert second.get_data() == first.get_data()
    assert again.count == 1  # only the "has anything changed?" check


def test_any_recorded_change_shows_at_once(client, db, make_project, make_spec, make_user):
    nova = make_project("nova")
    spec = make_spec("compute-drain", project=nova, title="Compute drain mode")
    client.get("/projects/nova")
    add_comment(db, make_user("rey"), spec, "What happens to in-flight migrations?")
    db.flush()
    html = client.get("/projects/nova").get_data(as_text=True)
    assert re.search(r'<td class="text-end[^"]*">1</td>', html)  # the new comment is counted


def test_logged_in_readers_and_filters_are_not_mixed_up(
    client, db, make_project, make_spec, make_user, count_queries
) -> None:
    nova = make_project("nova")
    make_spec("compute-drain", project=nova, title="Compute drain mode", state=SpecState.APPROVED)
    make_user("rey", display_name="Rey Operator")
    client.get("/projects/nova")
    client.get("/projects/nova?state=implemented")
    filtered = text_of(client.get("/projects/nova?state=implemented").get_data(as_text=True))
    assert "No specs match" in filtered  # a different URL is a different page
    login(client, "rey")
    with count_queries() as q:
        mine = client.get("/projects/nova").get_data(as_text=True)
    assert "Rey Operator" in mine
    assert q.count > 1  # rendered for this reader, not taken from the anonymous cache
