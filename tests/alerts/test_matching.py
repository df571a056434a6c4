"""Who hears about what: the pure matching rules, one row per case."""

from __future__ import annotations

import pytest

from portal.alerts.matching import EventFacts, SubFacts, SubIndex, backfill_summary, match, validate_rule

NOVA, NEUTRON = 1, 2
ALICE, BOB, CAROL, ADMIN = 10, 11, 12, 99

PROJECT_SUB = SubFacts(1, ALICE, "project", "email", project_id=NOVA, project_name="nova")
SPEC_SUB = SubFacts(2, BOB, "spec", "digest", project_id=NOVA, spec_id=7, spec_name="live-resize")
RULE_GAP = SubFacts(3, CAROL, "rule", "email",
                    rule={"projects": ["nova", "cinder"], "release": "2026.2", "items": ["upgrade"], "when": "gap"})
RULE_CONCERN = SubFacts(4, CAROL, "rule", "atom", rule={"projects": [], "items": [], "when": "concern"})
SAVED = SubFacts(5, BOB, "saved_search", "email", saved_search_id=40)
SUBS = [PROJECT_SUB, SPEC_SUB, RULE_GAP, RULE_CONCERN, SAVED]


def ev(kind: str, **kw: object) -> EventFacts:
    base: dict[str, object] = {"id": 1, "kind": kind, "project_id": NOVA, "spec_id": 7, "project_name": "nova",
                               "release": "2026.2"}
    return EventFacts(**(base | kw))  # type: ignore[arg-type]


CASES = [
    ("new spec → project follower", ev("spec.created"), {}, {(ALICE, "email")}),
    ("state change → project and spec followers", ev("spec.state_changed", payload={"to_state": "approved"}), {},
     {(ALICE, "email"), (BOB, "digest")}),
    ("new patch set → spec follower only", ev("spec.revised"), {}, {(BOB, "digest")}),
    ("gerrit merge → spec follower", ev("gerrit.change_updated", payload={"status": "MERGED",
                                                                          "previous_status": "NEW"}), {},
     {(BOB, "digest")}),
    ("gerrit new patch set is not a merge", ev("gerrit.change_updated", payload={"status": "NEW"}), {}, set()),
    ("comment → spec follower", ev("comment.added"), {}, {(BOB, "digest")}),
    ("ptl ack → spec follower", ev("ptl.acknowledged"), {}, {(BOB, "digest")}),
    ("other project's spec: nobody", ev("spec.created", project_id=NEUTRON, spec_id=8, project_name="neutron"), {},
     set()),
    ("actor is never told", ev("spec.created", actor_id=ALICE), {}, set()),
    ("backfill tells nobody", ev("spec.created", backfill=True), {}, set()),
    ("mention → mentioned user, no subscription", ev("mention", payload={"mentioned_user_id": 55}), {},
     {(55, "email")}),
    ("rule gap: upgrade answered missing", ev("checklist.answered", payload={"item": "upgrade", "state": "missing"}),
     {}, {(BOB, "digest"), (CAROL, "email")}),
    ("rule gap: other item is not watched, concern rule fires",
     ev("checklist.answered", payload={"item": "config", "state": "concern"}), {},
     {(BOB, "digest"), (CAROL, "atom")}),
    ("rule gap: wrong release", ev("checklist.answered", release="2025.1",
                                   payload={"item": "upgrade", "state": "missing"}), {}, {(BOB, "digest")}),
    ("rule gap: addressed is no gap", ev("checklist.answered", payload={"item": "upgrade", "state": "addressed"}),
     {}, {(BOB, "digest")}),
    ("rule on recheck reads the spec's answers", ev("checklist.rechecked", answers={"upgrade": "missing"}), {},
     {(BOB, "digest"), (CAROL, "email")}),
    ("saved search hit: its own channel", ev("spec.revised"), {40: True}, {(BOB, "digest"), (BOB, "email")}),
    ("saved search hit beside a project follower", ev("spec.created"), {40: True},
     {(ALICE, "email"), (BOB, "email")}),
]


@pytest.mark.parametrize(("event", "hits", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_match(event: EventFacts, hits: dict[int, bool], expected: set[tuple[int, str]]) -> None:
    got = {(r.user_id, r.channel) for r in match(event, SUBS, search_hits=hits)}
    assert got == expected


@pytest.mark.parametrize(("kind", "ptl_told"), [("vote.cast", True), ("comment.added", True),
                                                ("spec.revised", False)])
def test_ptl_default_follows_votes_and_comments(kind: str, ptl_told: bool) -> None:
    reasons = match(ev(kind), [], ptl_ids=[ADMIN])
    assert [(r.user_id, r.reason) for r in reasons] == ([(ADMIN, "you are PTL of nova")] if ptl_told else [])


@pytest.mark.parametrize(("failures", "told"), [(1, False), (2, True), (3, True)])
def test_failed_sync_twice_tells_admins(failures: int, told: bool) -> None:
    event = ev("import.finished", spec_id=None, payload={"status": "failed", "consecutive_failures": failures})
    assert bool(match(event, SUBS, admin_ids=[ADMIN])) is told


def test_backfill_summary_one_per_follower_and_channel() -> None:
    out = backfill_summary([(ALICE, "email", 1), (ALICE, "email", 9), (BOB, "atom", 2), (CAROL, "email", 3)],
                           {"ironic": 195}, actor_id=CAROL)
    assert [(r.user_id, r.channel, r.reason) for r, _ in out] == [
        (ALICE, "email", "ironic: 195 specs imported"), (BOB, "atom", "ironic: 195 specs imported")]


@pytest.mark.parametrize(("rule", "message"), [
    ({"when": "sometimes"}, "when must be one of"),
    ({"projects": "nova"}, "projects must be a list"),
    ({"colour": "red"}, "unknown rule field 'colour'"),
    ([], "a rule is an object"),
])
def test_bad_rules_say_what_to_fix(rule: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_rule(rule)


@pytest.mark.parametrize(("event", "hits", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_index_finds_the_same_people(event: EventFacts, hits: dict[int, bool],
                                         expected: set[tuple[int, str]]) -> None:
    candidates = SubIndex(SUBS).for_event(event)
    assert {(r.user_id, r.channel) for r in match(event, candidates, search_hits=hits)} == expected
