"""The prefill agrees with the hand labels in tests/checklist_labels/ (a regression floor).

The figures per item key are printed by bench/checklist_agreement.py and
reported in docs/checklist.md; this test fails if a change makes the
prefill worse than what was measured when the rules were written.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from portal.checklist import template
from portal.checklist.agreement import Agreement, is_held_out
from portal.checklist.prefill import prefill
from portal.specs.document import parse_spec
from tests.conftest import corpus_or_skip

LABELS = Path(__file__).resolve().parents[1] / "checklist_labels"
STATES = {"addressed", "none", "missing"}
RULES = {
    "schema_without_upgrade",
    "schema_without_rollback",
    "config_without_docs",
    "service_without_ha",
    "api_without_monitoring",
}


def test_labels_are_complete_and_well_formed() -> None:
    files = sorted(LABELS.glob("*.yaml"))
    assert len(files) >= 30
    for path in files:
        label = yaml.safe_load(path.read_text())
        assert path.name == label["file"].replace("/", "__").replace(".rst", ".yaml")
        assert set(label["items"]) == set(template.STABLE_KEYS), path.name
        for key, value in label["items"].items():
            assert value["state"] in STATES, (path.name, key)
            assert value["why"].strip(), (path.name, key)
        for concern in label.get("concerns") or []:
            assert concern["rule"] in RULES, path.name


def test_prefill_agrees_with_the_hand_labels() -> None:
    corpus = corpus_or_skip()
    everything, held_out = Agreement(), Agreement()
    tmpl = template.latest()
    for path in sorted(LABELS.glob("*.yaml")):
        label = yaml.safe_load(path.read_text())
        result = prefill(parse_spec((corpus / label["file"]).read_text()).sections, tmpl)
        everything.add(label["file"], label, result)
        if is_held_out(label["file"]):
            held_out.add(label["file"], label, result)
    report = everything.report("all") + "\n" + held_out.report("held-out")
    assert everything.rate() >= 0.94, report
    assert held_out.rate() >= 0.93, report
    for key in template.STABLE_KEYS:
        assert everything.rate(key) >= 0.85, report
