"""Template v3's prefill rules: what they read that v2 did not, and v2's answers left as they were.

Answers are history: a spec checked against v2 keeps v2's meaning, so every
case is judged by both versions (v2 must still say what it said).
"""

from __future__ import annotations

import pytest

from portal.checklist import template
from portal.checklist.prefill import prefill
from portal.specs.document import parse_spec
from tests.support.factories import spec_rst


def _lite(problem: str, solution: str, impacts: str) -> str:
    return (
        "Spec Lite: Purge every row\n--------------------------\n\n"
        f":problem: {problem}\n:solution: {solution}\n:impacts: {impacts}\n"
    )


def _full(sections: dict[str, str]) -> str:
    return spec_rst("Calculate hash", "calculate-hash", "glance", sections)


CASES = [
    pytest.param(
        _lite("Operators run the purge many times.", "Purge everything when --max-rows is -1.", "None"),
        "monitoring", "missing", "none", id="spec-lite-impacts-none-answers-monitoring",
    ),
    pytest.param(
        _full({"Proposed change": "Add a hash API.",
               "Security impact": "This change does not have any known security impacts."}),
        "security", "addressed", "none", id="does-not-have-any-known-impacts-is-none",
    ),
    pytest.param(
        _full({"Proposed change": "The calculation runs in an async task. Since this is an async API call, the admin "
                                  "can use API /v2/images/{id}/tasks to check the progress of the task.",
               "Notifications impact": "None"}),
        "monitoring", "none", "addressed", id="status-reporting-feature-is-monitoring",
    ),
    pytest.param(
        _full({"Proposed change": "Add a deactivate action.",
               "Security impact": "This change enhances security of the overall system by letting admins suspend "
                                  "suspicious images. There are no negative security impacts."}),
        "security", "none", "addressed", id="enhances-security-then-no-negative-impact-is-an-answer",
    ),
    pytest.param(
        _full({"Proposed change": "We will introduce a new admin-only policy calculate_hash for the new call.",
               "Other deployer impact": "None"}),
        "config", "none", "addressed", id="a-new-policy-overturns-deployer-none",
    ),
    pytest.param(
        _full({"Proposed change": "Glance team would like to give users a cycle. So we will remove them during\n"
                                  "Newton, after a deprecation warning in Mitaka."}),
        "upgrade", "missing", "addressed", id="phrases-match-across-line-breaks",
    ),
    pytest.param(
        _lite("Share servers fill up.",
              "When the limits are reached the users or admins won't be impacted by this; "
              "the share manager provides a new share server.",
              "Slightly impacts performance."),
        "user_impact", "missing", "none", id="users-wont-be-impacted-is-none",
    ),
    pytest.param(
        _full({"Proposed change": "If the worker process is enabled, central sends zone events to the worker "
                                  "instead of the pool manager."}),
        "alternatives", "addressed", "missing", id="instead-of-is-not-an-alternative",
    ),
    # Batch 7 (tuning labels kilo/metadefs-tags, sorting-enhancements, liberty v2-additional-filtering,
    # mitaka swift service tokens and ovf-lite, manila user-messages, startup reconciliation, race conditions).
    pytest.param(
        _full({"Proposed change": "Add two filters.",
               "Data model impact": "The additional indexes raised will impose a longer upgrade window for "
                                    "larger Glance installs while the indexes are built."}),
        "upgrade", "missing", "addressed", id="upgrade-window-is-an-upgrade-answer",
    ),
    pytest.param(
        _full({"Proposed change": "Send a service token to Swift.",
               "Other deployer impact": "Operators modify their Swift and Glance configurations to use it. "
                                        "(Unmodified configurations will work as before.)"}),
        "upgrade", "missing", "addressed", id="unmodified-configurations-work-as-before",
    ),
    pytest.param(
        _full({"Proposed change": "Add a sort parameter.",
               "REST API impact": "Currently the images query supports the 'sort_key' and 'sort_dir' parameters; "
                                  "these will be deprecated."}),
        "upgrade", "missing", "addressed", id="parameters-will-be-deprecated",
    ),
    pytest.param(
        _full({"Proposed change": "Import OVA packages.",
               "Documentation impact": "Document the import. Backward functionality is preserved in an upgraded "
                                       "system by maintaining the Nova OVF driver."}),
        "upgrade", "missing", "addressed", id="backward-functionality-preserved-in-an-upgraded-system",
    ),
    pytest.param(
        _full({"Proposed change": "Add a tag catalog.",
               "Other deployer impact": "Default tag libraries will be checked into Glance. Deployers can "
                                        "customize these and provide additional definition files."}),
        "config", "none", "addressed", id="what-deployers-can-do-is-a-config-answer",
    ),
    pytest.param(
        _full({"Proposed change": "Both new filters will support access control through oslo.policy enforcement "
                                  "to allow a deployer to restrict usage of these filters.",
               "Other deployer impact": "None"}),
        "config", "none", "addressed", id="allowing-a-deployer-to-restrict-overturns-deployer-none",
    ),
    pytest.param(
        _full({"Proposed change": "Use of distributed locks ensures that all services see the same locking state "
                                  "even if services run on different nodes, and even across node failures."}),
        "ha", "missing", "addressed", id="behaviour-across-node-failures-is-ha",
    ),
    pytest.param(
        _full({"Proposed change": "Reconcile stuck resources at startup.",
               "Other deployer impact": "A new option startup_reconciliation_enabled (BoolOpt, default True) "
                                        "controls whether reconciliation runs at startup."}),
        "rollback", "missing", "addressed", id="an-option-that-controls-whether-it-runs-is-an-off-switch",
    ),
    pytest.param(
        _full({"Proposed change": "Import OVA packages.",
               "Notifications impact": "While notifications for OVA processing start and finish can be "
                                       "helpful there shall be none at this point."}),
        "monitoring", "addressed", "none", id="there-shall-be-none-is-none",
    ),
    # Batch 8 (manila ocata revert-to-snapshot, unimplemented json-schema validation).
    pytest.param(
        _full({"Proposed change": "Revert a share to its latest snapshot. Once user messages are available, it "
                                  "would be helpful to include a message saying the restore succeeded.",
               "Notifications impact": "None"}),
        "monitoring", "addressed", "none", id="a-wish-for-later-is-not-monitoring",
    ),
    pytest.param(
        _full({"Proposed change": "Validate request bodies with JSON schema.",
               "REST API impact": "Since Liberty we strive to maintain complete API backwards-compatibility: a "
                                  "client talking to different releases sees the same behaviour."}),
        "upgrade", "missing", "addressed", id="hyphenated-backwards-compatibility",
    ),
    pytest.param(
        _full({"Proposed change": "Add a revert action. It is intended for tenants and admins, and the "
                                  "policy.json file will be updated to reflect allowed use by all.",
               "Other deployer impact": "None"}),
        "config", "none", "addressed", id="policy-file-updated-overturns-deployer-none",
    ),
]


@pytest.mark.parametrize(("text", "key", "v2_state", "v3_state"), CASES)
def test_v3_reads_what_v2_missed_and_v2_keeps_its_meaning(text: str, key: str, v2_state: str, v3_state: str) -> None:
    sections = parse_spec(text).sections
    assert prefill(sections, template.get(2)).item(key).state == v2_state
    v3 = prefill(sections, template.get(3)).item(key)
    assert v3.state == v3_state, v3.evidence
    assert v3.evidence is not None and v3.evidence.quote


def test_v3_evidence_quotes_the_sentence_it_rests_on() -> None:
    sections = parse_spec(_full({"Proposed change": "We will introduce a new admin-only policy calculate_hash.",
                                 "Other deployer impact": "None"})).sections
    config = prefill(sections, template.get(3)).item("config")
    assert config.evidence is not None
    assert config.evidence.section == "Proposed change"
    assert "admin-only policy calculate_hash" in config.evidence.quote


def test_v3_is_the_newest_version_and_v2_stays_shipped() -> None:
    assert template.latest().version == 3
    assert template.get(2).version == 2
    assert set(template.STABLE_KEYS) <= {item.key for item in template.get(3).items}
    # Same questions: a new version changed the prefill rules only.
    v2 = {i.key: (i.title, i.question) for i in template.get(2).items}
    v3 = {i.key: (i.title, i.question) for i in template.get(3).items}
    assert v2 == v3
