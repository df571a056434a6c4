"""Prefill time per spec of each checklist template version, on the same parsed specs.

    python bench/prefill_versions.py [--corpus ../shared/corpus] [--trees nova,glance,manila,designate] [--rounds 5]

Every ``*.rst`` spec file of the trees (what the importer imports) is parsed
once; then each template version prefills all of them, ``--rounds`` times,
and the median is printed in milliseconds per spec. A new template version
may read more of the text: this says what it costs. Figures, not a pass/fail.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

from portal.checklist import template
from portal.checklist.prefill import prefill
from portal.importers.specs_tree import discover_all
from portal.specs.document import parse_spec

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--trees", default="nova,glance,manila,designate")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    specs = []
    for name in args.trees.split(","):
        root = args.corpus / f"{name}-specs"
        if root.is_dir():
            files, _, _ = discover_all(root)
            specs += [parse_spec(f.real_path.read_text(encoding="utf-8", errors="replace")) for f in files]
    if not specs:
        raise SystemExit(f"no spec files under {args.corpus}")
    print(f"python {platform.python_version()}, {len(specs)} specs ({args.trees}), median of {args.rounds}, "
          f"load average {os.getloadavg()[0]:.2f}")
    for version, tmpl in sorted(template.all_templates().items()):
        times = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            for spec in specs:
                prefill(spec.sections, tmpl)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        print(f"template v{version}: {median / len(specs) * 1000:6.2f} ms/spec  {len(specs) / median:7.1f} specs/s")


if __name__ == "__main__":
    main()
