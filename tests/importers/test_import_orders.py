"""A specs tree, Gerrit and Launchpad imported in each of the 6 orders give one and the same picture.

The tree holds ``specs/2026.1/approved/bar.rst`` with no blueprint link; the
Gerrit change that touches that file has topic ``bp/foo``; Launchpad has the
blueprint ``foo``. Whichever comes first, BOB ends with one spec ``foo``
holding the file's revisions, the change, its messages and the blueprint's
fields. When the tree came first, ``bar`` existed for a while: it was merged
into ``foo`` and its URL redirects (an alias is the only trace of the order).
A second spec, ``solo``, linked by its text, and a Launchpad-only ``lponly``
check that the ordinary joins hold in every order too.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.importers import gerrit_sync
from portal.importers.launchpad import LaunchpadClient
from portal.importers.launchpad import sync_project as sync_launchpad
from portal.importers.specs_tree import import_tree
from portal.models import (
    Comment,
    Event,
    GerritChange,
    GerritChangeSpec,
    Project,
    Spec,
    SpecAlias,
    SpecRevision,
)
from portal.net import RetryPolicy, build_client
from tests.importers.gerrit.fake_gerrit import FakeChange, FakeGerrit, account
from tests.importers.launchpad.fake_launchpad import FakeLaunchpad, fake_launchpad
from tests.support.factories import spec_rst
from tests.support.http_server import scripted_server

ORDERS = list(itertools.permutations(("tree", "gerrit", "launchpad")))
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
FAST = RetryPolicy(retries=0, sleep=lambda _s: None)
CORE = account(1000002, "Core One", "core1")
BAR = "specs/2026.1/approved/bar.rst"
SOLO = "specs/2026.1/approved/solo.rst"


def unlinked(title: str) -> str:
    """A spec text without a Launchpad link: only the file name (or the topic) can name it."""
    return "\n".join(line for line in spec_rst(title, "x").splitlines() if "launchpad.net" not in line)


def write_tree(root: Path) -> Path:
    for path, text in ((BAR, unlinked("Drain the compute")), (SOLO, spec_rst("Solo", "solo", "nova"))):
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def add_changes(gerrit: FakeGerrit, repo: str, offset: int) -> None:
    bar = gerrit.add(FakeChange(offset + 1, {BAR: unlinked("Drain the compute")}, T0, project=repo,
                                status="MERGED", topic="bp/foo"))
    bar.add_message(CORE, "Patch Set 1: Code-Review+2\n\nUpgrade story is clear.", T0 + timedelta(minutes=1))
    bar.add_message(CORE, "Patch Set 1: Workflow+1", T0 + timedelta(minutes=2))
    bar.votes.append(("Workflow", 1, CORE, T0 + timedelta(minutes=2)))
    solo = gerrit.add(FakeChange(offset + 2, {SOLO: spec_rst("Solo", "solo", "nova")}, T0 + timedelta(hours=1),
                                 project=repo, status="MERGED"))
    solo.add_message(CORE, "Fine by me.", T0 + timedelta(hours=1, minutes=1))


def picture(db: Session, project: Project, offset: int) -> dict[str, Any]:
    """What a user sees of the project, with the per-order change numbers taken out."""
    specs = {}
    for spec in db.scalars(select(Spec).where(Spec.project_id == project.id).order_by(Spec.name)):
        revisions = sorted(db.execute(select(SpecRevision.source, SpecRevision.path, SpecRevision.patch_set)
                                      .where(SpecRevision.spec_id == spec.id)).all())
        changes = sorted(n - offset for n in db.scalars(
            select(GerritChange.change_number).join(GerritChangeSpec,
                                                    GerritChangeSpec.gerrit_change_id == GerritChange.id)
            .where(GerritChangeSpec.spec_id == spec.id)))
        comments = sorted(db.scalars(select(Comment.body).where(Comment.spec_id == spec.id)))
        specs[spec.name] = {
            "title": spec.title, "state": spec.state, "release": spec.release,
            "lp": (spec.lp_priority, spec.lp_definition_status, spec.lp_implementation_status),
            "revisions": revisions, "changes": changes, "comments": comments,
        }
    return specs


@pytest.fixture
def servers() -> Any:
    with scripted_server() as server, fake_launchpad() as lp:
        yield FakeGerrit(server), lp


def test_every_import_order_gives_the_same_specs_links_and_counts(
    db: Session, make_project: Callable[..., Project], tmp_path: Path, servers: tuple[FakeGerrit, FakeLaunchpad],
    client: Any,
) -> None:
    gerrit, lp = servers
    lp.add("nova", "foo", title="Drain the compute node", priority="High")
    lp.add("nova", "solo", priority="Low")
    lp.add("nova", "lponly", priority="Undefined", definition_status="New")
    root = write_tree(tmp_path)
    pictures = []
    with build_client(timeout=5, user_agent="test") as http, \
            build_client(gerrit.url, timeout=5, user_agent="test") as gerrit_http:
        gerrit_client = gerrit_sync.GerritClient(gerrit_http, FAST)
        lp_client = LaunchpadClient(http, lp.url, policy=FAST)
        for index, order in enumerate(ORDERS):
            repo, offset = f"openstack/order{index}-specs", 1000 * (index + 1)
            add_changes(gerrit, repo, offset)
            project = make_project(f"order{index}", launchpad="nova", gerrit_repo=repo)
            steps = {
                "tree": lambda p=project: import_tree(db, None, p, root),
                "gerrit": lambda p=project: gerrit_sync.sync_project(db, None, p, gerrit_client),
                "launchpad": lambda p=project: sync_launchpad(db, p, lp_client),
            }
            for step in order:
                steps[step]()
            db.flush()
            pictures.append(picture(db, project, offset))
            aliases = set(db.scalars(select(SpecAlias.name).where(SpecAlias.project_id == project.id)))
            tree_before_gerrit = order.index("tree") < order.index("gerrit")
            assert aliases == ({"bar"} if tree_before_gerrit else set()), order
            merges = db.scalar(select(func.count(Event.id)).where(Event.project_id == project.id,
                                                                  Event.kind == "spec.merged_into"))
            assert merges == (1 if tree_before_gerrit else 0), order

    first = pictures[0]
    assert sorted(first) == ["foo", "lponly", "solo"]
    foo = first["foo"]
    assert foo["revisions"] == [("file", BAR, None), ("gerrit", BAR, 1)]
    assert foo["changes"] == [1] and foo["lp"] == ("High", "Approved", "Started")
    assert foo["comments"] == ["Patch Set 1: Code-Review+2\n\nUpgrade story is clear.", "Patch Set 1: Workflow+1"]
    assert first["solo"]["changes"] == [2] and first["solo"]["lp"][0] == "Low"
    assert first["lponly"]["revisions"] == [] and first["lponly"]["lp"][0] == "Undefined"
    for order, seen in zip(ORDERS, pictures, strict=True):
        assert seen == first, order

    # The merged spec's old URL leads to the survivor, in the page and the API.
    page = client.get("/projects/order0/specs/bar")
    assert page.status_code == 301 and page.headers["Location"].endswith("/projects/order0/specs/foo")
    api = client.get("/api/v1/projects/order0/specs/bar")
    assert api.status_code == 301 and api.headers["Location"].endswith("/api/v1/projects/order0/specs/foo")
    assert client.get("/projects/order0/specs/foo").status_code == 200
