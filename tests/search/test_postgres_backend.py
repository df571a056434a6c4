"""The PostgreSQL backend, and the behaviour both backends must share, on the same small documents.

The cross-backend tests run each case against Whoosh and PostgreSQL (the
PostgreSQL ones skip on SQLite runs). PostgreSQL gets a scratch database
of its own, migrated and indexed once per session; tests that write use the
suite's rolled-back connection.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from portal.db import migrations
from portal.db.engine import make_engine
from portal.search import Kind, SearchBackend, SearchQuery
from portal.search.postgres_backend import PostgresBackend, WriterBusy
from portal.search.whoosh_backend import WhooshBackend
from tests.conftest import TEST_DATABASE_URL
from tests.search.test_whoosh_backend import DOCS, HOSTILE, doc
from tests.support.pg import scratch_database

NEEDS_PG = "needs PostgreSQL (PORTAL_TEST_DATABASE_URL): the postgres search backend exists only there"


def is_postgres() -> bool:
    return bool(TEST_DATABASE_URL) and make_url(TEST_DATABASE_URL).get_backend_name() == "postgresql"


@pytest.fixture(scope="session")
def pg_index() -> Iterator[PostgresBackend]:
    """DOCS in a scratch PostgreSQL database of their own, built once."""
    if not is_postgres():
        pytest.skip(NEEDS_PG)
    assert TEST_DATABASE_URL is not None
    with scratch_database(TEST_DATABASE_URL, "search") as url:
        migrations.upgrade(url)
        engine = make_engine(url)
        backend = PostgresBackend(sessionmaker(bind=engine))
        assert backend.rebuild(DOCS) == len(DOCS)
        yield backend
        engine.dispose()


@pytest.fixture(scope="session")
def whoosh_index(tmp_path_factory: pytest.TempPathFactory) -> WhooshBackend:
    backend = WhooshBackend(tmp_path_factory.mktemp("whoosh-shared") / "search")
    backend.rebuild(DOCS)
    return backend


@pytest.fixture(params=["whoosh", "postgres"])
def index(request: pytest.FixtureRequest) -> SearchBackend:
    """The same read-only documents in either backend."""
    name = "pg_index" if request.param == "postgres" else "whoosh_index"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@pytest.fixture
def pg(session_factory: sessionmaker[Session]) -> PostgresBackend:
    """An empty PostgreSQL index inside this test's rolled-back transaction."""
    if not is_postgres():
        pytest.skip(NEEDS_PG)
    return PostgresBackend(session_factory)


@pytest.fixture(params=["whoosh", "postgres"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> SearchBackend:
    """An empty index of either backend, for tests that write."""
    if request.param == "whoosh":
        backend = WhooshBackend(tmp_path / "search")
        backend.rebuild([])
        return backend
    return request.getfixturevalue("pg")  # type: ignore[no-any-return]


def ids(backend: SearchBackend, words: str = "", **filters: object) -> list[str]:
    return [h.doc_id for h in backend.search(SearchQuery(words=words, **filters)).hits]  # type: ignore[arg-type]


# --- the same behaviour in both backends -------------------------------------------------------


def test_a_title_hit_ranks_above_a_body_hit(index: SearchBackend) -> None:
    assert ids(index, "partitioning")[:2] == ["spec:1", "spec:2"]


def test_the_spec_name_counts_like_its_title(index: SearchBackend) -> None:
    assert ids(index, "cells v2")[0] == "spec:1"


def test_a_section_heading_hit_ranks_above_a_body_hit(index: SearchBackend) -> None:
    assert ids(index, "upgrade impact")[:2] == ["section:3:s-upgrade-impact", "section:4:s-notes"]


def test_recent_discussion_is_slightly_favoured(index: SearchBackend) -> None:
    assert ids(index, "rabbitmq heartbeat") == ["comment:11", "comment:10"]


def test_a_phrase_needs_its_words_together_and_in_order(index: SearchBackend) -> None:
    assert ids(index, '"rolling upgrade"') == ["spec:7"]
    assert set(ids(index, "rolling upgrade")) == {"spec:7", "spec:8"}


def test_stemming_finds_other_forms_of_a_word(index: SearchBackend) -> None:
    assert "spec:9" in ids(index, "upgrades")
    assert "spec:7" in ids(index, "upgrading")


def test_no_document_with_every_word_falls_back_to_some_words_and_says_so(index: SearchBackend) -> None:
    results = index.search(SearchQuery(words="rabbitmq invoices"))
    assert {h.doc_id for h in results.hits} >= {"comment:10", "comment:11", "spec:22"}
    assert any("No document has all" in note for note in results.notes)


def test_only_common_words_answer_with_a_note_not_an_error(index: SearchBackend) -> None:
    results = index.search(SearchQuery(words="the and of"))
    assert results.total == 0 and results.notes


def test_facets_count_every_match(index: SearchBackend) -> None:
    results = index.search(SearchQuery(words="keystone"))
    assert results.total == 4
    assert list(results.facets["source"]) == [("gerrit", 2), ("launchpad", 1), ("link", 1)]
    assert list(results.facets["project"]) == [("nova", 3), ("keystone", 1)]
    assert list(results.facets["kind"]) == [("comment", 4)]
    assert list(results.facets["release"]) == [("2024.1", 3), ("2024.2", 1)]


@pytest.mark.parametrize(("filters", "expected"), [
    ({"project": "keystone"}, ["comment:32"]),
    ({"source": "gerrit"}, ["comment:30", "comment:31"]),
    ({"author": "CARLOS"}, ["comment:30", "comment:31"]),
    ({"release": "2024.2"}, ["comment:32"]),
    ({"kind": "spec"}, []),
    ({"date_from": date(2024, 1, 1)}, ["comment:31", "comment:32"]),
    ({"date_to": date(2023, 12, 31)}, ["comment:12", "comment:30"]),  # the whole last day counts
    ({"date_from": date(2024, 1, 1), "date_to": date(2024, 1, 1)}, ["comment:31"]),
])
def test_filters(index: SearchBackend, filters: dict[str, object], expected: list[str]) -> None:
    assert sorted(ids(index, "keystone", **filters)) == expected


def test_typed_field_queries_filter_too(index: SearchBackend) -> None:
    assert sorted(ids(index, 'keystone author:"carlos" project:nova')) == ["comment:30", "comment:31"]


def test_filters_without_words_list_newest_first(index: SearchBackend) -> None:
    assert ids(index, source="gerrit") == ["comment:31", "comment:30", "comment:10"]


def test_pages_continue_without_overlap(index: SearchBackend) -> None:
    everything = [h.doc_id for h in index.search(SearchQuery(kind="comment").parsed(per_page=50)).hits]
    first = index.search(SearchQuery(kind="comment").parsed(per_page=3))
    second = index.search(SearchQuery(kind="comment", page=2).parsed(per_page=3))
    assert first.total == second.total == len(everything) == 7
    assert [h.doc_id for h in [*first.hits, *second.hits]] == everything[:6]


def test_snippets_mark_the_words_and_escape_everything_else(index: SearchBackend) -> None:
    hit = index.search(SearchQuery(words="keystone nova")).hits[0]
    assert hit.doc_id == "comment:12"
    assert "<mark>keystone</mark>" in hit.snippet and "<mark>nova</mark>" in hit.snippet
    assert "<script>" not in hit.snippet and "&lt;/script&gt;" in hit.snippet  # a fragment may start after "<"
    assert hit.snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0
    assert (hit.kind, hit.source, hit.project, hit.author) == (Kind.COMMENT, "launchpad", "nova",
                                                               "Launchpad whiteboard")
    assert hit.created_at == datetime(2020, 5, 5, tzinfo=UTC)


def test_a_section_hit_shows_its_heading_and_its_spec(index: SearchBackend) -> None:
    hit = index.search(SearchQuery(words="restart computes")).hits[0]
    assert (hit.kind, hit.heading, hit.title) == (Kind.SECTION, "Proposed change > Upgrade impact", "Quota rework")


@pytest.mark.parametrize(("typed", "suggested"), [
    ("rabitmq", "rabbitmq"),
    ("keystone federaton", "keystone federation"),
    ('hearbeat "rolling upgrade"', 'heartbeat "rolling upgrade"'),
])
def test_did_you_mean_comes_from_the_vocabulary(index: SearchBackend, typed: str, suggested: str) -> None:
    assert index.search(SearchQuery(words=typed)).did_you_mean == suggested


def test_no_suggestion_for_known_words(index: SearchBackend) -> None:
    assert index.search(SearchQuery(words="rabbitmq failover")).did_you_mean is None


def test_related_specs_share_the_most_telling_words(index: SearchBackend) -> None:
    related = index.related("spec:20")
    assert [h.doc_id for h in related][:1] == ["spec:21"]
    assert all(h.kind == Kind.SPEC for h in related) and "spec:20" not in [h.doc_id for h in related]
    assert index.related("spec:999") == []


def test_upsert_replaces_by_id_and_delete_removes(fresh: SearchBackend) -> None:
    fresh.upsert([doc("comment:1", "first words"), doc("comment:2", "first words too")])
    assert sorted(ids(fresh, "first")) == ["comment:1", "comment:2"]
    fresh.upsert([doc("comment:1", "second version")])
    assert ids(fresh, "first") == ["comment:2"] and ids(fresh, "second") == ["comment:1"]
    fresh.delete(["comment:2", "comment:404"])
    assert ids(fresh, "first") == [] and fresh.doc_count() == 1


def test_delete_where_a_spec_or_a_project(fresh: SearchBackend) -> None:
    fresh.upsert([doc("spec:1", "alpha"), doc("section:1:s-a", "alpha", heading="A"),
                  doc("comment:5", "alpha", spec_id=1), doc("spec:2", "alpha"),
                  doc("spec:3", "alpha", project="manila")])
    fresh.delete_where(spec_id=1)
    assert sorted(ids(fresh, "alpha")) == ["spec:2", "spec:3"]
    fresh.delete_where(project="manila")
    assert ids(fresh, "alpha") == ["spec:2"]
    with pytest.raises(ValueError):
        fresh.delete_where()


def test_apply_deletes_first_then_upserts(fresh: SearchBackend) -> None:
    fresh.upsert([doc("spec:1", "old text"), doc("comment:5", "old text", spec_id=1)])
    fresh.apply(delete_specs=[1], upsert=[doc("spec:1", "new text")])
    assert ids(fresh, "old") == [] and ids(fresh, "new") == ["spec:1"]


@pytest.mark.parametrize("typed", HOSTILE, ids=lambda t: repr(t[:20]) + (f"…{len(t)}" if len(t) > 20 else ""))
def test_hostile_queries_are_answered_without_errors(index: SearchBackend, typed: str) -> None:
    started = time.monotonic()
    results = index.search(SearchQuery.from_params({"q": typed}))
    assert results.total >= 0
    assert all("<script" not in hit.snippet for hit in results.hits)
    assert time.monotonic() - started < 5  # a guard against expansion, not a speed target


# --- PostgreSQL only -----------------------------------------------------------------------------


def test_the_documents_live_in_a_weighted_tsvector_under_a_gin_index(pg: PostgresBackend, db: Session) -> None:
    pg.upsert([doc("spec:1", "body words", title="Title words", spec="named-thing")])
    weights = db.scalar(text("SELECT search::text FROM search_documents WHERE doc_id = 'spec:1'"))
    assert "'titl':1A" in weights and "'bodi':5" in weights and "'name':3A" in weights
    index = db.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_search_documents_search'"))
    assert "USING gin (search)" in index


def test_a_query_plan_uses_the_gin_index(pg: PostgresBackend, db: Session) -> None:
    pg.upsert(doc(f"comment:{i}", f"word{i} common", kind=Kind.COMMENT, spec_id=1) for i in range(300))
    db.execute(text("SET LOCAL enable_seqscan = off"))  # 300 rows are a seq scan; can the index answer?
    plan = "\n".join(db.scalars(text(
        "EXPLAIN SELECT doc_id FROM search_documents d WHERE d.search @@ plainto_tsquery('english', 'word17')")))
    assert "ix_search_documents_search" in plan


def test_text_that_looks_like_html_or_our_marks_stays_text(pg: PostgresBackend) -> None:
    pg.upsert([doc("comment:1", "Pass <instance-uuid> to nova \ue000evil\ue001 & reboot", kind=Kind.COMMENT,
                   spec_id=1)])
    snippet = pg.search(SearchQuery(words="reboot")).hits[0].snippet
    assert "&lt;instance-uuid&gt;" in snippet and "<mark>reboot</mark>" in snippet
    assert snippet.count("<mark>") == 1 and "\ue000" not in snippet


def test_nul_characters_cannot_break_a_write(pg: PostgresBackend) -> None:
    assert pg.upsert([doc("comment:1", "nul\x00inside", kind=Kind.COMMENT, spec_id=1)]) == 1
    assert ids(pg, "inside") == ["comment:1"]


def test_a_rebuild_replaces_everything_and_readers_see_the_old_rows_until_it_commits(
    database_url: str,
) -> None:
    if not is_postgres():
        pytest.skip(NEEDS_PG)
    with scratch_database(database_url, "rebuild") as url:
        migrations.upgrade(url)
        engine = make_engine(url)
        try:
            backend = PostgresBackend(sessionmaker(bind=engine))
            backend.rebuild([doc("spec:1", "earlier")])
            seen_during: list[list[str]] = []

            def slow_docs() -> Iterator[object]:
                yield doc("spec:2", "later")
                seen_during.append(ids(backend, "earlier"))  # another session, while the rebuild is open
                yield doc("spec:3", "later")

            assert backend.rebuild(slow_docs()) == 2  # type: ignore[arg-type]
            assert seen_during == [["spec:1"]]
            assert ids(backend, "earlier") == [] and sorted(ids(backend, "later")) == ["spec:2", "spec:3"]

            def broken() -> Iterator[object]:
                yield doc("spec:9", "broken")
                raise RuntimeError("the database read failed half-way")

            with pytest.raises(RuntimeError):
                backend.rebuild(broken())  # type: ignore[arg-type]
            assert sorted(ids(backend, "later")) == ["spec:2", "spec:3"] and backend.doc_count() == 2
        finally:
            engine.dispose()


def test_one_writer_at_a_time_across_processes(database_url: str) -> None:
    """Two backends (as two processes would have) share the advisory lock; the second waits, then is told."""
    if not is_postgres():
        pytest.skip(NEEDS_PG)
    engine = make_engine(database_url)
    try:
        first, second = (PostgresBackend(sessionmaker(bind=engine)) for _ in range(2))
        with first.write_lock(), first.write_lock():  # re-entrant in one thread
            with pytest.raises(WriterBusy, match="try again later"):
                with second.write_lock(timeout=0.3):
                    pass
        released = threading.Event()

        def take() -> None:
            with second.write_lock(timeout=5):
                released.set()

        worker = threading.Thread(target=take)
        worker.start()
        worker.join(10)
        assert released.is_set()
    finally:
        engine.dispose()
