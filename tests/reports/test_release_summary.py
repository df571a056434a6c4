"""The release summary's content, its order, its errors and its cost (a fixed number of queries)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from portal.clock import now
from portal.discussion import service as discussion
from portal.errors import InvalidInput, NotFound
from portal.reports.release_summary import IMPACTS, build, parse_projects, parse_release

QUERIES = 10  # specs, sections, checklist briefs, answers, Gerrit, tallies, top votes, comments, PTL answers, projects


def test_every_spec_of_the_release_with_status_impacts_votes_and_discussion(db: Session, seed_release) -> None:
    release = seed_release(n_specs=4, n_voters=3)
    summary = build(db, ["nova"], "2026.2", at=now())
    assert summary.projects == ("nova",)
    assert sorted(s.name for s in summary.specs) == ["spec-000", "spec-001", "spec-002", "spec-003"]
    assert "old-spec" not in {s.name for s in summary.specs}  # another release
    first = next(s for s in summary.specs if s.name == "spec-000")
    # Status: the spec's state and the PTL's answer.
    assert first.state == "approved" and first.release == "2026.2"
    assert first.answer is not None and first.answer.text == "Planned for 2026.2"
    assert first.answer.note == "Targeted for M2." and first.answer.by == "Pat (nova PTL)"
    # Impacts: the spec's own sections and the checklist's answers on the matching items.
    impacts = {i.key: i for i in first.impacts}
    assert [i.key for i in first.impacts] == [k.key for k in IMPACTS]
    assert impacts["upgrade"].heading.endswith("Upgrade impact")
    assert impacts["upgrade"].text.startswith("Operators must run")
    assert "\n" not in impacts["upgrade"].text  # source line wrapping is joined
    assert "drain_timeout" in impacts["deployer"].text
    assert impacts["performance"].text == "None." and impacts["security"].text == "The drain API is admin only."
    assert impacts["config"].heading is None and impacts["config"].text == ""
    rollback = next(a for a in impacts["upgrade"].answers if a.key == "rollback")
    assert (rollback.state, rollback.confirmed, rollback.note, rollback.gap) == (
        "concern", True, "Downgrade loses drained state.", "concern")
    assert ("rollback", "concern") in first.gaps and first.checked and first.score is not None
    # Votes: spec-003 has 3 votes (one must), the top ones with their reasons, must first.
    wanted = next(s for s in summary.specs if s.name == "spec-003")
    assert wanted.votes.total == 3 and wanted.votes.by_priority["must"] == 1 and wanted.votes.affects_me == 2
    assert [v.priority for v in wanted.top_votes] == ["must", "nice", "nice"]
    assert wanted.top_votes[0].voter == "Operator 0" and wanted.top_votes[0].reason == "reason 0 for spec-003"
    assert wanted.top_votes[1].reason == "reason 2 for spec-003"  # a vote with a reason before one without
    assert wanted.top_votes[0].links == ("https://bugs.launchpad.net/nova/+bug/1",)
    # Discussion: the count and the latest comments, newest first, as plain text.
    assert wanted.comment_count == 3
    assert [c.excerpt for c in wanted.latest_comments] == [f"Comment {c} on spec-003" for c in (2, 1, 0)]
    assert wanted.latest_comments[0].author == "Operator 0" and wanted.latest_comments[0].source == "portal"
    assert release.specs  # the fixture built what the assertions read


def test_most_wanted_first_within_each_project_in_the_order_given(db: Session, seed_release) -> None:
    seed_release(n_specs=4, n_voters=3, other_specs=2)
    summary = build(db, ["neutron", "nova"], "2026.2", at=now())
    assert summary.projects == ("neutron", "nova")
    assert [s.project for s in summary.specs] == ["neutron", "neutron", "nova", "nova", "nova", "nova"]
    nova = [s.name for s in summary.specs if s.project == "nova"]
    assert nova[0] in ("spec-001", "spec-002", "spec-003")  # every spec with votes has one must
    assert nova[:3] == ["spec-003", "spec-002", "spec-001"] and nova[-1] == "spec-000"
    assert summary.counts == {"approved": 6}


def test_hidden_and_deleted_comments_are_left_out(db: Session, seed_release, make_user) -> None:
    release = seed_release(n_specs=3, n_voters=2)
    spec = release.specs[2]
    admin = make_user("mod", role="admin")
    kept, hidden, deleted = (discussion.add_comment(db, release.voters[0], spec, text) for text in ("kept", "spam",
                                                                                                  "oops"))
    discussion.hide_comment(db, admin, hidden, spec, reason="spam")
    discussion.delete_comment(db, release.voters[0], deleted, spec)
    db.flush()
    s = next(s for s in build(db, ["nova"], "2026.2", at=now()).specs if s.name == spec.name)
    texts = [c.excerpt for c in s.latest_comments]
    assert "kept" in texts and "spam" not in texts and "oops" not in texts
    assert s.comment_count == 2 + 1  # the two seeded comments and "kept"


def test_the_query_count_does_not_grow_with_the_number_of_specs(db: Session, seed_release, count_queries) -> None:
    seed_release(n_specs=3, n_voters=4)
    with count_queries() as few:
        small = build(db, ["nova"], "2026.2", at=now())
    db.rollback()
    seed_release(n_specs=30, n_voters=4)
    with count_queries() as many:
        large = build(db, ["nova"], "2026.2", at=now())
    assert len(small.specs) == 3 and len(large.specs) == 30
    assert few.count == many.count == QUERIES, many.statements


def test_an_unknown_project_names_the_projects_that_exist(db: Session, seed_release) -> None:
    seed_release(n_specs=1)
    with pytest.raises(NotFound) as err:
        build(db, ["nova", "nvoa", "glance"], "2026.2", at=now())
    assert "Unknown projects 'nvoa', 'glance'" in err.value.message
    assert "Projects: neutron, nova." in err.value.message


def test_a_release_without_specs_names_the_releases_that_have_some(db: Session, seed_release) -> None:
    seed_release(n_specs=1)
    with pytest.raises(NotFound) as err:
        build(db, ["nova"], "2031.1", at=now())
    assert err.value.message == "No specs of nova are in release 2031.1. Releases with specs: 2026.2, 2025.1."


def test_code_names_and_lists_are_understood() -> None:
    assert parse_release(" Hibiscus ") == "2026.2"
    assert parse_projects(["nova,neutron", "nova", " cinder "]) == ["nova", "neutron", "cinder"]
    with pytest.raises(InvalidInput, match="Name at least one project"):
        parse_projects([" , "])
    with pytest.raises(InvalidInput, match="not a release name"):
        parse_release("2026.2; drop table")
