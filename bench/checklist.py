"""Prefill throughput over the whole nova-specs corpus: specs per second.

    python bench/checklist.py [--corpus ../shared/corpus/nova-specs] [--rounds 5]

Prints parse time (docutils) and prefill time (the checklist rules) separately,
since the portal parses once at import and may prefill again after a template
change. Figures, not a pass/fail.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

from portal.checklist import template
from portal.checklist.prefill import prefill
from portal.importers.specs_tree import iter_rst
from portal.specs import document
from portal.specs.document import parse_spec

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "nova-specs")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    files = sorted(iter_rst(args.corpus))
    if not files:
        raise SystemExit(f"no spec files under {args.corpus}")
    texts = [f.read_text(encoding="utf-8") for f in files]
    tmpl = template.latest()
    total_bytes = sum(len(t.encode()) for t in texts)

    parse_times, prefill_times = [], []
    parsed = []
    for _ in range(args.rounds):
        document._parse_cached.cache_clear()  # measure parsing, not the parse cache
        start = time.perf_counter()
        parsed = [parse_spec(t) for t in texts]
        parse_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        for spec in parsed:
            prefill(spec.sections, tmpl)
        prefill_times.append(time.perf_counter() - start)

    n = len(texts)
    parse_s, prefill_s = statistics.median(parse_times), statistics.median(prefill_times)
    print(f"corpus: {n} specs, {total_bytes / 1024:.0f} KiB, {sum(len(p.sections) for p in parsed)} sections")
    print(
        f"python {platform.python_version()}, template v{tmpl.version} ({len(tmpl.items)} items), "
        f"median of {args.rounds}"
    )
    print(f"parse (docutils)   : {parse_s:7.3f} s  {n / parse_s:8.1f} specs/s  {parse_s / n * 1000:6.2f} ms/spec")
    print(f"prefill (rules)    : {prefill_s:7.3f} s  {n / prefill_s:8.1f} specs/s  {prefill_s / n * 1000:6.2f} ms/spec")
    both = parse_s + prefill_s
    print(f"parse + prefill    : {both:7.3f} s  {n / both:8.1f} specs/s")


if __name__ == "__main__":
    main()
