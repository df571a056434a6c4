"""One table of human labels per event kind, used by the home page's activity feed."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.events import LABELS, EventKind, label_for
from portal.specs.service import BlueprintData, apply_blueprint, delete_spec
from tests.support.html import text_of


@pytest.mark.parametrize("kind", list(EventKind), ids=str)
def test_every_kind_has_a_label_for_one_event_and_for_a_run(kind: EventKind) -> None:
    assert kind in LABELS, f"add a label for {kind} to portal/events/labels.py"
    label = label_for(kind)
    assert label.one and label.many and label.one != kind.value
    assert label.text(1) == label.one
    assert label.text(3) == f"3 {label.many}"


def test_a_kind_this_release_does_not_know_reads_as_itself() -> None:
    assert label_for("vote.exploded").text(2) == "2 vote.exploded"


def feed(client: FlaskClient) -> str:
    text = text_of(client.get("/").get_data(as_text=True))
    return text[text.index("Recent activity"):]


def test_the_feed_uses_the_label_table(client: FlaskClient, db: Session, make_spec, make_project) -> None:
    nova = make_project("nova")
    spec = make_spec("compute-drain", project=nova, title="Compute drain mode")
    apply_blueprint(db, None, nova, BlueprintData(name=spec.name, priority="High"))
    db.flush()
    text = feed(client)
    assert "Launchpad blueprint updated on Compute drain mode (nova)" in text
    assert "Project added: nova" in text


def test_a_removed_spec_still_reads_in_the_feed(client: FlaskClient, db: Session, make_spec, make_project) -> None:
    nova = make_project("nova")
    spec = make_spec("compute-drain", project=nova, title="Compute drain mode")
    delete_spec(db, None, spec)
    db.flush()
    text = feed(client)
    assert "Spec removed: Compute drain mode (nova)" in text
    assert "New spec compute-drain (nova)" in text  # its older events stay, named by their payload
