"""Votes: cast, change, withdraw, history, the one-per-user rule, the context snapshot, bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from portal.clock import now
from portal.errors import AuthenticationRequired, InvalidInput, PermissionDenied
from portal.models import Event, Vote, VoteHistory
from portal.votes import profile, service
from portal.votes.service import VoteInput, parse_vote


@pytest.fixture
def spec(make_spec):
    return make_spec(name="fast-evacuate")


def test_cast_change_withdraw_keeps_every_step_in_history(db, make_user, spec):
    rey = make_user("rey")
    vote = service.cast(db, rey, spec, parse_vote({
        "priority": "must", "affects_me": True, "reason": "We evacuate weekly",
        "links": ["https://bugs.launchpad.net/nova/+bug/1"]}))
    assert (vote.priority, vote.affects_me, vote.reason) == ("must", True, "We evacuate weekly")
    assert vote.links == ["https://bugs.launchpad.net/nova/+bug/1"]
    service.cast(db, rey, spec, VoteInput(service.Priority.NICE))
    assert service.tally(db, spec.id).by_priority == {"must": 0, "important": 0, "nice": 1, "not_needed": 0}
    assert service.withdraw(db, rey, spec) is True
    assert service.withdraw(db, rey, spec) is False  # nothing left to withdraw: nothing recorded
    assert service.tally(db, spec.id).total == 0
    steps = [(h.action, h.priority) for h in service.history(db, spec.id, rey.id)]
    assert steps == [("cast", "must"), ("changed", "nice"), ("withdrawn", None)]
    votes = Event.kind.in_(["vote.cast", "vote.withdrawn"])
    kinds = db.scalars(select(Event.kind).where(Event.spec_id == spec.id, votes).order_by(Event.id)).all()
    assert kinds == ["vote.cast", "vote.cast", "vote.withdrawn"]


def test_same_vote_twice_records_nothing_new(db, make_user, spec):
    rey = make_user()
    choice = VoteInput(service.Priority.IMPORTANT, True, "same")
    service.cast(db, rey, spec, choice)
    service.cast(db, rey, spec, choice)  # a double click or a retried request
    assert db.scalar(select(func.count()).select_from(VoteHistory)) == 1


def test_the_database_refuses_a_second_vote_row(db, make_user, spec):
    rey = make_user()
    service.cast(db, rey, spec, VoteInput(service.Priority.MUST))
    with pytest.raises(IntegrityError), db.begin_nested():
        db.execute(insert(Vote).values(spec_id=spec.id, user_id=rey.id, priority="nice", affects_me=False,
                                       reason="", links=[], context={}, created_at=now(), updated_at=now()))


def test_vote_keeps_the_context_it_was_cast_in(db, make_user, spec):
    carlos = make_user("carlos")
    profile.save_profile(db, carlos, profile.parse_profile({
        "organisation": "Example Cloud", "release_in_production": "2025.2", "deployment_tool": "kolla-ansible",
        "backends": "ceph, OVN", "hypervisors": "501-1000", "projects": "101-1000",
    }))
    vote = service.cast(db, carlos, spec, VoteInput(service.Priority.MUST))
    assert vote.context == {"organisation": "Example Cloud", "show_organisation": False,
                            "release_in_production": "2025.2", "deployment_tool": "kolla-ansible",
                            "backends": ["ceph", "ovn"], "hypervisors": "501-1000", "projects": "101-1000"}
    assert (vote.ctx_release, vote.ctx_hypervisors, vote.ctx_backends) == ("2025.2", "501-1000", ",ceph,ovn,")
    profile.save_profile(db, carlos, profile.parse_profile({"release_in_production": "2026.1"}))
    db.refresh(vote)
    assert vote.context["release_in_production"] == "2025.2"  # a later profile does not rewrite the past


def test_hidden_organisation_is_not_shown_to_ptls():
    assert profile.public_context({"organisation": "Secret Co", "show_organisation": False})["organisation"] == ""
    assert profile.public_context({"organisation": "Open Co", "show_organisation": True})["organisation"] == "Open Co"


@pytest.mark.parametrize(("body", "message"), [
    ({"priority": "urgent"}, "Unknown priority 'urgent': use one of must, important, nice, not_needed."),
    ({}, "Unknown priority nothing: use one of must, important, nice, not_needed."),
    ({"priority": "must", "affects_me": "maybe"}, None),
    ({"priority": "must", "links": ["javascript:alert(1)"]}, "is not a link BOB can keep"),
    ({"priority": "must", "links": "https://a.example/x\nftp://b.example"}, "give a full http:// or https:// URL"),
    ({"priority": "must", "reason": "x" * 4001}, "the limit is 4000"),
    ({"priority": "must", "links": [f"https://e.example/{i}" for i in range(11)]}, "at most 10 fit"),
])
def test_bad_votes_say_what_to_do(body, message):
    if message is None:  # a form checkbox value we do not know reads as unticked
        assert parse_vote(body).affects_me is False
        return
    with pytest.raises(InvalidInput) as err:
        parse_vote(body)
    assert message in err.value.message


def test_bad_profile_names_the_allowed_values():
    with pytest.raises(InvalidInput) as err:
        profile.parse_profile({"hypervisors": "huge"})
    assert "use one of 1-10, 11-100, 101-500, 501-1000, 1001-5000, 5001+" in err.value.message


def test_anonymous_blocked_and_disabled_cannot_vote(db, make_user, spec):
    with pytest.raises(AuthenticationRequired):
        service.cast(db, None, spec, VoteInput(service.Priority.MUST))
    blocked = make_user()
    blocked.blocked_at = now()
    with pytest.raises(PermissionDenied):
        service.cast(db, blocked, spec, VoteInput(service.Priority.MUST))
    assert service.tally(db, spec.id).total == 0
