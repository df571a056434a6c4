"""Print how often the checklist prefill agrees with the hand labels, per item key.

    python bench/checklist_agreement.py [--corpus ../shared/corpus/nova-specs] [--show-disagreements]

Tuning set and held-out set are printed separately: the held-out quarter
(chosen by hash, see portal.checklist.agreement.is_held_out) was not looked
at while writing the prefill rules, so its figure is the honest one.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from portal.checklist import template
from portal.checklist.agreement import Agreement, is_held_out
from portal.checklist.prefill import prefill
from portal.specs.document import parse_spec

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "checklist_labels"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "nova-specs")
    parser.add_argument("--show-disagreements", action="store_true")
    parser.add_argument("--split", choices=["tuning", "held-out", "all"], default="all")
    args = parser.parse_args()
    tmpl = template.latest()
    tuning, held_out, everything = Agreement(), Agreement(), Agreement()
    for label_file in sorted(LABELS.glob("*.yaml")):
        label = yaml.safe_load(label_file.read_text())
        spec = parse_spec((args.corpus / label["file"]).read_text())
        result = prefill(spec.sections, tmpl)
        (held_out if is_held_out(label["file"]) else tuning).add(label["file"], label, result)
        everything.add(label["file"], label, result)
    print(f"checklist template v{tmpl.version}; labels in {LABELS.relative_to(ROOT)}")
    if args.split in ("tuning", "all"):
        print(tuning.report("tuning set"))
    if args.split in ("held-out", "all"):
        print(held_out.report("held-out set"))
    if args.split == "all":
        print(everything.report("all labelled specs"))
    if args.show_disagreements:
        chosen = {"tuning": tuning, "held-out": held_out, "all": everything}[args.split]
        for path, key, expected, got in chosen.disagreements:
            print(f"  {path}: {key}: label {expected}, prefill {got}")


if __name__ == "__main__":
    main()
