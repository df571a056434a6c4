"""The timeline pages by thread: newest thread first, a reply never parted from its thread, hidden and deleted ones."""

from __future__ import annotations

from datetime import timedelta

from portal.clock import now
from portal.discussion import service as discussion
from portal.specs.detail import get_spec
from portal.specs.timeline import timeline_page


def spec_of(db, cast):
    db.expire_all()
    return get_spec(db, "nova", cast.spec.name)


def texts(entries) -> list[str]:
    return [e.comment.body if e.comment is not None else e.kind for e in entries]


def test_an_answer_brings_its_thread_back_to_the_top_with_all_its_replies(db, cast):
    base = now() + timedelta(minutes=1)
    old = discussion.add_comment(db, cast.rey, cast.spec, "Old question", created_at=base)
    for n in range(6):
        discussion.add_comment(db, cast.carlos, cast.spec, f"Thread {n}", created_at=base + timedelta(minutes=n + 1))
    discussion.add_comment(db, cast.pat, cast.spec, "Answer", in_reply_to=old.id,
                           created_at=base + timedelta(minutes=30))
    discussion.add_comment(db, cast.rey, cast.spec, "Thanks", in_reply_to=old.id,
                           created_at=base + timedelta(minutes=31))

    first = timeline_page(db, spec_of(db, cast), 1, per_page=3)

    assert texts(first.entries) == ["Old question", "Thread 5", "Thread 4"]
    assert texts(first.entries[0].replies) == ["Answer", "Thanks"]  # oldest reply first, on the same page
    assert first.total == 7 + 1 and first.comment_count == 9  # 7 threads and the spec file; 9 comments
    last = timeline_page(db, spec_of(db, cast), 3, per_page=3)
    assert texts(last.entries) == ["Thread 0", "revision"]


def test_a_reply_to_a_reply_names_the_comment_it_answers(db, cast):
    root = discussion.add_comment(db, cast.rey, cast.spec, "Q")
    a = discussion.add_comment(db, cast.pat, cast.spec, "A", in_reply_to=root.id)
    discussion.add_comment(db, cast.carlos, cast.spec, "A?", in_reply_to=a.id)

    thread = timeline_page(db, spec_of(db, cast)).entries[0]

    assert thread.replies[0].in_reply_to is None  # answers the thread's first comment
    assert thread.replies[1].in_reply_to is thread.replies[0]
    assert thread.replies[1].title == "carlos replied"


def test_a_deleted_first_comment_leaves_a_placeholder_for_its_replies(db, cast):
    root = discussion.add_comment(db, cast.rey, cast.spec, "Regrettable")
    discussion.add_comment(db, cast.pat, cast.spec, "Still useful", in_reply_to=root.id)
    lonely = discussion.add_comment(db, cast.rey, cast.spec, "Alone")
    discussion.delete_comment(db, cast.rey, root, cast.spec)
    discussion.delete_comment(db, cast.rey, lonely, cast.spec)

    entries = timeline_page(db, spec_of(db, cast)).entries

    assert [e.placeholder for e in entries if e.kind == "comment"] == ["deleted"]  # "Alone" is simply gone
    assert entries[0].body_html == "" and texts(entries[0].replies) == ["Still useful"]


def test_hidden_comments_are_left_out_for_readers_and_marked_for_moderators(db, cast):
    spam = discussion.add_comment(db, cast.carlos, cast.spec, "Spam")
    root = discussion.add_comment(db, cast.rey, cast.spec, "Question")
    discussion.add_comment(db, cast.carlos, cast.spec, "Spam reply", in_reply_to=root.id)
    reply_spam = discussion.add_comment(db, cast.carlos, cast.spec, "More spam", in_reply_to=root.id)
    discussion.hide_comment(db, cast.pat, spam, cast.spec)
    discussion.hide_comment(db, cast.pat, reply_spam, cast.spec)

    reader = timeline_page(db, spec_of(db, cast))
    moderator = timeline_page(db, spec_of(db, cast), moderator=True)

    assert texts(reader.entries) == ["Question", "revision"] and texts(reader.entries[0].replies) == ["Spam reply"]
    assert reader.comment_count == 2
    assert texts(moderator.entries) == ["Question", "Spam", "revision"]
    assert moderator.entries[1].hidden and texts(moderator.entries[0].replies) == ["Spam reply", "More spam"]


def test_each_page_costs_three_queries_whatever_the_replies(db, cast, count_queries):
    for n in range(20):
        root = discussion.add_comment(db, cast.rey, cast.spec, f"Root {n}")
        for m in range(n % 4):
            discussion.add_comment(db, cast.carlos, cast.spec, f"Reply {n}.{m}", in_reply_to=root.id)
    spec = spec_of(db, cast)
    for page in (1, 2, 3):
        with count_queries() as q:
            timeline_page(db, spec, page, per_page=8)
        assert q.count == 3, q.statements
