"""Template v2: the failure classes seen on glance, manila and designate specs, and applicability.

Each test is a small spec in the shape of a real one (the hand labels in
tests/checklist_labels/ measure the same rules on the real trees).
"""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import select

from portal.checklist import service, template, views
from portal.checklist.prefill import judge, prefill
from portal.cli import main
from portal.models import ChecklistGap, SpecRevision
from portal.specs.document import parse_spec
from tests.support.factories import spec_rst

V2 = template.get(2)


def revisions_of(db, spec):
    return list(db.scalars(select(SpecRevision).where(SpecRevision.spec_id == spec.id)))


def result_of(sections: dict[str, str] | None = None, *, text: str | None = None):
    rst = text or spec_rst("A spec", "a-spec", "glance", sections)
    return prefill(parse_spec(rst).sections, V2)


def test_a_none_that_goes_on_with_real_content_is_an_answer() -> None:
    judging = V2.judging
    assert judge("None.", judging) == "none"
    reason = "None. The endpoint is disabled by default and has no effect on existing deployments."
    assert judge(reason, judging) == "none"
    # "opens with None, then goes on": the v1 rule only looked at the four words after "None".
    goes_on = ("No performance impact is expected on implementing this feature. However, depending on how many "
               "shares are placed within a share server, other operations can be impacted.")
    assert judge(goes_on, judging) == "addressed"
    assert judge(goes_on, template.get(1).judging) == "none"
    assert judge("None. The following alternatives were considered but none are useful: a dedicated NFS driver "
                 "would break backward compatibility.", judging) == "addressed"


def test_monitoring_is_addressed_when_the_feature_itself_reports_status() -> None:
    result = result_of({
        "Proposed change": "Add a new API that shows the tasks of an image and reports the task progress, "
                           "for example how much data has been copied so far.",
        "Notifications impact": "None",
    })
    monitoring = result.item("monitoring")
    assert monitoring.state == "addressed"
    assert "progress" in monitoring.evidence.quote


def test_upgrade_answered_in_the_body_when_the_template_has_no_upgrade_section() -> None:
    result = result_of({
        "Proposed change": "Glance API nodes running the old release keep serving requests while nodes with the "
                           "new release are added; during the upgrade both run side by side (mixed versions).",
    })
    assert result.item("upgrade").state == "addressed"
    assert result.item("upgrade").evidence.section == "Proposed change"


def test_a_negated_phrase_elsewhere_is_not_evidence() -> None:
    result = result_of({
        "Proposed change": "As choosing a store is already possible, there is no need to add a new policy "
                           "to restrict the import in multiple stores.",
        "Other deployer impact": "None",
    })
    assert result.item("config").state == "none"


def test_a_spec_lite_is_read_field_by_field() -> None:
    text = """\
==============================
Spec Lite: Add a store option
==============================

:project: glance_store

:problem: Extending attached volumes one gigabyte at a time is slow.

:solution: We will introduce a new config option ``cinder_do_extend_attached``, default false.

:impacts: None

:alternatives: None
"""
    result = result_of(text=text)
    assert result.item("security").state == "none"  # ":impacts: None" covers the impact flags
    assert result.item("security").evidence.section == "impacts"
    assert result.item("config").state == "addressed"  # the solution adds an option all the same
    assert result.item("alternatives").state == "none"
    assert result.item("testing").state == "missing"  # not an impact flag


def test_upgrade_and_rollback_apply_to_a_data_model_change_not_to_a_pure_api_addition() -> None:
    schema = result_of({"Proposed change": "Record who moved a zone.",
                        "Data model impact": "A new table zone_moves will be added."})
    assert schema.item("rollback").applies is True
    assert "data model" in schema.item("rollback").applies_because.quote.lower()
    api_only = result_of({"Proposed change": "Add a new read-only API GET /v2/info/quotas listing usage.",
                          "REST API impact": "GET /v2/info/quotas returns the quotas."})
    rollback = api_only.item("rollback")
    assert rollback.state == "missing"  # what the spec says stays apart from whether it applies
    assert rollback.applies is False
    assert rollback.applies_because.quote.startswith("not applicable, because")
    assert api_only.item("ha").applies is False
    assert api_only.item("testing").applies is True


def test_a_new_service_makes_ha_apply() -> None:
    result = result_of({"Proposed change": "A new service designate-zone-manager runs the periodic tasks."})
    assert result.item("ha").applies is True
    assert "service" in result.item("ha").applies_because.quote


def test_a_v1_template_keeps_every_item_applicable() -> None:
    result = prefill(parse_spec(spec_rst("A", "a", "nova", {"Proposed change": "An API."})).sections,
                     template.get(1))
    assert all(item.applies for item in result.items)


def test_analyze_json_keeps_state_and_adds_applies(tmp_path) -> None:
    """The analyze command needs no database or instance: it reads one file."""
    path = tmp_path / "quota-api.rst"
    path.write_text(spec_rst("Quota API", "quota-api", "glance", {
        "Proposed change": "Add a new API GET /v2/info/quotas.",
        "REST API impact": "GET /v2/info/quotas returns usage and limits.",
    }), encoding="utf-8")
    runner = CliRunner(env={"PORTAL_INSTANCE_PATH": str(tmp_path / "instance")})
    result = runner.invoke(main, ["checklist", "analyze", str(path), "--json"], prog_name="portal")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rollback = next(i for i in data["items"] if i["key"] == "rollback")
    assert rollback["state"] == "missing"
    assert rollback["applies"] is False
    assert rollback["applies_because"]["quote"].startswith("not applicable, because")
    assert data["template_version"] == template.latest().version


def test_gaps_and_score_count_only_applicable_items(db, make_spec, make_project, make_user) -> None:
    project = make_project("glance")
    spec = make_spec("quota-api", project=project, **{
        "Proposed change": "Add a new API GET /v2/info/quotas.",
        "REST API impact": "GET /v2/info/quotas returns usage and limits.",
        "Testing": "Tempest tests.",
    })
    service.refresh_prefill(db, spec)
    view = views.checklist_view(db, spec, revisions_of(db, spec))
    gaps = {i.key for i in view.gaps}
    assert "rollback" not in gaps and "ha" not in gaps  # missing, but not applicable
    assert "monitoring" in gaps  # applies to every spec
    rollback = next(i for i in view.items if i.key == "rollback")
    assert rollback.counts is False
    # A reviewer overrides applicability like any other answer.
    rita = make_user("rita", role="reviewer")
    service.answer(db, rita, spec, "rollback", "missing", "The quota cache is persisted; say how to drop it.")
    view = views.checklist_view(db, spec, revisions_of(db, spec))
    assert "rollback" in {i.key for i in view.gaps}
    service.answer(db, rita, spec, "monitoring", "n/a", "")
    view = views.checklist_view(db, spec, revisions_of(db, spec))
    assert "monitoring" not in {i.key for i in view.gaps}
    db.flush()
    stored = {g.item_key for g in db.query(ChecklistGap).filter_by(spec_id=spec.id)}
    assert stored == {i.key for i in view.gaps}  # the gap= filter reads these rows
