"""Print how often the checklist prefill agrees with the hand labels, per project and per item key.

    python bench/checklist_agreement.py [--corpus ../shared/corpus] [--project glance] [--show-disagreements]

For each project (nova, glance, manila, designate) the tuning part and the
held-out part are printed separately, then the pool of the three newer trees:
the held-out part (chosen by hash, see portal.checklist.agreement.is_held_out)
was not looked at while writing the template's rules, so its figure is the
honest one.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from portal.checklist import template
from portal.checklist.agreement import Agreement, load_labels
from portal.checklist.prefill import prefill
from portal.specs.document import parse_spec

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "checklist_labels"
NEW_TREES = ("glance", "manila", "designate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--project", help="only this project's labels (nova, glance, manila, designate)")
    parser.add_argument("--split", choices=["tuning", "held-out", "all"], default="all")
    parser.add_argument("--version", type=int, help="template version (default: newest)")
    parser.add_argument("--show-disagreements", action="store_true")
    args = parser.parse_args()
    tmpl = template.get(args.version) if args.version else template.latest()
    parts: dict[tuple[str, str], Agreement] = defaultdict(Agreement)
    for label in load_labels(LABELS):
        if args.project and label.project != args.project:
            continue
        spec = parse_spec((args.corpus / label.tree / label.file).read_text(encoding="utf-8"))
        result = prefill(spec.sections, tmpl)
        split = "held-out" if label.held_out else "tuning"
        for project in (label.project, "pooled" if label.project in NEW_TREES else None):
            if project is None:
                continue
            parts[(project, split)].add(label.corpus_path, label.data, result)
            parts[(project, "all")].add(label.corpus_path, label.data, result)
    print(f"checklist template v{tmpl.version}; labels in {LABELS.relative_to(ROOT)}")
    for project in ("nova", *NEW_TREES, "pooled"):
        for split in ("tuning", "held-out", "all"):
            if (project, split) in parts and args.split in (split, "all"):
                title = f"{project} ({'glance+manila+designate' if project == 'pooled' else 'tree'}) {split}"
                print(parts[(project, split)].report(title))
    if args.show_disagreements:
        for (project, split), agreement in sorted(parts.items()):
            if project == "pooled" or split == "all" or args.split not in (split, "all"):
                continue
            for path, key, expected, got in agreement.disagreements:
                print(f"  [{split}] {path}: {key}: label {expected}, prefill {got}")


if __name__ == "__main__":
    main()
