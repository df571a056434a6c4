"""Print how often each checklist item is a gap, per corpus tree, with template v1 and with the newest.

    python bench/checklist_gaps.py [--corpus ../shared/corpus] [--trees glance-specs manila-specs designate-specs]

A gap is what the project page badges and the ``gap=`` filter count: a
required item that is ``missing`` or carries a cross-check concern. From
template v2 an item is a gap only where it applies to the spec (see
portal/checklist/applicability.py). Every ``*.rst`` file is read except
index files, templates and symlinks (the importer's own skip rules are
richer; this is about the prefill, not the import).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from portal.checklist import template
from portal.checklist.prefill import Prefill, prefill
from portal.specs.document import parse_spec

ROOT = Path(__file__).resolve().parents[1]
KEYS = template.STABLE_KEYS


def spec_files(tree: Path) -> list[Path]:
    return sorted(
        p for p in (tree / "specs").rglob("*.rst")
        if not p.is_symlink() and p.name != "index.rst" and "template" not in p.name
    )


def gaps(result: Prefill) -> set[str]:
    return {i.key for i in result.items if i.key in KEYS and i.applies and (i.state == "missing" or i.concerns)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--trees", nargs="+", default=["glance-specs", "manila-specs", "designate-specs", "nova-specs"])
    args = parser.parse_args()
    old, new = template.get(1), template.latest()
    print(f"gap rate per item: template v{old.version} -> v{new.version} (only items that apply count as gaps)")
    print(f"{'item':<13}" + "".join(f"{t.removesuffix('-specs'):>20}" for t in args.trees))
    rates: dict[str, dict[str, tuple[float, float]]] = {}
    counts: dict[str, int] = {}
    for tree in args.trees:
        files = spec_files(args.corpus / tree)
        before, after = Counter[str](), Counter[str]()
        for path in files:
            sections = parse_spec(path.read_text(encoding="utf-8", errors="replace")).sections
            before.update(gaps(prefill(sections, old)))
            after.update(gaps(prefill(sections, new)))
        counts[tree] = len(files)
        rates[tree] = {k: (before[k] / len(files), after[k] / len(files)) for k in KEYS}
    for key in KEYS:
        cells = "".join(f"{rates[t][key][0]:>9.0%} -> {rates[t][key][1]:>4.0%}   " for t in args.trees)
        print(f"{key:<13}{cells}")
    print("specs        " + "".join(f"{counts[t]:>20}" for t in args.trees))


if __name__ == "__main__":
    main()
