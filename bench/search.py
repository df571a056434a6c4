"""Search at portal scale: the Whoosh backend next to SQLite FTS5 on the same documents, in one run.

    python bench/search.py [--specs 10000] [--sections 3] [--comments 100000] [--queries 100] [--keep DIR]

1. Generates the documents: per spec one spec document and ``--sections`` section documents, plus
   ``--comments`` comments, with words drawn by frequency from the real specs in ../shared/corpus
   (a synthetic Zipf vocabulary when it is absent), so the word distribution is that of real specs.
2. Builds the Whoosh index with ``WhooshBackend.rebuild`` (what `portal search reindex` runs) and an FTS5
   table (``porter unicode61`` tokenizer, same title/heading/body columns) from the same documents;
   prints build time and size of each.
3. Runs ``--queries`` queries each of 1, 2 and 3 words (mid-frequency words of the vocabulary, AND), after
   20 warm-up queries, and prints p50/p99 for
   * Whoosh as the portal calls it (``backend.search``: total, facet counts of 6 fields, recency, top 20,
     highlighted snippets),
   * Whoosh bare (the same query object, top 20 by BM25F, no facets, no snippets): what the engine costs,
   * FTS5 bare (top 20 by bm25 with ``snippet()``) and FTS5 with the same extras (exact total and the
     facet counts by GROUP BY).
4. Times a new comment becoming findable on the full index: one consumer write (``apply``, one commit)
   then searches until it is found, 20 times; the same for FTS5 (INSERT + COMMIT + MATCH).

It prints figures; it never passes or fails. See bench/README.md for the figures of the dev box.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from whoosh import query as wq  # noqa: E402

from portal.search import Kind, SearchDoc, SearchQuery  # noqa: E402
from portal.search.whoosh_backend import WhooshBackend, _clauses  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PROJECTS = ["nova", "neutron", "cinder", "glance", "manila", "keystone", "designate", "ironic", "octavia", "heat"]
RELEASES = ["2023.1", "2023.2", "2024.1", "2024.2", "2025.1", "2025.2", "2026.1"]
STATES = ["approved", "implemented", "backlog", "abandoned", "proposed"]
SOURCES = ["portal", "gerrit", "gerrit", "gerrit", "launchpad", "link"]
HEADINGS = ["Problem description", "Proposed change", "Upgrade impact", "Alternatives", "Security impact",
            "Performance Impact", "Other deployer impact", "Testing", "Documentation Impact", "Work Items"]
START = datetime(2014, 1, 1, tzinfo=UTC)


def vocabulary() -> Counter[str]:
    words: Counter[str] = Counter()
    files = list(CORPUS.glob("*/specs/**/*.rst")) if CORPUS.is_dir() else []
    for path in files:
        words.update(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z]{2,}", path.read_text(errors="replace")))
    if not words:  # no corpus: a Zipf vocabulary of pseudo-words
        rng = random.Random(1)
        for rank in range(1, 20_001):
            words["".join(rng.choice("abcdefghijklmnoprstuvw") for _ in range(rng.randint(4, 10)))] = int(
                100_000 / rank) + 1
    return words


class Text:
    def __init__(self, words: Counter[str], seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.population = list(words)
        self.cum: list[float] = []
        total = 0.0
        for w in self.population:
            total += words[w]
            self.cum.append(total)

    def words(self, n: int) -> str:
        return " ".join(self.rng.choices(self.population, cum_weights=self.cum, k=n))


def documents(n_specs: int, n_sections: int, n_comments: int, text: Text) -> Iterator[SearchDoc]:
    rng = random.Random(3)
    span = (datetime(2026, 12, 1, tzinfo=UTC) - START).total_seconds()
    meta = []
    for spec_id in range(1, n_specs + 1):
        project, release, state = rng.choice(PROJECTS), rng.choice(RELEASES), rng.choice(STATES)
        name = "-".join(text.words(3).split())
        title = text.words(rng.randint(4, 9)).capitalize()
        created = START + timedelta(seconds=rng.random() * span)
        meta.append((spec_id, project, name, title, release, state))
        url = f"/projects/{project}/specs/{name}"
        yield SearchDoc(doc_id=f"spec:{spec_id}", kind=Kind.SPEC, source="file", project=project, spec_id=spec_id,
                        spec=name, title=title, body=text.words(rng.randint(30, 60)), url=url, created_at=created,
                        release=release, state=state)
        for heading in rng.sample(HEADINGS, n_sections):
            anchor = "s-" + heading.lower().replace(" ", "-")
            yield SearchDoc(doc_id=f"section:{spec_id}:{anchor}", kind=Kind.SECTION, source="file",
                            project=project, spec_id=spec_id, spec=name, title=title, heading=heading,
                            anchor=anchor, body=text.words(rng.randint(80, 220)), url=f"{url}#{anchor}",
                            created_at=created, release=release, state=state)
    authors = [text.words(2).title() for _ in range(400)]
    for cid in range(1, n_comments + 1):
        spec_id, project, name, title, release, state = rng.choice(meta)
        yield SearchDoc(doc_id=f"comment:{cid}", kind=Kind.COMMENT, source=rng.choice(SOURCES), project=project,
                        spec_id=spec_id, spec=name, title=title, body=text.words(rng.randint(15, 90)),
                        url=f"/projects/{project}/specs/{name}#comment-{cid}", author=rng.choice(authors),
                        created_at=START + timedelta(seconds=rng.random() * span), release=release, state=state)


# --- FTS5 ----------------------------------------------------------------------------------


def fts_build(path: Path, docs: Sequence[SearchDoc]) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("""CREATE VIRTUAL TABLE docs USING fts5(
        title, heading, body, doc_id UNINDEXED, kind UNINDEXED, source UNINDEXED, project UNINDEXED,
        release UNINDEXED, state UNINDEXED, author UNINDEXED, created UNINDEXED,
        tokenize='porter unicode61')""")
    db.executemany("INSERT INTO docs VALUES (?,?,?,?,?,?,?,?,?,?,?)", (
        (d.title if d.kind == Kind.SPEC else "", d.heading, d.body, d.doc_id, str(d.kind), d.source, d.project,
         d.release, d.state, d.author, d.created_at.isoformat() if d.created_at else "") for d in docs))
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # so the file size is the index size
    return db


def fts_match(words: str) -> str:
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in words.split())


def fts_bare(db: sqlite3.Connection, words: str) -> int:
    rows = db.execute("SELECT doc_id, snippet(docs, 2, '<mark>', '</mark>', '…', 24) FROM docs WHERE docs MATCH ? "
                      "ORDER BY bm25(docs, 4.0, 2.5, 1.0) LIMIT 20", (fts_match(words),)).fetchall()
    return len(rows)


def fts_full(db: sqlite3.Connection, words: str) -> int:
    match = fts_match(words)
    n = fts_bare(db, words)
    db.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (match,)).fetchone()
    for col in ("project", "release", "state", "source", "kind", "author"):
        db.execute(f"SELECT {col}, count(*) FROM docs WHERE docs MATCH ? GROUP BY {col} ORDER BY 2 DESC LIMIT 15",
                   (match,)).fetchall()
    return n


# --- measuring -------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def timed(fn, queries: Sequence[str]) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t) * 1000)
    return out


def size_of(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--specs", type=int, default=10_000)
    parser.add_argument("--sections", type=int, default=3, help="section documents per spec")
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100, help="queries of each length")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (reused when it has an index)")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-search-"))
    folder.mkdir(parents=True, exist_ok=True)
    words = vocabulary()
    text = Text(words)
    started = time.perf_counter()
    docs = list(documents(args.specs, args.sections, args.comments, text))
    print(f"{len(docs):,} documents ({args.specs:,} specs × (1 + {args.sections} sections) + {args.comments:,} "
          f"comments), {sum(len(d.body.split()) for d in docs) / len(docs):.0f} words each on average, "
          f"vocabulary {len(words):,} words from {'the real corpus' if CORPUS.is_dir() else 'a Zipf generator'}; "
          f"generated in {time.perf_counter() - started:.1f} s")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start; Python "
          f"{sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}")

    backend = WhooshBackend(folder / "search")
    if backend.exists() and args.keep:
        print("Whoosh: reusing the index in", folder)
    else:
        t = time.perf_counter()
        backend.rebuild(docs)
        elapsed = time.perf_counter() - t
        print(f"Whoosh build: {elapsed:.1f} s ({len(docs) / elapsed:,.0f} docs/s), "
              f"size {size_of(folder / 'search'):.1f} MB")
    fts_path = folder / "fts.db"
    if fts_path.exists():
        fts_path.unlink()
    t = time.perf_counter()
    fts = fts_build(fts_path, docs)
    elapsed = time.perf_counter() - t
    print(f"FTS5 build:   {elapsed:.1f} s ({len(docs) / elapsed:,.0f} docs/s), size {size_of(fts_path):.1f} MB")

    # Words a user would type together: n mid-frequency words (not among the 100 commonest, within the
    # 3,000 commonest) taken from one random document, so every query has matches for all its words.
    mid = {w for w, _ in words.most_common(3000)[100:]}
    rng = random.Random(11)

    def typed(n: int) -> str:
        while True:
            body = {w for w in rng.choice(docs).body.split() if w in mid}
            if len(body) >= n:
                return " ".join(rng.sample(sorted(body), n))

    queries = {n: [typed(n) for _ in range(args.queries)] for n in (1, 2, 3)}
    warm = [typed(2) for _ in range(20)]

    searcher_holder = backend

    def whoosh_full(q: str) -> int:
        return searcher_holder.search(SearchQuery(words=q)).total

    def whoosh_bare(q: str) -> int:
        searcher = backend._current_searcher()
        clauses = _clauses(SearchQuery(words=q).parsed())
        if not clauses:
            return 0
        return len(searcher.search(wq.And(clauses) if len(clauses) > 1 else clauses[0], limit=20))

    for fn in (whoosh_full, whoosh_bare, lambda q: fts_bare(fts, q), lambda q: fts_full(fts, q)):
        timed(fn, warm)
    print("\nquery latency in ms (p50 / p99), 20 warm-up queries first; hits = median total of matches")
    print(f"{'words':>5} {'hits':>7} | {'whoosh (portal)':>16} {'whoosh bare':>14} | {'FTS5 bare':>12} "
          f"{'FTS5 + facets':>14} | {'ratio p50 (portal/FTS5+facets)':>30}")
    for n, qs in queries.items():
        totals = [backend.search(SearchQuery(words=q)).total for q in qs]
        full = timed(whoosh_full, qs)
        bare = timed(whoosh_bare, qs)
        fb = timed(lambda q: fts_bare(fts, q), qs)
        ff = timed(lambda q: fts_full(fts, q), qs)
        print(f"{n:>5} {statistics.median(totals):>7.0f} | {pct(full, 50):>7.1f} / {pct(full, 99):>6.1f} "
              f"{pct(bare, 50):>6.1f} / {pct(bare, 99):>5.1f} | {pct(fb, 50):>5.1f} / {pct(fb, 99):>5.1f} "
              f"{pct(ff, 50):>6.1f} / {pct(ff, 99):>5.1f} | {pct(full, 50) / max(pct(ff, 50), 0.001):>29.1f}×")

    print("\na new comment until it is findable (the consumer's one commit, then search), 20 times, in ms")
    found_whoosh: list[float] = []
    found_fts: list[float] = []
    for i in range(20):
        token = f"zqfresh{i}token"
        fresh = SearchDoc(doc_id=f"comment:{10**9 + i}", kind=Kind.COMMENT, source="portal", project="nova",
                          spec_id=1, spec="x", title="x", body=f"{token} {text.words(30)}", url="/",
                          created_at=datetime.now(UTC))
        t = time.perf_counter()
        backend.apply(upsert=[fresh])
        while backend.search(SearchQuery(words=token)).total == 0:
            pass
        found_whoosh.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        fts.execute("INSERT INTO docs (title, heading, body, doc_id) VALUES ('', '', ?, ?)",
                    (fresh.body, fresh.doc_id))
        fts.commit()
        while fts_bare(fts, token) == 0:
            pass
        found_fts.append((time.perf_counter() - t) * 1000)
    print(f"Whoosh: p50 {pct(found_whoosh, 50):.0f}, max {max(found_whoosh):.0f}   "
          f"FTS5: p50 {pct(found_fts, 50):.1f}, max {max(found_fts):.1f}   "
          "(+ the wait until the next `portal search update` run)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
