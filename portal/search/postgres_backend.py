"""PostgreSQL full-text search behind :class:`~portal.search.backend.SearchBackend`.

Chosen with ``PORTAL_SEARCH_BACKEND=postgres`` on a PostgreSQL database, so
several app servers share the index without a shared disk. The tables
(``search_documents``, ``search_terms``) are made by the ``search`` migration
on PostgreSQL only.

* **Documents.** One row per spec, section or comment, keyed by ``doc_id``,
  with a weighted ``tsvector`` (``english`` configuration: stemming and
  stop words) under a GIN index. Weights: the spec title and name (spec
  documents) and the section heading (sections) are ``A``; the spec title
  of a section or comment, the author and a comment's file are ``C``; the
  body is ``D``. Only :meth:`upsert` and friends write them, and only the
  search event consumer calls those.
* **Queries are never syntax.** The parsed terms go through
  ``plainto_tsquery`` and phrases through ``phraseto_tsquery``, which read
  any text as plain words, so nothing a user types can be expensive or an
  error. All words must match; when none does, any word may (and a note
  says so).
* **Ranking.** ``ts_rank_cd`` with weights {D 0.1, C 0.2, B 0.4, A 1.0},
  divided by 1 + log(length) so long sections do not win by size, times a
  small recency boost (×1.2 today, ×1.1 a year ago, fading).
* **Snippets.** ``ts_headline`` with private-use characters as highlight
  marks (stripped from the text first); everything is escaped, then only
  those marks become ``<mark>``.
* **Facets** in one ``GROUPING SETS`` query that also gives the total.
* **Did you mean.** ``search_terms`` is the vocabulary (unstemmed words of
  every document, with how many documents had them); a word that is not in
  it is replaced by its closest term by trigram similarity (``pg_trgm``,
  shipped in Debian's postgresql package). Without ``pg_trgm`` there is no
  suggestion; everything else works.
* **Related specs.** The spec document's own title lexemes and its most
  frequent body lexemes, OR-ed, ranked over the other spec documents.

Every read is one to three statements, whatever the number of documents.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
import time as clock
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from html import escape
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker

from portal.errors import Conflict
from portal.search.backend import Hit, Progress, Results, SearchDoc
from portal.search.query import FACETS, Kind, ParsedQuery, SearchQuery

CONFIG = "english"
BATCH = 500  # documents per INSERT batch
FACET_VALUES = 20  # values shown per facet, most frequent first
SNIPPET_CHARS = 240  # a snippet without highlights (a filter-only search, related specs)
HEADLINE_INPUT_CHARS = 20_000  # ts_headline reads at most this much of a body (it costs per character)
MIN_SIMILARITY = 0.45  # a weaker trigram match is no better than no suggestion
MAX_SUGGESTED_WORDS = 6
RELATED_LEXEMES = 16
WRITE_LOCK_TIMEOUT = 60.0  # seconds a writer waits for another (a rebuild holds the lock while it writes)
WRITE_LOCK_KEY = 0x5EA2C4  # the advisory lock of the index's one writer, in this database

# Highlight marks: private-use characters removed from the text before ts_headline, so only its marks remain.
_START, _STOP, _CUT = "\ue000", "\ue001", "\ue002"
_MARKS = _START + _STOP + _CUT
# ts_headline drops whatever looks like an HTML tag; "<instance-uuid>" in a spec is text, so hide the brackets.
_LT, _GT = "\ue003", "\ue004"
# PostgreSQL's parser reads "nova.conf" and "oslo.messaging" as one token (a file or host name), so "nova"
# would not find them: dots and slashes separate words, in documents and queries alike (the snippet shows
# them again: they become private-use characters there, which the parser also treats as separators).
_DOT, _SLASH = "\ue005", "\ue006"
_HIDDEN = _MARKS + _LT + _GT + _DOT + _SLASH
# "<" and ">" too: the parser reads what looks like an HTML tag as one token, and a stray "<" can swallow
# the rest of the text ("< script> … keystone" was one blank token).
_SEPARATE = str.maketrans({".": " ", "/": " ", "<": " ", ">": " "})
_HEADLINE_OPTIONS = (
    f"StartSel={_START}, StopSel={_STOP}, MaxFragments=2, MaxWords=28, MinWords=10, "
    f"FragmentDelimiter={_CUT}, HighlightAll=false"
)
_VOCABULARY_WORD = "^[[:alpha:]][[:alnum:]_-]{2,39}$"
_LEXEME = "^[[:alnum:]][[:alnum:]_.-]*$"  # what related() puts into a tsquery literal (no quotes, no backslashes)
_NAME_JOINERS = re.compile(r"[-_.]+")

_COLUMNS = (
    "doc_id, kind, source, project, spec_id, spec, title, heading, anchor, body, author, created_at, release, "
    "state, url, file, line, patch_set"
)

_UPSERT = text(f"""
INSERT INTO search_documents ({_COLUMNS}, search)
VALUES (:doc_id, :kind, :source, :project, :spec_id, :spec, :title, :heading, :anchor, :body, :author,
        :created_at, :release, :state, :url, :file, :line, :patch_set,
        setweight(to_tsvector('{CONFIG}', :weight_a), 'A')
        || setweight(to_tsvector('{CONFIG}', :weight_c), 'C')
        || setweight(to_tsvector('{CONFIG}', :weight_d), 'D'))
ON CONFLICT (doc_id) DO UPDATE SET
    kind = excluded.kind, source = excluded.source, project = excluded.project, spec_id = excluded.spec_id,
    spec = excluded.spec, title = excluded.title, heading = excluded.heading, anchor = excluded.anchor,
    body = excluded.body, author = excluded.author, created_at = excluded.created_at,
    release = excluded.release, state = excluded.state, url = excluded.url, file = excluded.file,
    line = excluded.line, patch_set = excluded.patch_set, search = excluded.search
""")

# The vocabulary of the documents just written: unstemmed, lower-case words ('simple' configuration).
_ADD_TERMS = text(f"""
INSERT INTO search_terms (term, docs)
SELECT term, count(*) FROM (
    SELECT DISTINCT d.doc_id, t.term
    FROM search_documents d,
         unnest(tsvector_to_array(to_tsvector('simple', d.title || ' ' || d.heading || ' ' || d.body))) AS t(term)
    WHERE d.doc_id = ANY(:ids)
) words
WHERE term ~ '{_VOCABULARY_WORD}'
GROUP BY term ORDER BY term
ON CONFLICT (term) DO UPDATE SET docs = search_terms.docs + excluded.docs
""")


class WriterBusy(Conflict):
    """Another process has held the index's write lock for too long (a rebuild, or a stuck writer)."""


class PostgresBackend:
    """Full-text search in the portal's PostgreSQL database; see the module docstring."""

    name = "postgres"

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory
        self._has_trigrams: bool | None = None
        self._held = threading.local()

    # --- reads ----------------------------------------------------------------------------

    def search(self, query: SearchQuery | ParsedQuery) -> Results:
        parsed = query.parsed() if isinstance(query, SearchQuery) else query
        notes = list(parsed.notes)
        filters, params = _filters(parsed)
        with self.session_factory() as session:
            if not parsed.has_words:
                if not filters:
                    return Results(hits=(), total=0, page=parsed.page, per_page=parsed.per_page, notes=tuple(notes))
                return self._answer(session, parsed, None, filters, params, notes)
            params |= _tsquery_params(parsed)
            if not session.scalar(text(f"SELECT numnode({_tsquery(parsed, any_word=False)}) > 0"), params):
                notes.append("Only very common words were given (such as “the” or “why”); add a more telling word.")
                return Results(hits=(), total=0, page=parsed.page, per_page=parsed.per_page, notes=tuple(notes),
                               did_you_mean=self._did_you_mean(session, parsed))
            results = self._answer(session, parsed, _tsquery(parsed, any_word=False), filters, params, notes)
            if results.total == 0 and len(parsed.terms) + len(parsed.phrases) > 1:
                any_notes = [*notes, "No document has all the words; these have some of them."]
                some = self._answer(session, parsed, _tsquery(parsed, any_word=True), filters, params, any_notes)
                results = some if some.total else results
            suggestion = self._did_you_mean(session, parsed) if results.total < 5 * parsed.per_page else None
            return Results(hits=results.hits, total=results.total, page=results.page, per_page=results.per_page,
                           facets=results.facets, did_you_mean=suggestion, notes=results.notes)

    def _answer(self, session: Session, parsed: ParsedQuery, tsquery: str | None, filters: list[str],
                params: dict[str, Any], notes: list[str]) -> Results:
        """The facets and total (one query), then the page of hits (one query)."""
        where = " AND ".join([*filters, *([f"d.search @@ {tsquery}"] if tsquery else [])]) or "TRUE"
        facets, total = _facets(session, where, params)
        hits: list[Hit] = []
        if total and (parsed.page - 1) * parsed.per_page < total:
            hits = _page(session, parsed, where, tsquery, params)
        return Results(hits=hits, total=total, page=parsed.page, per_page=parsed.per_page, facets=facets,
                       notes=tuple(notes))

    def related(self, spec_doc_id: str, limit: int = 5) -> list[Hit]:
        with self.session_factory() as session:
            rows = session.execute(_RELATED, {"doc_id": spec_doc_id, "limit": limit, "lexemes": RELATED_LEXEMES})
            return [_hit(row, _plain_snippet(row.body), row.score) for row in rows]

    def doc_count(self) -> int:
        with self.session_factory() as session:
            return int(session.scalar(text("SELECT count(*) FROM search_documents")) or 0)

    # --- writes (the search event consumer only) -------------------------------------------

    def upsert(self, docs: Iterable[SearchDoc]) -> int:
        return self.apply(upsert=docs)

    def apply(self, *, delete_specs: Iterable[int] = (), delete_projects: Iterable[str] = (),
              delete_ids: Iterable[str] = (), upsert: Iterable[SearchDoc] = ()) -> int:
        """Deletions, then upserts, in one transaction (the consumer's batch)."""
        specs, projects, ids = sorted(set(delete_specs)), sorted(set(delete_projects)), sorted(set(delete_ids))
        touched = 0
        with self.session_factory() as session:
            if specs or projects or ids:
                result = session.execute(text(
                    "DELETE FROM search_documents WHERE spec_id = ANY(:specs) OR project = ANY(:projects) "
                    "OR doc_id = ANY(:ids)"), {"specs": specs, "projects": projects, "ids": ids})
                touched += int(result.rowcount or 0)  # type: ignore[attr-defined]
            for batch in _batches(upsert):
                touched += _write(session, batch)
            session.commit()
        return touched

    def delete(self, doc_ids: Iterable[str]) -> int:
        ids = list(dict.fromkeys(doc_ids))
        if not ids:
            return 0
        with self.session_factory() as session:
            count = session.execute(text("DELETE FROM search_documents WHERE doc_id = ANY(:ids)"), {"ids": ids})
            session.commit()
            return int(count.rowcount or 0)  # type: ignore[attr-defined]

    def delete_where(self, *, project: str | None = None, spec_id: int | None = None) -> int:
        if project is None and spec_id is None:
            raise ValueError("delete_where needs a project or a spec_id (rebuild() replaces everything)")
        clauses = [c for c, v in (("project = :project", project), ("spec_id = :spec_id", spec_id)) if v is not None]
        with self.session_factory() as session:
            count = session.execute(text(f"DELETE FROM search_documents WHERE {' AND '.join(clauses)}"),
                                    {"project": project, "spec_id": spec_id})
            session.commit()
            return int(count.rowcount or 0)  # type: ignore[attr-defined]

    def rebuild(self, docs: Iterable[SearchDoc], progress: Progress | None = None,
                before_swap: Callable[[], None] | None = None) -> int:
        """One transaction under the write lock: searches keep reading the old rows (MVCC) until it commits.

        The consumer waits for the lock meanwhile (one writer at a time); if
        ``docs`` or ``before_swap`` raises, the transaction rolls back and
        the old index stays as it was.
        """
        written = 0
        with self.write_lock(), self.session_factory() as session:
            session.execute(text("DELETE FROM search_documents"))
            session.execute(text("DELETE FROM search_terms"))
            for batch in _batches(docs):
                written += _write(session, batch)
                if progress is not None:
                    progress(written)
            if before_swap is not None:
                before_swap()
            session.commit()
        return written

    @contextlib.contextmanager
    def write_lock(self, timeout: float = WRITE_LOCK_TIMEOUT) -> Iterator[None]:
        """The one-writer lock: a PostgreSQL advisory lock (released by the server if the process dies).

        Re-entrant within a thread, like the Whoosh backend's: the consumer
        holds it around a whole batch and the batch's write runs inside it.
        """
        if getattr(self._held, "depth", 0):
            self._held.depth += 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        with self._lock_connection() as conn:
            deadline = clock.monotonic() + timeout
            while not conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": WRITE_LOCK_KEY}):
                if clock.monotonic() >= deadline:
                    raise WriterBusy(f"The search index is being written by another process for over "
                                     f"{timeout:.0f} s (a reindex?); try again later.")
                clock.sleep(0.1)
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": WRITE_LOCK_KEY})

    @contextlib.contextmanager
    def _lock_connection(self) -> Iterator[Connection]:
        """A connection kept for the whole lock (the lock belongs to it), in autocommit so it is never idle
        in a transaction; the tests' shared connection is used as it is."""
        bind = self.session_factory.kw.get("bind")
        if isinstance(bind, Connection):
            yield bind
            return
        if not isinstance(bind, Engine):
            raise TypeError("the postgres search backend needs a session factory bound to an engine")
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            yield conn

    # --- did you mean ----------------------------------------------------------------------

    def _did_you_mean(self, session: Session, parsed: ParsedQuery) -> str | None:
        """The words with each unknown one replaced by its closest vocabulary term, or ``None``."""
        words = [t for t in parsed.terms if len(t) >= 4 and not any(c.isdigit() for c in t)][:MAX_SUGGESTED_WORDS]
        if not words or not self._trigrams(session):
            return None
        lowered = [w.casefold() for w in words]
        rows = session.execute(_SUGGEST, {"words": lowered, "min": MIN_SIMILARITY}).all()
        replacements = {row.word: row.term for row in rows if row.term and row.term != row.word}
        if not replacements:
            return None
        corrected = [replacements.get(t.casefold(), t) for t in parsed.terms]
        return " ".join([*corrected, *(f'"{p}"' for p in parsed.phrases)])

    def _trigrams(self, session: Session) -> bool:
        if self._has_trigrams is None:
            self._has_trigrams = bool(session.scalar(text(
                "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')")))
        return self._has_trigrams


# --- statements ------------------------------------------------------------------------------

# For each word not in the vocabulary: the most similar term (the GIN trigram index answers `%`).
_SUGGEST = text("""
SELECT w.word, (
    SELECT t.term FROM search_terms t
    WHERE t.term % w.word AND similarity(t.term, w.word) >= :min
    ORDER BY similarity(t.term, w.word) DESC, t.docs DESC, t.term
    LIMIT 1
) AS term
FROM unnest(CAST(:words AS text[])) AS w(word)
WHERE NOT EXISTS (SELECT 1 FROM search_terms k WHERE k.term = w.word)
""")

_RELATED = text(f"""
WITH me AS (
    SELECT spec_id, search FROM search_documents WHERE doc_id = :doc_id
), picked AS (
    SELECT u.lexeme FROM me, unnest(me.search) AS u
    WHERE u.lexeme ~ '{_LEXEME}' AND length(u.lexeme) > 2
    ORDER BY ('A' = ANY(u.weights)) DESC, cardinality(u.positions) DESC, u.lexeme
    LIMIT :lexemes
), q AS (
    SELECT CAST(string_agg('''' || lexeme || '''', ' | ') AS tsquery) AS q FROM picked
)
SELECT {", ".join("d." + c.strip() for c in _COLUMNS.split(","))},
       ts_rank('{{0.1, 0.2, 0.4, 1.0}}', d.search, q.q, 1) AS score
FROM search_documents d, q, me
WHERE q.q IS NOT NULL AND d.kind = 'spec' AND d.search @@ q.q AND d.spec_id <> me.spec_id
ORDER BY score DESC, d.doc_id
LIMIT :limit
""")


def _tsquery_params(parsed: ParsedQuery) -> dict[str, Any]:
    terms = [t.translate(_SEPARATE) for t in parsed.terms]
    params: dict[str, Any] = {"q_terms": " ".join(terms)}
    params |= {f"q_term{i}": term for i, term in enumerate(terms)}
    params |= {f"q_phrase{i}": phrase.translate(_SEPARATE) for i, phrase in enumerate(parsed.phrases)}
    return params


def _tsquery(parsed: ParsedQuery, *, any_word: bool) -> str:
    """A tsquery expression over bound parameters: plain words only, whatever was typed."""
    if any_word:
        parts = [f"plainto_tsquery('{CONFIG}', :q_term{i})" for i in range(len(parsed.terms))]
        parts += [f"phraseto_tsquery('{CONFIG}', :q_phrase{i})" for i in range(len(parsed.phrases))]
        return "(" + " || ".join(parts) + ")"
    parts = [f"plainto_tsquery('{CONFIG}', :q_terms)"] if parsed.terms else []
    parts += [f"phraseto_tsquery('{CONFIG}', :q_phrase{i})" for i in range(len(parsed.phrases))]
    return "(" + " && ".join(parts) + ")"


def _filters(parsed: ParsedQuery) -> tuple[list[str], dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    for name, value in parsed.filters().items():
        if name == "author":
            clauses.append("lower(d.author) = lower(:f_author)")
        else:
            clauses.append(f"d.{name} = :f_{name}")
        params[f"f_{name}"] = value
    if parsed.date_from is not None:
        clauses.append("d.created_at >= :f_from")
        params["f_from"] = datetime.combine(parsed.date_from, time(), UTC)
    if parsed.date_to is not None:  # the whole day of `to`
        clauses.append("d.created_at < :f_to")
        params["f_to"] = datetime.combine(parsed.date_to, time(), UTC) + timedelta(days=1)
    return clauses, params


def _facets(session: Session, where: str, params: Mapping[str, Any]) -> tuple[dict[str, list[tuple[str, int]]], int]:
    """Counts per value of every facet over all matches, and the total, in one statement."""
    sets = ", ".join(f"(d.{name})" for name in FACETS)
    columns = ", ".join(f"d.{name}" for name in FACETS)
    grouping = ", ".join(f"GROUPING(d.{name})" for name in FACETS)
    rows = session.execute(text(
        f"SELECT {columns}, {grouping}, count(*) FROM search_documents d WHERE {where} "
        f"GROUP BY GROUPING SETS ({sets}, ())"
    ), params).all()
    n = len(FACETS)
    facets: dict[str, list[tuple[str, int]]] = {name: [] for name in FACETS}
    total = 0
    for row in rows:
        flags, count = row[n:2 * n], int(row[2 * n])
        if all(flags):
            total = count
            continue
        index = list(flags).index(0)
        value = row[index]
        if value:  # an empty author or release is no filter anyone can click
            facets[FACETS[index]].append((str(value), count))
    for name in FACETS:
        facets[name] = sorted(facets[name], key=lambda vc: (-vc[1], vc[0]))[:FACET_VALUES]
    return facets, total


def _page(session: Session, parsed: ParsedQuery, where: str, tsquery: str | None,
          params: dict[str, Any]) -> list[Hit]:
    """One page of hits, ranked (or newest first without words), with snippets for that page only."""
    offset = (parsed.page - 1) * parsed.per_page
    page_params = params | {"limit": parsed.per_page, "offset": offset}
    columns = ", ".join("d." + c.strip() for c in _COLUMNS.split(","))
    if tsquery is None:
        rows = session.execute(text(
            f"SELECT {columns}, 0.0 AS score FROM search_documents d WHERE {where} "
            "ORDER BY d.created_at DESC NULLS LAST, d.doc_id LIMIT :limit OFFSET :offset"
        ), page_params)
        return [_hit(row, _plain_snippet(row.body), 0.0) for row in rows]
    age_days = "GREATEST(0, EXTRACT(EPOCH FROM (now() - COALESCE(d.created_at, now()))) / 86400.0)"
    rows = session.execute(text(f"""
        WITH q AS (SELECT {tsquery} AS q), ranked AS (
            SELECT {columns},
                   ts_rank_cd('{{0.1, 0.2, 0.4, 1.0}}', d.search, q.q, 1)
                   * (1.0 + 0.2 / (1.0 + {age_days} / 365.0)) AS score
            FROM search_documents d, q WHERE {where}
            ORDER BY score DESC, d.doc_id LIMIT :limit OFFSET :offset
        )
        SELECT ranked.*, ts_headline('{CONFIG}',
                   translate(left(ranked.body, {HEADLINE_INPUT_CHARS}), '<>./', '{_LT}{_GT}{_DOT}{_SLASH}'), q.q,
                   '{_HEADLINE_OPTIONS}') AS headline
        FROM ranked, q ORDER BY ranked.score DESC, ranked.doc_id
    """), page_params)
    return [_hit(row, _highlighted(row.headline), float(row.score)) for row in rows]


def _hit(row: Any, snippet: str, score: float) -> Hit:
    return Hit(
        doc_id=row.doc_id, kind=Kind(row.kind), source=row.source, project=row.project, spec=row.spec,
        title=row.title, snippet=snippet, url=row.url, score=round(float(score), 6) if math.isfinite(score) else 0.0,
        created_at=row.created_at, heading=row.heading, author=row.author, release=row.release, state=row.state,
        file=row.file, line=row.line,
    )


def _highlighted(headline: str | None) -> str:
    """Escape everything, then turn only ts_headline's marks into ``<mark>``."""
    shown = (headline or "").replace(_LT, "<").replace(_GT, ">").replace(_DOT, ".").replace(_SLASH, "/")
    safe = escape(shown, quote=False)
    return " ".join(safe.replace(_START, "<mark>").replace(_STOP, "</mark>").replace(_CUT, " … ").split())


def _plain_snippet(body: str) -> str:
    words = " ".join(body.split())
    cut = words if len(words) <= SNIPPET_CHARS else words[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return escape(cut, quote=False)


# --- writing ---------------------------------------------------------------------------------


def _batches(docs: Iterable[SearchDoc]) -> Iterator[list[SearchDoc]]:
    iterator = iter(docs)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def _write(session: Session, docs: Sequence[SearchDoc]) -> int:
    """Upsert one batch (the last of equal doc ids wins) and add its words to the vocabulary."""
    unique = list({doc.doc_id: doc for doc in docs}.values())
    session.execute(_UPSERT, [_row(doc) for doc in unique])
    session.execute(_ADD_TERMS, {"ids": [doc.doc_id for doc in unique]})
    return len(unique)


def _row(doc: SearchDoc) -> dict[str, Any]:
    """The document's columns, and the text of each weight (see the module docstring)."""
    if doc.kind == Kind.SPEC:
        weight_a = f"{doc.title} {_NAME_JOINERS.sub(' ', doc.spec)}"
        weight_c = doc.author
    elif doc.kind == Kind.SECTION:
        weight_a = doc.heading
        weight_c = f"{doc.title} {doc.author}"
    else:
        weight_a = ""
        weight_c = f"{doc.title} {doc.author} {doc.file}"
    return {
        "doc_id": doc.doc_id, "kind": str(doc.kind), "source": doc.source, "project": doc.project,
        "spec_id": doc.spec_id, "spec": doc.spec, "title": _clean(doc.title), "heading": _clean(doc.heading),
        "anchor": doc.anchor, "body": _clean(doc.body), "author": _clean(doc.author), "created_at": doc.created_at,
        "release": doc.release, "state": doc.state, "url": doc.url, "file": _clean(doc.file), "line": doc.line,
        "patch_set": doc.patch_set, "weight_a": _words(weight_a), "weight_c": _words(weight_c),
        "weight_d": _words(doc.body),
    }


def _words(value: str) -> str:
    """The text as the tsvector reads it: clean, dots and slashes separating words."""
    return _clean(value).translate(_SEPARATE)


def _clean(value: str) -> str:
    """PostgreSQL text cannot hold NUL; the highlight marks are ours alone."""
    return value.replace("\x00", " ").translate(_STRIP) if value else ""


_STRIP = {ord(c): None for c in _HIDDEN}
