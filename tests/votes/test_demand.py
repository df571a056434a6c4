"""The ranking maths, segments, the dashboard rows' query count and the spec page's one-query summary."""

from __future__ import annotations

import pytest

from portal.errors import InvalidInput
from portal.models import GerritChange
from portal.votes import acknowledgements, demand, profile, service, summary
from portal.votes.demand import DemandFilter, Segment, parse_filter
from portal.votes.rows import demand_rows
from portal.votes.service import Priority, VoteInput


@pytest.fixture
def voters(make_user, db):
    """Four operators with different clouds."""
    def with_profile(name, **fields):
        user = make_user(name)
        profile.save_profile(db, user, profile.parse_profile(fields))
        return user

    return {
        "big": with_profile("big", release_in_production="2026.1", hypervisors="1001-5000", backends="ceph"),
        "mid": with_profile("mid", release_in_production="2026.1", hypervisors="101-500", deployment_tool="charms"),
        "small": with_profile("small", release_in_production="2025.2", hypervisors="1-10"),
        "quiet": make_user("quiet"),  # no profile at all
    }


@pytest.fixture
def board(db, make_project, make_spec, voters):
    nova = make_project("nova")
    a = make_spec(name="a-spec", project=nova, release="2026.2")
    b = make_spec(name="b-spec", project=nova, release="2026.2")
    c = make_spec(name="c-spec", project=nova, release="2026.1")
    make_spec(name="unvoted", project=nova, release="2026.2")

    def vote(user, spec, priority, affects=False):
        service.cast(db, voters[user], spec, VoteInput(Priority(priority), affects))

    # a: must+affects (3+1) by small, nice (1) by mid          -> 5 points, 2 votes
    vote("small", a, "must", True)
    vote("mid", a, "nice")
    # b: important (2) by big, important+affects (3) by quiet, not_needed (0) by small -> 5 points, 3 votes
    vote("big", b, "important")
    vote("quiet", b, "important", True)
    vote("small", b, "not_needed")
    # c: must (3) by big                                       -> 3 points (release 2026.1)
    vote("big", c, "must")
    return nova, {"a": a, "b": b, "c": c}


def ranking(db, project, **kw):
    page = demand.rank(db, project.id, DemandFilter(**kw))
    return [(r.spec_id, r.score, r.tally.total) for r in page.items], page


def test_score_is_three_two_one_zero_plus_one_for_affects_me(db, board):
    nova, specs = board
    rows, page = ranking(db, nova)
    # a and b tie on 5 points: b has more votes, so it ranks first; c has 3.
    assert rows == [(specs["b"].id, 5, 3), (specs["a"].id, 5, 2), (specs["c"].id, 3, 1)]
    assert page.total == 3  # "unvoted" is not ranked
    b = page.items[0].tally
    assert (b.affects_me, b.by_priority) == (1, {"must": 0, "important": 2, "nice": 0, "not_needed": 1})


def test_release_and_segments_restrict_the_votes_counted(db, board):
    nova, specs = board
    assert [r[0] for r in ranking(db, nova, release="2026.1")[0]] == [specs["c"].id]
    on_2026_1 = ranking(db, nova, segment=Segment(voter_release="2026.1"))[0]
    assert on_2026_1 == [(specs["c"].id, 3, 1), (specs["b"].id, 2, 1), (specs["a"].id, 1, 1)]
    # "more than 500 hypervisors": only the 1001-5000 cloud
    big = ranking(db, nova, segment=Segment(min_hypervisors=501))[0]
    assert big == [(specs["c"].id, 3, 1), (specs["b"].id, 2, 1)]
    assert ranking(db, nova, segment=Segment(backend="ceph"))[0] == big
    assert ranking(db, nova, segment=Segment(affects_me=True))[0] == [(specs["a"].id, 4, 1), (specs["b"].id, 3, 1)]
    tool = ranking(db, nova, segment=Segment(tool=demand.DeploymentTool.CHARMS))[0]
    assert tool == [(specs["a"].id, 1, 1)]


def test_size_weighting_multiplies_each_vote_by_its_band(db, board):
    nova, specs = board
    rows = ranking(db, nova, weighting="size")[0]
    # b: big important 2×2.5=5, quiet 3×1, small 0 → 8; a: small 4×1 + mid 1×1.5 → 5.5; c: 3×2.5 = 7.5
    assert rows == [(specs["b"].id, 8, 3), (specs["c"].id, 7.5, 1), (specs["a"].id, 5.5, 2)]


def test_pages_and_the_count_past_the_end(db, board):
    nova, specs = board
    first = demand.rank(db, nova.id, DemandFilter(per_page=2))
    second = demand.rank(db, nova.id, DemandFilter(per_page=2, page=2))
    assert (first.total, first.pages, second.ids) == (3, 2, [specs["c"].id])
    beyond = demand.rank(db, nova.id, DemandFilter(per_page=2, page=9))
    assert (beyond.items, beyond.total) == ([], 3)


def test_by_segment_counts_votes_per_context_value(db, board):
    nova, _ = board
    rows = demand.by_segment(db, nova.id, DemandFilter(), "voter_release")
    assert [(r.value, r.votes, r.score) for r in rows] == [("2026.1", 3, 6), ("2025.2", 2, 4), ("", 1, 3)]


def test_bad_filters_name_what_is_allowed():
    with pytest.raises(InvalidInput) as err:
        parse_filter({"tool": "ansible", "min_hypervisors": "lots", "affects_me": "maybe", "weighting": "x"})
    message = err.value.message
    assert "tool must be one of kolla-ansible, openstack-ansible" in message
    assert "min_hypervisors must be a whole number from 0 to 1000000, not 'lots'" in message
    assert "affects_me must be true or false" in message
    assert "weighting must be one of flat, size" in message
    flt = parse_filter({"voter_release": "2026.1", "min_hypervisors": "501", "release": "2026.2"})
    assert flt.segment.describe() == "operators on 2026.1, with at least 501 hypervisors"
    assert flt.args() == {"release": "2026.2", "voter_release": "2026.1", "min_hypervisors": "501"}


def test_dashboard_rows_take_seven_queries_whatever_the_page(db, board, count_queries, make_user):
    nova, specs = board
    db.add(GerritChange(spec_id=specs["b"].id, repo="openstack/nova-specs", change_number=42, status="NEW",
                        labels=[{"label": "Code-Review", "value": -1, "by": "x"},
                                {"label": "Code-Review", "value": 2, "by": "y"}]))
    ptl = make_user("ptl")
    ptl.ptl_of = [nova]
    acknowledgements.acknowledge(db, ptl, nova, specs["a"], acknowledgements.AckKind.PLANNED, "2026.2", "On it")
    db.flush()
    with count_queries() as q:
        rows = demand_rows(db, nova.id, DemandFilter())
    assert q.count == 7, q.statements  # ranking, its tallies, then one loader per column
    by_name = {r.name: r for r in rows.items}
    assert by_name["b-spec"].review.negative_votes == 1 and not by_name["b-spec"].review.approved
    assert by_name["a-spec"].acknowledgement.text == "Planned for 2026.2"
    assert [r.rank for r in rows.items] == [1, 2, 3]


def test_voters_show_context_per_vote_without_hidden_organisations(db, make_spec, make_user):
    spec = make_spec()
    shown, hidden = make_user("shown"), make_user("hidden")
    profile.save_profile(db, shown, profile.parse_profile({"organisation": "Open Co", "show_organisation": "on"}))
    profile.save_profile(db, hidden, profile.parse_profile({"organisation": "Secret Co"}))
    service.cast(db, shown, spec, VoteInput(Priority.NICE, reason="nice"))
    service.cast(db, hidden, spec, VoteInput(Priority.MUST, reason="must"))
    rows = demand.voters(db, spec.id)
    assert [(v.name, v.priority, v.context["organisation"]) for v in rows] == [
        ("hidden", "must", ""), ("shown", "nice", "Open Co")]


def test_spec_page_summary_is_one_query(db, board, voters, count_queries):
    nova, specs = board
    ptl = voters["quiet"]
    ptl.ptl_of = [nova]
    acknowledgements.acknowledge(db, ptl, nova, specs["b"], acknowledgements.AckKind.ACKNOWLEDGED, None, "Seen")
    db.flush()
    with count_queries() as q:
        result = summary.vote_summary(db, specs["b"].id, voters["small"].id)
    assert q.count == 1
    assert result.tally.total == 3 and result.tally.affects_me == 1
    assert result.mine.priority == "not_needed"
    assert (result.acknowledgement.text, result.acknowledgement.note, result.acknowledgement.by) == (
        "Acknowledged", "Seen", "quiet")
    assert result.context["release"] == [("2025.2", 1), ("2026.1", 1)]
    assert result.context["hypervisors"] == [("1-10", 1), ("1001-5000", 1)]
    anonymous = summary.vote_summary(db, specs["b"].id, None)
    assert anonymous.mine is None and anonymous.tally.total == 3


def test_acknowledging_is_for_the_projects_ptls_and_planned_needs_a_release(db, board, voters):
    nova, specs = board
    from portal.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        acknowledgements.acknowledge(db, voters["big"], nova, specs["a"], acknowledgements.AckKind.ACKNOWLEDGED,
                                     None, "")
    ptl = voters["big"]
    ptl.ptl_of = [nova]
    with pytest.raises(InvalidInput, match="Say which release"):
        acknowledgements.acknowledge(db, ptl, nova, specs["a"], acknowledgements.AckKind.PLANNED, "", "")
    acknowledgements.acknowledge(db, ptl, nova, specs["a"], acknowledgements.AckKind.ACKNOWLEDGED, None, "first")
    acknowledgements.acknowledge(db, ptl, nova, specs["a"], acknowledgements.AckKind.PLANNED, "2026.2", "then")
    assert [a.text for a in acknowledgements.history(db, specs["a"].id)] == ["Planned for 2026.2", "Acknowledged"]
