"""Every specs-repository layout OpenStack uses, read right (portal.specs.layout and the tree importer).

The folder tables below are the real layouts of nova, neutron, cinder,
keystone, ironic, glance, manila and designate (their specs/ trees); the
corpus tests at the end import the real glance, manila and designate trees.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.importers.specs_tree import discover_all, import_tree
from portal.models import Project, Spec, SpecState
from portal.specs.layout import Placement, classify, name_skip_reason, symlink_stub_target, text_skip_reason
from portal.specs.overview import recent_activity, releases_of
from portal.specs.releases import release_sort_key, version_series

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
A, IMPL, B = SpecState.APPROVED, SpecState.IMPLEMENTED, SpecState.BACKLOG


@pytest.fixture
def nova(make_project: Callable[..., Project]) -> Project:
    return make_project("nova")


@pytest.mark.parametrize(
    ("folders", "expected"),
    [
        # nova
        (("2025.1", "approved"), Placement("2025.1", A)),
        (("juno", "implemented"), Placement("juno", IMPL)),
        (("backlog", "approved"), Placement(None, B)),
        (("abandoned",), Placement(None, SpecState.ABANDONED)),
        # neutron: release folders, backlog/<release>, archive, stadium
        (("newton",), Placement("newton", A)),
        (("backlog", "ocata"), Placement(None, B)),
        (("archive",), Placement(None, SpecState.RETIRED, grouping="archive")),
        (("stadium", "queens"), Placement("queens", A, grouping="stadium")),
        (("postmortem",), Placement(None, IMPL, grouping="postmortem")),
        # cinder: untargeted
        (("untargeted",), Placement(None, A, grouping="untargeted")),
        # keystone: deliverable first, then release; ongoing, backlog per deliverable
        (("keystone", "rocky"), Placement("rocky", A, deliverable="keystone")),
        (("keystonemiddleware", "2024.1"), Placement("2024.1", A, deliverable="keystonemiddleware")),
        (("keystone", "ongoing"), Placement(None, A, deliverable="keystone", grouping="ongoing")),
        (("keystone", "backlog"), Placement(None, B, deliverable="keystone")),
        # ironic: version folders, <release>-implemented, not-implemented
        (("15.1",), Placement("15.1", A, series="victoria")),
        (("36.0",), Placement("36.0", A, series="2026.2")),
        (("99.0",), Placement("99.0", A, series=None)),
        (("kilo-implemented",), Placement("kilo", IMPL)),
        (("not-implemented",), Placement(None, SpecState.NOT_IMPLEMENTED)),
        (("retired",), Placement(None, SpecState.RETIRED)),
        # glance: deliverables under the state folder, deeper sub-folders only group
        (("2024.1", "approved", "glance_store"), Placement("2024.1", A, deliverable="glance_store")),
        (("rocky", "approved", "glance", "image-import"), Placement("rocky", A, deliverable="glance")),
        (("untargeted", "python-glanceclient"),
         Placement(None, A, deliverable="python-glanceclient", grouping="untargeted")),
        # manila
        (("hibiscus",), Placement("2026.2", A)),
        (("release_independent",), Placement(None, A, grouping="release independent")),
        (("unimplemented",), Placement(None, SpecState.NOT_IMPLEMENTED)),
        # ideas are a backlog, never a release
        (("ideas",), Placement(None, B, grouping="ideas")),
    ],
)
def test_folders_mean_what_the_projects_mean(folders: tuple[str, ...], expected: Placement) -> None:
    assert classify(folders) == expected


def test_moved_out_trees_read_past_release_folders_as_implemented() -> None:
    """manila moves what was not done to unimplemented/: an older release folder means implemented."""
    newest = 40  # a rank newer than zed
    assert classify(("zed",), releases_imply_implemented=True, newest_release_rank=newest).state is IMPL
    assert classify(("zed",), releases_imply_implemented=True, newest_release_rank=26).state is A  # the newest one


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("template.rst", "template"), ("postmortem_template.rst", "template"), ("scorecard_template.rst", "template"),
        ("spec-lite-template.rst", "template"), ("skeleton.rst", "template"), ("example.rst", "template"),
        ("index.rst", "index"), ("README.rst", "index"), ("placeholder.rst", "placeholder"),
        ("live-migrate-templates.rst", None), ("template-based-flavors.rst", None), ("foo.rst", None),
    ],
)
def test_names_that_are_not_specs(name: str, reason: str | None) -> None:
    assert name_skip_reason(name) == reason


def test_texts_that_are_not_specs() -> None:
    assert symlink_stub_target("../../../mitaka/approved/x.rst\n") == "../../../mitaka/approved/x.rst"
    assert symlink_stub_target("A title\n=======\n") is None
    assert text_skip_reason("=====\nFoo\n=====\n\nThis spec has been moved to the backlog.\n") == "redirect stub"
    assert text_skip_reason("=====\nFoo\n=====\n\nPlaceholder for the Gazpacho cycle.\n") == "placeholder"
    real = "=====\nFoo\n=====\n\nProblem description\n-------------------\n\n" + "Operators need this. " * 20
    assert text_skip_reason(real) is None


def test_release_names_sort_in_release_order_with_versions_by_number() -> None:
    names = ["liberty", "2023.1", "zed", "9.2", "99.0", "36.0", "15.1", "juno", "2026.2"]
    assert sorted(names, key=release_sort_key) == ["juno", "liberty", "9.2", "15.1", "zed", "2023.1", "2026.2",
                                                   "36.0", "99.0"]
    assert version_series("9.2") == "queens"


def test_ironic_versions_map_to_the_series_openstack_releases_lists() -> None:
    """Rows checked against openstack/releases deliverables/<series>/ironic.yaml (docs/layouts.md)."""
    assert version_series("6.3") == "newton"  # a stable point release of newton
    assert version_series("17.1") == "wallaby"
    assert version_series("21.4") == "2023.1"
    assert version_series("30.0") == "2025.2"
    assert version_series("38.0") == "2026.2"
    assert version_series("39.0") is None  # unknown: shown as it is


def _write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _spec(title: str, extra: str = "") -> str:
    return (f"{'=' * len(title)}\n{title}\n{'=' * len(title)}\n\nProblem description\n===================\n\n"
            + "Operators need this because the current behaviour breaks upgrades. " * 5 + extra)


def test_templates_stubs_and_links_are_skipped_and_the_full_text_wins(tmp_path: Path) -> None:
    _write(tmp_path, "specs/template.rst", _spec("Example Spec - The title of your blueprint"))
    _write(tmp_path, "specs/2024.1/approved/glance/template.rst", "../../../template.rst")
    _write(tmp_path, "specs/2024.1/approved/glance/scorecard_template.rst", _spec("Scorecard"))
    _write(tmp_path, "specs/2024.1/approved/glance/moved.rst",
           "=====\nMoved\n=====\n\nThis spec was moved to backlog.\n")
    _write(tmp_path, "specs/backlog/approved/moved.rst", _spec("Moved, the full text"))
    _write(tmp_path, "specs/mitaka/approved/buffered-reader.rst", _spec("Buffered reader"))
    _write(tmp_path, "specs/newton/approved/glance_store/buffered-reader.rst",
           "../../../mitaka/approved/buffered-reader.rst")
    _write(tmp_path, "specs/2024.1/placeholder.rst", "Placeholder\n")
    _write(tmp_path, "specs/2024.1/empty.rst", "\n")
    files, problems, not_specs = discover_all(tmp_path)
    reasons = dict(not_specs)
    assert reasons == {
        "specs/template.rst": "template",
        "specs/2024.1/approved/glance/template.rst": "template",
        "specs/2024.1/approved/glance/scorecard_template.rst": "template",
        "specs/2024.1/approved/glance/moved.rst": "redirect stub",
        "specs/2024.1/placeholder.rst": "placeholder",
        "specs/2024.1/empty.rst": "placeholder",
    }
    assert problems == []
    by_path = {f.rel_path: f for f in files}
    assert set(by_path) == {"specs/backlog/approved/moved.rst", "specs/mitaka/approved/buffered-reader.rst",
                            "specs/newton/approved/glance_store/buffered-reader.rst"}
    link = by_path["specs/newton/approved/glance_store/buffered-reader.rst"]
    assert link.release == "newton" and link.real_path.name == "buffered-reader.rst"
    assert "mitaka" in link.real_path.as_posix()  # the text read is the full one


def test_two_deliverables_with_one_file_name_stay_two_specs(db: Session, nova: Project, tmp_path: Path) -> None:
    _write(tmp_path, "specs/2024.1/approved/glance/multi-store.rst", _spec("Multi store in glance"))
    _write(tmp_path, "specs/2024.1/approved/python-glanceclient/multi-store.rst", _spec("Multi store in the client"))
    report = import_tree(db, None, nova, tmp_path)
    assert report.created == 2
    specs = {s.name: s for s in db.scalars(select(Spec).where(Spec.project_id == nova.id))}
    assert set(specs) == {"multi-store", "python-glanceclient-multi-store"}
    assert specs["multi-store"].deliverable == "glance"
    assert specs["python-glanceclient-multi-store"].title == "Multi store in the client"
    assert specs["multi-store"].release == "2024.1"


def _git(root: Path, *args: str, when: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def test_dates_come_from_the_git_history_not_the_import(db: Session, nova: Project, tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    _write(tmp_path, "specs/kilo/approved/old-idea.rst", _spec("An old idea"))
    _git(tmp_path, "add", "-A", when="2015-03-02T10:00:00+00:00")
    _git(tmp_path, "commit", "-qm", "first", when="2015-03-02T10:00:00+00:00")
    _write(tmp_path, "specs/kilo/approved/old-idea.rst", _spec("An old idea", "More detail.\n"))
    _git(tmp_path, "commit", "-qam", "second", when="2016-01-05T10:00:00+00:00")
    import_tree(db, None, nova, tmp_path)
    spec = db.scalars(select(Spec).where(Spec.name == "old-idea")).one()
    assert spec.doc_created_at == datetime(2015, 3, 2, 10, tzinfo=UTC)
    assert spec.doc_changed_at == datetime(2016, 1, 5, 10, tzinfo=UTC)
    assert spec.last_activity_at == datetime(2016, 1, 5, 10, tzinfo=UTC)


def test_without_git_the_file_mtime_is_the_date(db: Session, nova: Project, tmp_path: Path) -> None:
    path = _write(tmp_path, "specs/liberty/approved/mtime.rst", _spec("Dated by mtime"))
    stamp = datetime(2015, 9, 1, 12, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    import_tree(db, None, nova, tmp_path)
    spec = db.scalars(select(Spec).where(Spec.name == "mtime")).one()
    assert spec.last_activity_at == datetime(2015, 9, 1, 12, tzinfo=UTC)


def test_the_feed_shows_one_line_per_import_run(db: Session, nova: Project, tmp_path: Path) -> None:
    for n in range(12):
        _write(tmp_path, f"specs/2025.1/approved/s{n}.rst", _spec(f"Spec {n}"))
    import_tree(db, None, nova, tmp_path)  # a first import: backfill
    for n in range(12, 15):
        _write(tmp_path, f"specs/2025.1/approved/s{n}.rst", _spec(f"Spec {n}"))
    import_tree(db, None, nova, tmp_path)
    items = recent_activity(db)
    kinds = [item.event.kind.value for item in items]
    assert kinds[:2] == ["import.finished", "import.finished"]
    assert items[0].event.payload["counts"]["created"] == 3
    assert items[1].event.payload["counts"]["created"] == 12
    assert "spec.created" not in kinds


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus (the real specs trees) is not beside the checkout")
@pytest.mark.parametrize("tree", ["glance", "manila", "designate", "nova"])
def test_real_trees_read_right(db: Session, make_project: Callable[..., Project], tree: str) -> None:
    project = make_project(tree)
    report = import_tree(db, None, project, CORPUS / f"{tree}-specs")
    assert report.failed == 0
    specs = list(db.scalars(select(Spec).where(Spec.project_id == project.id)))
    releases = {s.release for s in specs}
    # No folder that is not a release becomes one.
    assert not releases & {"api", "untargeted", "release_independent", "unimplemented", "glance", "backlog"}
    assert not [s.name for s in specs if "template" in s.name or s.name in {"index", "placeholder", "example"}]
    ordered = releases_of(db, project.id)
    assert ordered == sorted(ordered, key=release_sort_key, reverse=True)
    if tree in {"glance", "manila", "nova"}:
        assert any(s.state is SpecState.IMPLEMENTED for s in specs), "nothing read as implemented"
    if tree == "glance":
        assert {s.deliverable for s in specs} >= {"glance", "glance_store", "python-glanceclient"}
    if tree == "manila":
        assert {s.state for s in specs if s.grouping == "release independent"} == {SpecState.APPROVED}
        assert any(s.state is SpecState.NOT_IMPLEMENTED for s in specs)


def test_a_symlink_loop_is_reported_by_path_and_the_rest_imports(tmp_path: Path) -> None:
    _write(tmp_path, "specs/2025.1/approved/fine.rst", _spec("Fine"))
    loop_a = tmp_path / "specs/2025.1/approved/a.rst"
    loop_b = tmp_path / "specs/2025.1/approved/b.rst"
    loop_a.symlink_to("b.rst")
    loop_b.symlink_to("a.rst")
    files, problems, _ = discover_all(tmp_path)
    assert [f.rel_path for f in files] == ["specs/2025.1/approved/fine.rst"]
    reasons = dict(problems)
    assert set(reasons) == {"specs/2025.1/approved/a.rst", "specs/2025.1/approved/b.rst"}
    assert all("symlink loop" in r for r in reasons.values())


def test_pages_show_deliverable_series_grouping_and_real_dates(
    db: Session, nova: Project, tmp_path: Path, client: FlaskClient
) -> None:
    path = _write(tmp_path, "specs/15.1/approved/glance_store/fast-boot.rst", _spec("Fast boot"))
    stamp = datetime(2020, 6, 1, 8, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    _write(tmp_path, "specs/release_independent/sdk.rst", _spec("SDK support"))
    import_tree(db, None, nova, tmp_path)
    db.commit()
    page = client.get("/projects/nova/specs/fast-boot").get_data(as_text=True)
    assert "Release: 15.1 (victoria)" in page
    assert "Deliverable: glance_store" in page
    assert "Written 2020-06-01" in page and "Imported at" in page
    listing = client.get("/projects/nova").get_data(as_text=True)
    assert "15.1 (victoria)" in listing
    assert "Release independent" in client.get("/projects/nova/specs/sdk").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert "2 specs imported" in " ".join(home.split())
