"""The PostgreSQL search backend at portal scale, on the documents bench/search.py generates.

    PORTAL_TEST_DATABASE_URL=postgresql+psycopg://… python bench/search_postgres.py [--specs 10000]
        [--sections 3] [--comments 100000] [--queries 100]

Builds a scratch database beside PORTAL_TEST_DATABASE_URL's (migrated, then dropped at the end), runs
``PostgresBackend.rebuild`` (what `portal search reindex` does), prints the build time, the size of
``search_documents`` with its indexes and of the vocabulary, then p50/p99 latency of 1-, 2- and 3-word
queries as the portal asks them (total, facet counts of 6 fields, ranked page of 20 with highlighted
snippets, did-you-mean), of related(), and the time from a new comment's write (``apply``) to it being
findable. It prints figures; it never passes or fails.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search import CORPUS, Text, documents, pct, timed, vocabulary  # noqa: E402  (bench/search.py)
from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from portal.db import migrations  # noqa: E402
from portal.db.engine import make_engine  # noqa: E402
from portal.search import Kind, SearchDoc, SearchQuery  # noqa: E402
from portal.search.postgres_backend import PostgresBackend  # noqa: E402
from tests.support.pg import scratch_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--specs", type=int, default=10_000)
    parser.add_argument("--sections", type=int, default=3)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    base = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        sys.exit("set PORTAL_TEST_DATABASE_URL to a PostgreSQL URL (a scratch database is made beside it)")

    words = vocabulary()
    docs = list(documents(args.specs, args.sections, args.comments, Text(words)))
    print(f"{len(docs):,} documents ({args.specs:,} specs × (1 + {args.sections} sections) + {args.comments:,} "
          f"comments), vocabulary from {'the real corpus' if CORPUS.is_dir() else 'a Zipf generator'}")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    with scratch_database(base, "bench") as url:
        migrations.upgrade(url)
        engine = make_engine(url)
        try:
            backend = PostgresBackend(sessionmaker(bind=engine))
            with engine.connect() as conn:
                print("PostgreSQL", conn.scalar(text("SHOW server_version")))
            t = time.perf_counter()
            backend.rebuild(docs)
            elapsed = time.perf_counter() - t
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
                size = conn.scalar(text("SELECT pg_total_relation_size('search_documents')")) or 0
                gin = conn.scalar(text("SELECT pg_relation_size('ix_search_documents_search')")) or 0
                terms = conn.scalar(text("SELECT count(*) FROM search_terms"))
                terms_size = conn.scalar(text("SELECT pg_total_relation_size('search_terms')")) or 0
            print(f"build (rebuild, one transaction): {elapsed:.1f} s ({len(docs) / elapsed:,.0f} docs/s); "
                  f"search_documents {size / 1e6:.0f} MB with indexes (GIN {gin / 1e6:.0f} MB); "
                  f"vocabulary {terms:,} terms, {terms_size / 1e6:.0f} MB")

            mid = {w for w, _ in words.most_common(3000)[100:]}
            rng = random.Random(11)

            def typed(n: int) -> str:
                while True:
                    body = {w for w in rng.choice(docs).body.split() if w in mid}
                    if len(body) >= n:
                        return " ".join(rng.sample(sorted(body), n))

            def portal_search(q: str) -> int:
                return backend.search(SearchQuery(words=q)).total

            timed(portal_search, [typed(2) for _ in range(20)])
            print("\nquery latency in ms (p50 / p99) as the portal asks (facets, page of 20 with snippets)")
            print(f"{'words':>5} {'hits':>7} | {'postgres (portal)':>18}")
            for n in (1, 2, 3):
                qs = [typed(n) for _ in range(args.queries)]
                totals = [portal_search(q) for q in qs]
                lat = timed(portal_search, qs)
                print(f"{n:>5} {statistics.median(totals):>7.0f} | {pct(lat, 50):>8.1f} / {pct(lat, 99):>6.1f}")
            misspelt = [typed(1)[:-1] + "q" for _ in range(30)]
            lat = timed(portal_search, misspelt)
            print(f"misspelt word (did you mean): {pct(lat, 50):.1f} / {pct(lat, 99):.1f} ms")
            spec_ids = [f"spec:{rng.randint(1, args.specs)}" for _ in range(50)]
            lat = timed(lambda d: len(backend.related(d)), spec_ids)
            print(f"related specs: {pct(lat, 50):.1f} / {pct(lat, 99):.1f} ms")

            found: list[float] = []
            for i in range(20):
                token = f"zqfresh{i}token"
                fresh = SearchDoc(doc_id=f"comment:{10**9 + i}", kind=Kind.COMMENT, source="portal", project="nova",
                                  spec_id=1, spec="x", title="x", body=f"a new comment {token}", url="/x")
                t = time.perf_counter()
                backend.apply(upsert=[fresh])
                while backend.search(SearchQuery(words=token)).total == 0:
                    pass
                found.append((time.perf_counter() - t) * 1000)
            print(f"a new comment until findable (apply + search): p50 {statistics.median(found):.1f} ms, "
                  f"max {max(found):.1f} ms")
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
