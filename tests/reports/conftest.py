"""A release with specs that have votes, comments, checklist answers and a PTL answer, built through the services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from portal.checklist import service as checklist
from portal.discussion import service as discussion
from portal.models import AckKind, Priority, Project, Spec, SpecState, User
from portal.votes import acknowledgements
from portal.votes import service as votes
from portal.votes.service import VoteInput

T0 = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
SECTIONS = {
    "Upgrade impact": "Operators must run ``nova-manage db online_data_migrations``\nbefore upgrading computes.",
    "Other deployer impact": "A new option ``[compute]drain_timeout`` (default 600).",
    "Performance Impact": "None.",
    "Security impact": "The drain API is admin only.",
}


@dataclass
class Release:
    project: Project
    other: Project
    specs: list[Spec]
    voters: list[User]
    ptl: User
    reviewer: User


@pytest.fixture
def seed_release(db: Session, make_user: Callable[..., User], make_project: Callable[..., Project],
                 make_spec: Callable[..., Spec]) -> Callable[..., Release]:
    def build(n_specs: int = 3, n_voters: int = 4, *, other_specs: int = 1) -> Release:
        nova = make_project("nova", gerrit_repo="openstack/nova-specs")
        neutron = make_project("neutron")
        ptl = make_user("pat", role="reviewer", ptl_of=[nova], display_name="Pat (nova PTL)")
        reviewer = make_user("rita", role="reviewer", display_name="Rita")
        voters = [make_user(f"op{i}", display_name=f"Operator {i}") for i in range(n_voters)]
        specs = [make_spec(f"spec-{i:03d}", project=nova, release="2026.2", title=f"Spec number {i}", **SECTIONS)
                 for i in range(n_specs)]
        make_spec("old-spec", project=nova, release="2025.1")
        for i in range(other_specs):
            make_spec(f"net-{i}", project=neutron, release="2026.2")
        for index, spec in enumerate(specs):
            # Spec i gets i votes: the last spec is the most wanted.
            for v, voter in enumerate(voters[: index % (n_voters + 1)]):
                priority = Priority.MUST if v == 0 else Priority.NICE
                votes.cast(db, voter, spec, VoteInput(priority=priority, affects_me=v % 2 == 0,
                                                      reason=f"reason {v} for {spec.name}" if v != 1 else "",
                                                      links=("https://bugs.launchpad.net/nova/+bug/1",)))
            for c in range(index % 5):
                discussion.add_comment(db, voters[0], spec, f"Comment {c} on **{spec.name}**",
                                       created_at=T0 + timedelta(hours=c))
        checklist.answer(db, reviewer, specs[0], "rollback", "concern", "Downgrade loses drained state.")
        acknowledgements.acknowledge(db, ptl, nova, specs[0], AckKind.PLANNED, "2026.2", "Targeted for M2.")
        db.flush()
        return Release(nova, neutron, specs, voters, ptl, reviewer)

    return build


__all__ = ["T0", "Release", "SpecState"]
