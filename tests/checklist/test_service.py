"""Checklist answers: prefill rows, reviewers' answers as history, staleness, summary, versions."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from portal.checklist import service, template, views
from portal.errors import InvalidInput, PermissionDenied
from portal.models import ChecklistAnswer, ChecklistGap, ChecklistSummary, ChecklistTemplate, Project, SpecRevision
from tests.checklist import DRAIN_SECTIONS

SECTIONS = DRAIN_SECTIONS


def revisions_of(db, spec):
    return list(db.scalars(select(SpecRevision).where(SpecRevision.spec_id == spec.id)))


def view_of(db, spec):
    return views.checklist_view(db, spec, revisions_of(db, spec))


def item(view, key):
    return next(i for i in view.items if i.key == key)


@pytest.fixture
def drained(db, make_spec, make_project):
    project = make_project("nova")
    spec = make_spec("compute-drain", project=project, **SECTIONS)
    service.refresh_prefill(db, spec)
    db.flush()
    return spec


def answers(db, spec, key=None):
    stmt = select(ChecklistAnswer).where(ChecklistAnswer.spec_id == spec.id).order_by(ChecklistAnswer.id)
    if key:
        stmt = stmt.where(ChecklistAnswer.item_key == key)
    return list(db.scalars(stmt))


def test_prefill_is_written_once_per_revision(db, drained) -> None:
    first = len(answers(db, drained))
    assert first == len(template.latest().items)
    service.refresh_prefill(db, drained)
    assert len(answers(db, drained)) == first  # nothing changed, nothing written
    view = view_of(db, drained)
    upgrade = item(view, "upgrade")
    assert upgrade.state == "none" and not upgrade.confirmed
    assert [c["rule"] for c in upgrade.concerns] == ["schema_without_upgrade"]


def test_a_reviewer_answer_is_a_new_row_and_history_is_kept(db, drained, make_user) -> None:
    rita = make_user("rita", role="reviewer")
    service.answer(db, rita, drained, "upgrade", "concern", "A new column needs an online migration plan.")
    service.answer(db, rita, drained, "upgrade", "addressed", "Author added the expand/contract plan on Gerrit.")
    rows = answers(db, drained, "upgrade")
    assert [(r.source, r.state) for r in rows] == [
        ("prefill", "none"),
        ("reviewer", "concern"),
        ("reviewer", "addressed"),
    ]
    assert rows[1].note == "A new column needs an online migration plan."  # never overwritten
    view_item = item(view_of(db, drained), "upgrade")
    assert view_item.state == "addressed" and view_item.confirmed and view_item.answered_by == "rita"
    assert [h.state for h in view_item.history] == ["none", "concern", "addressed"]


def test_an_operator_cannot_answer_as_a_reviewer(db, drained, make_user) -> None:
    rey = make_user("rey", role="operator")
    before = len(answers(db, drained))
    with pytest.raises(PermissionDenied, match="Only reviewers"):
        service.answer(db, rey, drained, "upgrade", "addressed")
    assert len(answers(db, drained)) == before


@pytest.mark.parametrize(
    ("key", "state", "area", "message"),
    [
        ("upgrade", "great", None, "Allowed: addressed, none, missing, concern, n/a"),
        ("uptime", "addressed", None, "Unknown checklist item 'uptime'. Allowed: monitoring"),
        ("upgrade", "addressed", "monitoring", "is in area 'lifecycle'"),
        ("upgrade", "concern", None, "Say why in the note"),
    ],
)
def test_bad_answers_are_refused_with_the_allowed_values(db, drained, make_user, key, state, area, message) -> None:
    rita = make_user("rita", role="reviewer")
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(")):
        service.answer(db, rita, drained, key, state, "", area=area)


def test_an_answer_goes_stale_when_its_section_changes(db, drained, make_spec, make_user) -> None:
    rita = make_user("rita", role="reviewer")
    service.answer(db, rita, drained, "upgrade", "concern", "Needs an online migration plan.")
    service.answer(db, rita, drained, "testing", "addressed", "")
    revised = dict(SECTIONS, **{"Upgrade impact": "The column is added online; old computes ignore it."})
    make_spec("compute-drain", project=db.get(Project, drained.project_id), **revised)
    service.refresh_prefill(db, drained)
    view = view_of(db, drained)
    upgrade = item(view, "upgrade")
    assert upgrade.stale
    assert any(line.startswith("+") and "added online" in line for line in upgrade.diff)
    assert any(line.startswith("-") and "None" in line for line in upgrade.diff)
    assert not item(view, "testing").stale  # its section did not change
    assert upgrade.state == "concern"  # the reviewer's answer stays until they change it
    assert db.get(ChecklistSummary, drained.id).stale_count == 1


def test_a_revision_that_changes_other_sections_keeps_the_answer(db, drained, make_spec, make_user) -> None:
    rita = make_user("rita", role="reviewer")
    service.answer(db, rita, drained, "upgrade", "addressed", "")
    make_spec(
        "compute-drain", project=db.get(Project, drained.project_id), **dict(SECTIONS, Testing="Tempest covers it too.")
    )
    service.refresh_prefill(db, drained)
    assert not item(view_of(db, drained), "upgrade").stale


def test_summary_score_and_gaps_follow_the_answers(db, drained, make_user) -> None:
    summary = db.get(ChecklistSummary, drained.id)
    gaps = set(db.scalars(select(ChecklistGap.item_key).where(ChecklistGap.spec_id == drained.id)))
    assert "upgrade" in gaps  # a concern from the cross-check
    assert "rollback" in gaps  # missing
    assert summary.gap_count == len(gaps)
    before = summary.score
    rita = make_user("rita", role="reviewer")
    service.answer(db, rita, drained, "rollback", "n/a", "")
    service.answer(db, rita, drained, "upgrade", "addressed", "")
    db.refresh(summary)
    gaps = set(db.scalars(select(ChecklistGap.item_key).where(ChecklistGap.spec_id == drained.id)))
    assert "rollback" not in gaps and "upgrade" not in gaps
    assert summary.score > before
    assert summary.reviewed_count == 2


def test_answers_keep_the_template_version_they_were_given_against(db, drained, make_user) -> None:
    v1 = template.latest()
    source = copy.deepcopy(v1.source)
    source["version"] = v1.version + 1
    source["areas"][0]["items"].append(
        {
            "key": "dashboards",
            "title": "Dashboards",
            "question": "Is there a dashboard?",
            "prefill": {"sections": ["dashboard"]},
        }
    )
    v2 = template.parse_template(source)
    rita = make_user("rita", role="reviewer")
    service.answer(db, rita, drained, "upgrade", "addressed", "")
    service.refresh_prefill(db, drained, tmpl=v2)
    versions = {r.template_version for r in answers(db, drained)}
    assert versions == {v1.version, v2.version}
    reviewer_rows = [r for r in answers(db, drained) if r.source == "reviewer"]
    assert [r.template_version for r in reviewer_rows] == [v1.version]
    stored = set(db.scalars(select(ChecklistTemplate.version)))
    assert {v1.version, v2.version} <= stored
    assert [r.state for r in answers(db, drained, "dashboards")] == ["missing"]


def test_a_spec_without_a_document_has_no_prefill_but_can_be_viewed(db, make_project) -> None:
    from portal.models import Spec
    from portal.specs.service import BlueprintData, apply_blueprint

    project = make_project("neutron")
    apply_blueprint(db, None, project, BlueprintData(name="lp-only", title="Only on Launchpad"))
    spec = db.scalar(select(Spec).where(Spec.name == "lp-only"))
    assert service.refresh_prefill(db, spec) is None
    view = view_of(db, spec)
    assert view.note and "No spec document" in view.note
    assert {i.state for i in view.items} == {"missing"}
