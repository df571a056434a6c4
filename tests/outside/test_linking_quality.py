"""Linking measured against hand labels: precision and recall on the meeting fixtures, with an honest floor.

Each topic of the fixture logs was read and labelled by hand (labels.json) with
the specs it discusses. The figures are printed (``pytest -s``) and asserted
above a floor, so a change to the rules that links more loosely or misses
more shows up here.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from portal.importers.outside.linking import SpecIndex
from portal.importers.outside.meeting_import import local_logs
from portal.importers.outside.meetings import parse_log
from portal.models import Project, Spec
from tests.outside.meeting_support import FIXTURES, LABELS, make_labelled_specs


def test_precision_and_recall_on_hand_labelled_topics(
    db: Session, make_project: Callable[..., Project], make_spec: Callable[..., Spec]
) -> None:
    specs = make_labelled_specs(db, make_project, make_spec)
    names = {spec.id: key for key, spec in specs.items()}
    index = SpecIndex.load(db)
    found: dict[str, set[str]] = {}
    for log in local_logs(FIXTURES):
        for topic in parse_log(log.path, log.read()):
            found[topic.external_id] = {names[m.spec_id] for m in index.link(topic)}
    labels: dict[str, list[str]] = LABELS["topics"]
    assert set(labels) == set(found), "every topic of the fixtures is labelled, and only those"
    true_pos = sum(len(found[t] & set(want)) for t, want in labels.items())
    made = sum(len(v) for v in found.values())
    wanted = sum(len(v) for v in labels.values())
    precision, recall = true_pos / made, true_pos / wanted
    misses = sorted((t, s) for t, want in labels.items() for s in set(want) - found[t])
    wrong = sorted((t, s) for t in labels for s in found[t] - set(labels[t]))
    print(f"\nlinking on {len(labels)} hand-labelled topics, {wanted} links: precision {precision:.2f} "
          f"({true_pos}/{made}), recall {recall:.2f} ({true_pos}/{wanted})")
    print("missed:", misses)
    print("wrong:", wrong)
    assert wanted >= 30
    assert precision >= 0.95
    assert recall >= 0.80
