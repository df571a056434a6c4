"""The embedded search backend: a Whoosh index in ``<instance>/search/``.

Layout of the folder::

    search/
      CURRENT            the name of the index folder searches read (replaced atomically)
      ix-<stamp>/        a complete Whoosh index
      building-<stamp>/  a rebuild in progress (never read; removed if a rebuild died)
      write.lock         held by the one writer (flock)
      rebuild.lock       held by the one rebuild

Safe with several gunicorn workers because only one process writes: the
search event consumer (``portal worker`` / ``portal search update``) and
``portal search reindex``, one at a time through ``write.lock``; requests
never write. Readers take no lock: a Whoosh commit writes new segment files
and then renames a new table of contents into place, and a searcher is a
snapshot, so a reader sees the index before a commit or after it, never
half of it. A rebuild writes a new folder and switches ``CURRENT`` (with
``os.replace``, after fsyncing the new files, which Whoosh itself never
does) only once it is complete; until then searches read the old index.

User input never reaches Whoosh's query parser: :func:`_build_query` makes
``Term``/``Phrase`` objects from the already-plain words of
:class:`~portal.search.query.ParsedQuery`, so there is no wildcard, fuzzy
or range query to expand (``*a*`` costs minutes on a large index).
"""

from __future__ import annotations

import contextlib
import fcntl
import html
import logging
import math
import os
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh import scoring, sorting
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.lang import porter2
from whoosh.searching import Searcher

from portal.clock import now
from portal.errors import Conflict
from portal.search.backend import Hit, Progress, Results, SearchUnavailable
from portal.search.documents import spec_doc_id
from portal.search.query import FACETS, Kind, ParsedQuery, SearchQuery

log = logging.getLogger(__name__)

POINTER = "CURRENT"
WRITE_LOCK = "write.lock"
REBUILD_LOCK = "rebuild.lock"
WRITE_LOCK_TIMEOUT = 60.0  # seconds a writer waits for another (a rebuild's swap takes well under one)
CANDIDATES = 100  # hits ranked by score before the recency nudge; pages inside it stay in one order
RECENCY_WEIGHT = 0.15  # at most +15 % for something written today, halving every HALF_LIFE
HALF_LIFE = timedelta(days=365)
SNIPPET_CHARS = 220
FACET_LIMIT = 15  # values shown per facet

# One analyzer for every text field: words (split at dots too, so "nova.virt.baremetal" is found by
# "baremetal"), lower case, English stop words, Snowball English stemming (porter2: unlike Whoosh's default
# Porter stemmer it gives "deprecated" and "deprecate" one stem).
ANALYZER = StemmingAnalyzer(expression=r"\w+", stemfn=porter2.stem, cachesize=50_000)
TEXT_FIELDS = ("title", "heading", "body", "context")
# BM25F, without length normalisation for the short fields: most documents have no title (only specs do)
# or heading, so their average length is near zero and a spec's 12-word title would count as 30 times too long.
WEIGHTING = scoring.BM25F(B=0.75, K1=1.2, title_B=0.0, heading_B=0.2, context_B=0.0)

SCHEMA = Schema(
    doc_id=ID(stored=True, unique=True),
    kind=ID(stored=True, sortable=True),
    source=ID(stored=True, sortable=True),
    project=ID(stored=True, sortable=True),
    release=ID(stored=True, sortable=True),
    state=ID(stored=True, sortable=True),
    author=ID(stored=True, sortable=True),
    author_key=ID(),  # lower-cased, for author: filters
    spec_key=ID(),  # str(spec_id), for deleting a spec's documents
    spec=STORED(),
    shown_title=STORED(),  # the spec's title as shown on every hit
    # Field boosts: a hit in a title or a section heading ranks above the same word in a body.
    # Spec documents only: the title and the spec's name split at hyphens ("tag instances").
    title=TEXT(analyzer=ANALYZER, stored=True, field_boost=4.0),
    heading=TEXT(analyzer=ANALYZER, stored=True, field_boost=2.5),
    body=TEXT(analyzer=ANALYZER, stored=True, spelling=True),  # spelling: "did you mean" reads its words
    # The spec title repeated, lightly weighted, on sections and comments: "rolling upgrade impact"
    # finds the Upgrade impact section of the rolling-upgrades spec.
    context=TEXT(analyzer=ANALYZER, field_boost=0.3),
    created=DATETIME(stored=True, sortable=True),
    url=STORED(),
    file=STORED(),
    line=STORED(),
)

class IndexBusy(Conflict):
    """Another process holds the index's write lock for too long (a stuck writer); try again later."""


class _MarkFormatter(HtmlFormatter):  # type: ignore[misc]
    """``<mark>word</mark>``, everything else escaped (quotes too)."""

    template = "<mark>%(t)s</mark>"

    def __init__(self) -> None:
        super().__init__(tagname="mark", between=" … ")

    def _text(self, text: str) -> str:
        return html.escape(text, quote=True)


class WhooshBackend:
    """The Whoosh index of one instance; one object per process (:meth:`in_instance`), safe across threads."""

    name = "whoosh"
    _instances: dict[Path, WhooshBackend] = {}
    _instances_lock = threading.Lock()

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._read_lock = threading.Lock()
        self._write_threads = threading.Lock()  # threads of one process queue here before the file lock
        self._held = threading.local()
        self._pointer_stamp: tuple[int, int] | None = None
        self._dir: Path | None = None
        self._ix: Any = None
        self._searcher: Searcher | None = None

    @classmethod
    def in_instance(cls, instance_path: Path) -> WhooshBackend:
        """The backend for ``<instance>/search``, shared by every caller in this process (cached searchers)."""
        root = (Path(instance_path) / "search").absolute()
        with cls._instances_lock:
            backend = cls._instances.get(root)
            if backend is None:
                backend = cls._instances[root] = cls(root)
            return backend

    # --- reading ---------------------------------------------------------------------------

    def exists(self) -> bool:
        return self._pointed_dir() is not None

    def search(self, query: SearchQuery | ParsedQuery) -> Results:
        parsed = query.parsed() if isinstance(query, SearchQuery) else query
        with self._read_lock:
            for attempt in (1, 2):
                searcher = self._current_searcher()
                try:
                    return _search(searcher, parsed)
                except (OSError, EOFError, ValueError, KeyError) as exc:  # a segment file gone or damaged
                    if attempt == 2:
                        raise self._unreadable(exc) from exc
                    # Once more on a freshly opened index: a rebuild may have removed the folder this
                    # (long idle) searcher still pointed at before it had opened every file.
                    self._searcher, self._pointer_stamp = None, None
            raise AssertionError("unreachable")  # pragma: no cover

    def related(self, spec_doc_id: str, limit: int = 5) -> list[Hit]:
        with self._read_lock:
            searcher = self._current_searcher()
            return _related(searcher, spec_doc_id, limit)

    def doc_count(self) -> int:
        with self._read_lock:
            if not self.exists():
                return 0
            return int(self._current_searcher().doc_count())

    def _current_searcher(self) -> Searcher:
        """The cached searcher, refreshed when a commit or a rebuild happened since the last query."""
        stamp = self._pointer_stat()
        if stamp is None:
            raise SearchUnavailable(
                "Search is not ready: the index has not been built yet. It fills as the worker runs; an admin "
                "can build it now with `portal search reindex`."
            )
        try:
            if stamp != self._pointer_stamp or self._searcher is None:
                directory = self._pointed_dir()
                if directory is None:
                    raise SearchUnavailable("Search is being switched to a new index; try again in a moment.")
                ix = whoosh_index.open_dir(str(directory))
                old = self._searcher
                self._ix, self._dir, self._searcher = ix, directory, ix.searcher(weighting=WEIGHTING)
                self._pointer_stamp = stamp
                if old is not None:
                    old.close()
            elif not self._searcher.up_to_date():
                # A new searcher, not ``refresh()``: refresh reuses the readers of unchanged segments and
                # keeps their old deletions, so a deleted comment would stay findable in this process.
                old, self._searcher = self._searcher, self._ix.searcher(weighting=WEIGHTING)
                old.close()
        except SearchUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure to open is "unreadable", with the reason logged
            raise self._unreadable(exc) from exc
        return self._searcher

    def _unreadable(self, exc: BaseException) -> SearchUnavailable:
        log.error("search index %s cannot be read: %s", self._dir or self.root, repr(exc))  # no traceback kept
        self._searcher, self._pointer_stamp = None, None
        return SearchUnavailable(
            "Search is unavailable: the index cannot be read. An admin can rebuild it from the database "
            "with `portal search reindex` (the portal keeps working meanwhile)."
        )

    def _pointer_stat(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.root / POINTER)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def _pointed_dir(self) -> Path | None:
        try:
            name = (self.root / POINTER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        directory = self.root / name
        if not name or "/" in name or not directory.is_dir():
            return None
        return directory

    # --- writing (the search consumer and `portal search reindex` only) -----------------------

    def upsert(self, docs: Iterable[Any]) -> int:
        with self._writer() as writer:
            count = 0
            for doc in docs:
                writer.update_document(**_fields(doc))
                count += 1
            return count

    def delete(self, doc_ids: Iterable[str]) -> int:
        with self._writer() as writer:
            return sum(int(writer.delete_by_term("doc_id", doc_id)) for doc_id in doc_ids)

    def delete_where(self, *, project: str | None = None, spec_id: int | None = None) -> int:
        if project is None and spec_id is None:
            raise ValueError("delete_where needs a project or a spec_id")
        with self._writer() as writer:
            count = 0
            if project is not None:
                count += int(writer.delete_by_term("project", project))
            if spec_id is not None:
                count += int(writer.delete_by_term("spec_key", str(spec_id)))
            return count

    def apply(self, *, delete_specs: Iterable[int] = (), delete_projects: Iterable[str] = (),
              delete_ids: Iterable[str] = (), upsert: Iterable[Any] = ()) -> int:
        """Deletions, then upserts, in one commit (the consumer's batch: one ~50 ms commit, not one per event)."""
        with self._writer() as writer:
            count = 0
            for project in delete_projects:
                count += int(writer.delete_by_term("project", project))
            for spec_id in delete_specs:
                count += int(writer.delete_by_term("spec_key", str(spec_id)))
            for doc_id in delete_ids:
                count += int(writer.delete_by_term("doc_id", doc_id))
            for doc in upsert:
                writer.update_document(**_fields(doc))
                count += 1
            return count

    @contextlib.contextmanager
    def _writer(self) -> Iterator[Any]:
        """A Whoosh writer on the current index under the write lock; commits on success, cancels on error."""
        with self.write_lock():
            directory = self._pointed_dir()
            if directory is None:
                directory = self._create_empty()
            ix = whoosh_index.open_dir(str(directory))
            writer = ix.writer()
            try:
                yield writer
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            ix.close()

    @contextlib.contextmanager
    def write_lock(self, timeout: float = WRITE_LOCK_TIMEOUT) -> Iterator[None]:
        """The one-writer lock: ``flock`` on ``write.lock`` (released by the kernel if the process dies).

        Re-entrant within a thread: the consumer holds it around a whole batch
        (claiming its cursor inside it, so every writer takes the file lock
        before the database's), and the batch's write takes it again.
        """
        if getattr(self._held, "depth", 0):
            self._held.depth += 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with self._write_threads, _flock(self.root / WRITE_LOCK, timeout, IndexBusy(
            f"The search index is locked by another writer for over {timeout:.0f} s; try again later "
            f"(a stuck process holds {self.root / WRITE_LOCK})."
        )):
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0

    def _create_empty(self) -> Path:
        directory = self.root / f"ix-{_stamp()}"
        directory.mkdir(parents=True)
        whoosh_index.create_in(str(directory), SCHEMA)
        _fsync_tree(directory)
        _point_to(self.root, directory.name)
        return directory

    def rebuild(self, docs: Iterable[Any], progress: Progress | None = None,
                before_swap: Callable[[], None] | None = None) -> int:
        """Build a complete new index from ``docs`` in a folder of its own, then switch to it atomically.

        Searches keep reading the old index (and the consumer keeps writing
        to it) until the switch; if this process dies or ``docs`` raises, the
        new folder is left unused (and removed by the next rebuild) and the
        old index is untouched. ``before_swap`` runs under the write lock
        just before the switch (the indexer rewinds its cursor there, so
        events that reached the old index during the build reach the new
        one); if it raises, the new index is discarded.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with _flock(self.root / REBUILD_LOCK, 0.0, Conflict(
            "A search reindex is already running; wait for it to finish (or for its process to end)."
        )):
            self._remove_stale_builds()
            building = self.root / f"building-{_stamp()}"
            building.mkdir()
            try:
                count = self._build(building, docs, progress)
                _fsync_tree(building)
                final = self.root / building.name.replace("building-", "ix-", 1)
                with self.write_lock():
                    if before_swap is not None:
                        before_swap()
                    os.replace(building, final)
                    _point_to(self.root, final.name)
            except BaseException:
                shutil.rmtree(building, ignore_errors=True)
                raise
            self._remove_old_indexes(keep=final.name)
            return count

    def _build(self, directory: Path, docs: Iterable[Any], progress: Progress | None) -> int:
        ix = whoosh_index.create_in(str(directory), SCHEMA)
        writer = ix.writer(limitmb=128)
        count = 0
        try:
            for doc in docs:
                writer.add_document(**_fields(doc))
                count += 1
                if progress is not None and count % 200 == 0:
                    progress(count)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        ix.close()
        if progress is not None:
            progress(count)
        return count

    def _remove_stale_builds(self) -> None:
        """A ``building-*`` folder seen while we hold the rebuild lock belongs to a rebuild that died."""
        for path in self.root.glob("building-*"):
            log.warning("removing %s, left by a search reindex that did not finish", path)
            shutil.rmtree(path, ignore_errors=True)

    def _remove_old_indexes(self, keep: str) -> None:
        """Drop index folders older than the previous one (a reader may still be finishing on that one)."""
        folders = sorted(p for p in self.root.glob("ix-*") if p.name != keep)
        for path in folders[:-1]:
            shutil.rmtree(path, ignore_errors=True)


# --- queries ---------------------------------------------------------------------------------


def _analyzed(text: str) -> list[str]:
    return [t.text for t in ANALYZER(text)]


def _word_query(tokens: Sequence[str], boost: float = 1.0) -> wq.Query:
    """One user word (or phrase) over every text field: a term, or a phrase when it analyses to several."""
    if len(tokens) == 1:
        return wq.Or([wq.Term(f, tokens[0]) for f in TEXT_FIELDS], boost=boost)
    return wq.Or([wq.Phrase(f, list(tokens)) for f in TEXT_FIELDS], boost=boost)


def _clauses(parsed: ParsedQuery) -> list[wq.Query]:
    clauses: list[wq.Query] = []
    for term in parsed.terms:
        tokens = _analyzed(term)
        if tokens:  # a stop word analyses to nothing
            clauses.append(_word_query(tokens))
    for phrase in parsed.phrases:
        tokens = _analyzed(phrase)
        if tokens:
            clauses.append(_word_query(tokens, boost=1.5))
    return clauses


def _filter(parsed: ParsedQuery) -> wq.Query | None:
    parts: list[wq.Query] = []
    for name, value in parsed.filters().items():
        if name == "author":
            parts.append(wq.Term("author_key", value.casefold()))
        else:
            parts.append(wq.Term(name, value))
    if parsed.date_from or parsed.date_to:
        start = _midnight(parsed.date_from) if parsed.date_from else None
        end = _midnight(parsed.date_to) + timedelta(days=1) - timedelta(microseconds=1) if parsed.date_to else None
        parts.append(wq.DateRange("created", start, end))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def _search(searcher: Searcher, parsed: ParsedQuery) -> Results:
    notes = list(parsed.notes)
    clauses = _clauses(parsed)
    flt = _filter(parsed)
    if not clauses and flt is None:
        if parsed.has_words:
            notes.append("Those words are too common to search for; add a more specific word.")
        return Results(hits=(), total=0, page=parsed.page, per_page=parsed.per_page, notes=tuple(notes))
    q: wq.Query = (clauses[0] if len(clauses) == 1 else wq.And(clauses)) if clauses else wq.Every()
    facets = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in FACETS}
    window = max(CANDIDATES, math.ceil(parsed.page * parsed.per_page / CANDIDATES) * CANDIDATES)
    # Filters alone: the newest first (a sort on the column, not a score that is the same for all).
    newest = {"sortedby": sorting.FieldFacet("created", reverse=True)} if not clauses else {}
    results = searcher.search(q, filter=flt, limit=window, groupedby=facets, **newest)
    if results.is_empty() and len(clauses) > 1:  # nothing has every word: documents with most of them
        q = wq.Or(clauses)
        results = searcher.search(q, filter=flt, limit=window, groupedby=facets)
        if not results.is_empty():
            notes.append("No document has all of these words; these have some of them.")
    total = len(results)
    ranked = _recency_ranked(results[:window], clauses_given=bool(clauses))  # the top only, not every match
    start = (parsed.page - 1) * parsed.per_page
    page_hits = ranked[start:start + parsed.per_page]
    formatter = _MarkFormatter()
    results.fragmenter = ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60)
    results.formatter = formatter
    hits = [_hit(h, score) for h, score in page_hits]
    did_you_mean = _suggest(searcher, parsed) if parsed.terms else None
    return Results(
        hits=hits,
        total=total,
        page=parsed.page,
        per_page=parsed.per_page,
        facets={name: _facet_values(results.groups(name)) for name in FACETS},
        did_you_mean=did_you_mean,
        notes=tuple(notes),
    )


def _recency_ranked(results: Any, *, clauses_given: bool) -> list[tuple[Any, float]]:
    """Score × (1 + up to 15 % for recent writing); with no words (filters only), newest first."""
    today = now().replace(tzinfo=None)
    if not clauses_given:
        return [(hit, 0.0) for hit in results]  # already sorted newest first
    ranked: list[tuple[Any, float]] = []
    for hit in results:
        created = hit.get("created")
        nudge = 1.0
        if isinstance(created, datetime):
            age = max((today - created).total_seconds(), 0.0) / HALF_LIFE.total_seconds()
            nudge += RECENCY_WEIGHT * 0.5 ** age
        ranked.append((hit, float(hit.score or 0.0) * nudge))
    ranked.sort(key=lambda pair: pair[1], reverse=True)
    return ranked


def _hit(hit: Any, score: float) -> Hit:
    body = hit.get("body") or ""
    snippet = ""
    if body:
        try:
            snippet = hit.highlights("body", text=body, top=2)
        except Exception:  # noqa: BLE001 - a highlight failure must not fail the search
            log.exception("highlighting %s failed", hit.get("doc_id"))
        if not snippet:
            snippet = html.escape(_shorten(body), quote=True)
    created = hit.get("created")
    return Hit(
        doc_id=hit["doc_id"],
        kind=Kind(hit["kind"]),
        source=hit.get("source") or "",
        project=hit.get("project") or "",
        spec=hit.get("spec") or "",
        title=hit.get("shown_title") or "",
        snippet=snippet,
        url=hit.get("url") or "",
        score=round(score, 4),
        created_at=created.replace(tzinfo=UTC) if isinstance(created, datetime) else None,
        heading=hit.get("heading") or "",
        author=hit.get("author") or "",
        release=hit.get("release") or "",
        state=hit.get("state") or "",
        file=hit.get("file") or "",
        line=hit.get("line"),
    )


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= SNIPPET_CHARS:
        return text
    return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


def _facet_values(groups: dict[Any, int]) -> list[tuple[str, int]]:
    values = [(str(k), int(v)) for k, v in groups.items() if k not in (None, "", b"")]
    values.sort(key=lambda kv: (-kv[1], kv[0]))
    return values[:FACET_LIMIT]


def _suggest(searcher: Searcher, parsed: ParsedQuery) -> str | None:
    """The words with each unknown one replaced by the closest word of the index's vocabulary."""
    changed = False
    words: list[str] = []
    reader = searcher.reader()
    correctors = [searcher.corrector("body")]
    for term in parsed.terms:
        tokens = _analyzed(term)
        known = not tokens or any(reader.doc_frequency(f, t) for t in tokens for f in ("body", "title", "heading"))
        if known or not term.isalpha():
            words.append(term)
            continue
        best = _closest(term.lower(), correctors, searcher)
        if best and best != term.lower():
            words.append(best)
            changed = True
        else:
            words.append(term)
    if not changed:
        return None
    text = " ".join(words)
    if parsed.phrases:
        text += " " + " ".join(f'"{p}"' for p in parsed.phrases)
    return text


def _closest(word: str, correctors: Sequence[Any], searcher: Searcher) -> str | None:
    candidates: dict[str, int] = {}
    for corrector in correctors:
        for suggestion in corrector.suggest(word, limit=3, maxdist=2, prefix=1):
            candidates.setdefault(suggestion, 0)
    if not candidates:
        return None
    reader = searcher.reader()

    def frequency(candidate: str) -> int:
        return sum(reader.doc_frequency(f, t) for t in _analyzed(candidate) for f in ("body", "title"))

    return max(candidates, key=lambda c: (-_distance(word, c), frequency(c)))


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _related(searcher: Searcher, spec_doc_id: str, limit: int) -> list[Hit]:
    """Specs whose text shares the most telling words with this spec's (its own document and sections)."""
    own = searcher.document_number(doc_id=spec_doc_id)
    if own is None:
        return []
    stored = searcher.stored_fields(own)
    spec_key = spec_doc_id.split(":", 1)[1]
    texts = [stored.get("title") or "", stored.get("body") or ""]
    own_docs = set()
    for docnum in searcher.document_numbers(spec_key=spec_key):
        own_docs.add(docnum)
        fields = searcher.stored_fields(docnum)
        if fields.get("kind") == Kind.SECTION.value:
            texts.append(fields.get("heading") or "")
            texts.append(fields.get("body") or "")
    text = "\n".join(texts)[:40_000]
    if not text.strip():
        return []
    terms = searcher.key_terms_from_text("body", text, numterms=20)
    if not terms:
        return []
    q = wq.Or([wq.Term(f, word, boost=weight) for word, weight in terms for f in ("title", "body", "heading")])
    not_comments = wq.Not(wq.Term("kind", Kind.COMMENT.value))
    results = searcher.search(q, filter=not_comments, mask=own_docs, limit=300)
    best: dict[str, float] = defaultdict(float)
    for hit in results:
        key = hit["doc_id"].split(":")[1]
        if key != spec_key:
            best[key] += float(hit.score or 0.0)
    hits: list[Hit] = []
    for key, score in sorted(best.items(), key=lambda kv: -kv[1])[:limit]:
        docnum = searcher.document_number(doc_id=spec_doc_id_from_key(key))
        if docnum is None:
            continue
        fields = searcher.stored_fields(docnum)
        body = fields.get("body") or ""
        created = fields.get("created")
        hits.append(Hit(
            doc_id=fields["doc_id"], kind=Kind.SPEC, source=fields.get("source") or "",
            project=fields.get("project") or "", spec=fields.get("spec") or "", title=fields.get("shown_title") or "",
            snippet=html.escape(_shorten(body), quote=True), url=fields.get("url") or "", score=round(score, 4),
            created_at=created.replace(tzinfo=UTC) if isinstance(created, datetime) else None,
            release=fields.get("release") or "", state=fields.get("state") or "",
        ))
    return hits


def spec_doc_id_from_key(key: str) -> str:
    return spec_doc_id(int(key))


# --- documents → Whoosh fields ------------------------------------------------------------------


def _fields(doc: Any) -> dict[str, Any]:
    """A :class:`SearchDoc` as the schema's fields (text fields must be str; Whoosh wants naive datetimes)."""
    created = doc.created_at
    if isinstance(created, datetime) and created.tzinfo is not None:
        created = created.astimezone(UTC).replace(tzinfo=None)
    is_spec = doc.kind == Kind.SPEC
    fields: dict[str, Any] = {
        "doc_id": doc.doc_id,
        "kind": str(doc.kind),
        "source": doc.source or "",
        "project": doc.project,
        "release": doc.release or "",
        "state": doc.state or "",
        "author": doc.author or "",
        "author_key": (doc.author or "").casefold(),
        "spec_key": str(doc.spec_id),
        "spec": doc.spec,
        "shown_title": doc.title,
        "title": f"{doc.title}\n{doc.spec.replace('-', ' ').replace('_', ' ')}" if is_spec else "",
        "heading": doc.heading or "",
        "body": doc.body or "",
        "context": "" if is_spec else doc.title,
        "url": doc.url,
        "file": doc.file or "",
        "line": doc.line,
    }
    if isinstance(created, datetime):
        fields["created"] = created
    return fields


# --- files ------------------------------------------------------------------------------------


@contextlib.contextmanager
def _flock(path: Path, timeout: float, busy: Exception) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise busy from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _point_to(root: Path, name: str) -> None:
    """Switch ``CURRENT`` to ``name`` atomically and durably."""
    tmp = root / f"{POINTER}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, root / POINTER)
    _fsync_dir(root)


def _fsync_tree(directory: Path) -> None:
    for path in directory.iterdir():
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _stamp() -> str:
    return f"{time.strftime('%Y%m%d%H%M%S', time.gmtime())}-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).replace(tzinfo=None)  # Whoosh stores naive UTC
