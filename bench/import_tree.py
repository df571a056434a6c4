"""Spec-tree import throughput of each corpus tree, next to the docutils parse time of the same files.

    python bench/import_tree.py [--corpus ../shared/corpus] [--trees nova,glance,manila,designate] [--rounds 3]

For each tree, in one run on a fresh SQLite database in a temporary folder:
discovery alone (walk, layout, stubs, dates), docutils parsing of every spec
file without storing it, a first import (parse, store, checklist prefill,
events), and re-imports of the unchanged tree (aim: 2,000 specs/s or more;
the best of ``--rounds``, since the machine may be shared: the load average is
printed). Figures, not a pass/fail.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from portal.db import migrations
from portal.db.engine import make_engine, make_session_factory
from portal.db.unit import commit_batch
from portal.importers.specs_tree import discover_all, import_tree
from portal.specs import document
from portal.specs.document import parse_spec
from portal.specs.service import add_project

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--trees", default="nova,glance,manila,designate")
    parser.add_argument("--rounds", type=int, default=3, help="re-imports per tree; the best is printed")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, SQLite in a temporary folder, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, re-import best of {args.rounds}")
    print(f"{'tree':10} {'specs':>6} {'skipped':>8} {'discover':>9} {'parse':>8} {'import':>8} {'ratio':>6} "
          f"{'specs/s':>8} {'re-import':>10} {'specs/s':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrations.upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        for name in args.trees.split(","):
            root = args.corpus / f"{name}-specs"
            if not root.is_dir():
                print(f"{name:10} not found under {args.corpus}")
                continue
            start = time.perf_counter()
            files, _, not_specs = discover_all(root)
            discover_s = time.perf_counter() - start

            document._parse_cached.cache_clear()
            texts = [f.real_path.read_text(encoding="utf-8", errors="replace") for f in files]
            start = time.perf_counter()
            for text in texts:
                parse_spec(text)
            parse_s = time.perf_counter() - start

            document._parse_cached.cache_clear()
            with factory() as session:
                project = add_project(session, None, f"{name}-bench")
                session.commit()
                start = time.perf_counter()
                report = import_tree(session, None, project, root, commit=lambda: commit_batch(session))
                import_s = time.perf_counter() - start
                reimport_s = float("inf")
                for _ in range(max(1, args.rounds)):
                    start = time.perf_counter()
                    again = import_tree(session, None, project, root, commit=lambda: commit_batch(session))
                    reimport_s = min(reimport_s, time.perf_counter() - start)
                    assert again.unchanged == report.total, f"re-import changed something: {again.summary()}"
            n = report.total
            print(f"{name:10} {n:6d} {len(not_specs):8d} {discover_s:8.2f}s {parse_s:7.2f}s {import_s:7.2f}s "
                  f"{import_s / parse_s:5.1f}x {n / import_s:8.1f} {reimport_s:9.3f}s {n / reimport_s:9.0f}")
        engine.dispose()


if __name__ == "__main__":
    main()
