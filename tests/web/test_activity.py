"""The home page's activity feed: what happened, newest first, runs grouped."""

from __future__ import annotations

from portal.discussion.service import add_comment
from tests.support.html import text_of


def test_a_run_of_comments_on_one_spec_reads_as_one_line(client, db, make_spec, make_user) -> None:
    rey = make_user("rey")
    drain = make_spec("compute-drain", title="Compute drain mode")
    other = make_spec("metrics-exporter", title="Metrics exporter")
    for n in range(3):
        add_comment(db, rey, drain, f"Question {n} about draining")
    add_comment(db, rey, other, "One question")
    db.flush()
    text = text_of(client.get("/").get_data(as_text=True))
    feed = text[text.index("Recent activity"):]
    assert feed.index("New comment on Metrics exporter") < feed.index("3 new comments on Compute drain mode")
    assert "New spec Compute drain mode" in feed
