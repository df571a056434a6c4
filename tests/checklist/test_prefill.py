"""The checklist prefill on real nova specs and on hand-written edge cases."""

from __future__ import annotations

import json

import pytest

from portal.checklist import template
from portal.checklist.prefill import judge, prefill
from portal.specs.document import parse_spec
from tests.conftest import corpus_or_skip


def prefill_of(path: str):
    corpus = corpus_or_skip()
    spec = parse_spec((corpus / path).read_text())
    return prefill(spec.sections, template.latest())


def test_tag_instances_juno_flags_a_new_table_without_an_upgrade_story() -> None:
    """juno template: no Upgrade impact section; a CREATE TABLE in Data model impact."""
    result = prefill_of("specs/juno/approved/tag-instances.rst")
    assert result.item("upgrade").state == "missing"
    assert result.item("rollback").state == "missing"
    assert result.item("monitoring").state == "none"
    assert result.item("monitoring").evidence.section == "Proposed change > Notifications impact"
    assert result.item("docs").state == "addressed"
    assert "new API extension" in result.item("docs").evidence.quote
    upgrade_concerns = [c.rule for c in result.item("upgrade").concerns]
    assert upgrade_concerns == ["schema_without_upgrade"]
    concern = result.item("upgrade").concerns[0]
    assert any("CREATE TABLE tags" in q for q in concern.quotes)
    assert [c.rule for c in result.item("monitoring").concerns] == ["api_without_monitoring"]


def test_cross_cell_resize_answers_the_lifecycle_questions() -> None:
    result = prefill_of("specs/stein/approved/cross-cell-resize.rst")
    states = result.states()
    assert states["upgrade"] == "addressed"
    assert result.item("upgrade").evidence.section == "Proposed change > Upgrade impact"
    assert states["monitoring"] == "addressed"
    assert states["alternatives"] == "addressed"  # its text lives in sub-sections
    assert states["testing"] == "addressed"
    assert not any(item.concerns for item in result.items)


def test_no_more_soft_delete_says_none_almost_everywhere() -> None:
    states = prefill_of("specs/mitaka/implemented/no-more-soft-delete.rst").states()
    for key in ("monitoring", "config", "performance", "security", "docs", "user_impact", "testing"):
        assert states[key] == "none", key
    assert states["alternatives"] == "addressed"
    assert states["upgrade"] == "missing"  # mitaka template had no Upgrade impact section


def test_a_singleton_daemon_without_failover_is_a_concern() -> None:
    result = prefill_of("specs/victoria/approved/nova-audit.rst")
    assert result.item("ha").state == "missing"
    assert [c.rule for c in result.item("ha").concerns] == ["service_without_ha"]
    assert result.item("config").state == "addressed"


def test_health_check_spec_answers_monitoring_although_notifications_say_none() -> None:
    result = prefill_of("specs/2024.1/approved/per-process-healthchecks.rst")
    assert result.item("monitoring").state == "addressed"
    assert result.item("config").state == "addressed"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("None", "none"),
        ("None.", "none"),
        ("N/A", "none"),
        ("Not applicable.", "none"),
        ("There are no new config options.", "none"),
        ("No impact on normal operations, but the service shutdown will take more time.", "addressed"),
        ("None, however the scheduler filters are called once per host.", "addressed"),
        ("Nova can continue to have duplicate code that does the same work.", "addressed"),
        ("Notification samples shall be generated for versioned notifications.", "addressed"),
        ("We simply move code around. So, there is no doc impact.", "none"),
        ("", "missing"),
        ("Describe any potential security impact on the system.", "missing"),
        ("Please specify any changes to notifications. Be that an extra notification.", "missing"),
        ("TBD", "missing"),
    ],
)
def test_judging_one_section(text: str, expected: str) -> None:
    assert judge(text) == expected


def test_a_spec_without_recognisable_sections_gets_all_missing_and_a_note() -> None:
    text = "My idea\n=======\n\nWe should make things better.\n\nDetails\n-------\n\nSome words about it.\n"
    result = prefill(parse_spec(text).sections, template.latest())
    assert {item.state for item in result.items} == {"missing"}
    assert result.note is not None and "No recognisable sections" in result.note


def test_other_projects_templates_are_understood() -> None:
    """cinder's 'Active/Active HA impact', 'Upgrades and Backwards Compatibility', keystone's own headings."""
    text = """
Volume thing
============

Problem Description
-------------------

Backups are slow.

Proposed Change
---------------

Compress them.

Active/Active HA impact
-----------------------

The backup service runs active/active; each worker takes jobs from the queue, so losing a node only
slows the queue down.

Upgrades and Backwards Compatibility
------------------------------------

Old backup services keep writing uncompressed backups until they are upgraded; restores read both.

Operational considerations
--------------------------

A new metric ``backup_compression_ratio`` is emitted per backup so operators can alert on it.
"""
    states = prefill(parse_spec(text).sections, template.latest()).states()
    assert states["ha"] == "addressed"
    assert states["upgrade"] == "addressed"
    assert states["monitoring"] == "addressed"
    assert states["security"] == "missing"


def test_json_shape_keeps_the_stable_keys() -> None:
    result = prefill_of("specs/juno/approved/tag-instances.rst").to_dict()
    document = json.loads(json.dumps(result))
    assert document["template_version"] == template.latest().version
    keys = [item["key"] for item in document["items"]]
    for key in template.STABLE_KEYS:
        assert key in keys
    for item in document["items"]:
        assert set(item) >= {"key", "area", "state", "evidence", "concerns"}
        assert item["state"] in ("addressed", "none", "missing")
        for concern in item["concerns"]:
            assert set(concern) >= {"message", "quotes"}
