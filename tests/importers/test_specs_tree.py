"""``import_tree`` on the real nova-specs corpus and on the layouts other specs repos use.

Each test works on a copy of the corpus (or its own tree) in ``tmp_path`` so
it can change files, add symlinks and break things the way real checkouts do.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.errors import InvalidInput, NotFound
from portal.importers.specs_tree import ImportReport, classify_path, discover, import_tree
from portal.models import Event, ImportRun, Project, Spec, SpecRevision, SpecState
from portal.specs.service import get_project
from tests.conftest import corpus_or_skip
from tests.support.factories import spec_rst

CHAINS = {
    # name: (releases of its files, oldest first), current release and state
    "cross-cell-resize": (["stein", "ussuri"], "ussuri", "implemented"),
    "ephemeral-storage-encryption": (["zed", "2024.2"], "2024.2", "approved"),
    "remove-os-volumes-boot-api": (["2025.2", "2026.1"], "2026.1", "implemented"),
}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A private, writable copy of the nova-specs corpus."""
    source = corpus_or_skip()
    target = tmp_path / "nova-specs"
    shutil.copytree(source, target, symlinks=True)
    return target


@pytest.fixture
def nova(make_project: Callable[..., Project]) -> Project:
    return make_project("nova")


def specs_of(db: Session, project: Project) -> dict[str, Spec]:
    return {s.name: s for s in db.scalars(select(Spec).where(Spec.project_id == project.id))}


def revisions_of(db: Session, spec: Spec) -> list[SpecRevision]:
    return list(db.scalars(select(SpecRevision).where(SpecRevision.spec_id == spec.id).order_by(SpecRevision.id)))


def count(db: Session, model: type, *where: object) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def totals(db: Session, project: Project) -> tuple[int, int, int]:
    specs = count(db, Spec, Spec.project_id == project.id)
    revisions = db.scalar(
        select(func.count()).select_from(SpecRevision).join(Spec).where(Spec.project_id == project.id)
    )
    events = count(db, Event, Event.project_id == project.id)
    return specs, revisions or 0, events


def write_spec(root: Path, relative: str, name: str, title: str | None = None, **sections: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(spec_rst(title or name.replace("-", " ").title(), name, "nova", sections or None))
    return path


def failures(report: ImportReport) -> dict[str, str]:
    return dict(report.failures)


def skipped(report: ImportReport) -> dict[str, str]:
    return dict(report.skipped)


# --- the real corpus ----------------------------------------------------------------


def test_first_import_of_the_corpus(db: Session, nova: Project, corpus: Path) -> None:
    report = import_tree(db, None, nova, corpus)

    # 64 files: 61 designs, 3 of them re-proposed in a later release.
    assert (report.created, report.updated, report.unchanged, report.failed) == (61, 3, 0, 0)
    assert report.total == 64
    assert report.failures == [] and report.skipped == []
    assert report.summary() == "61 created, 3 updated, 0 unchanged, 0 failed; not specs, skipped: 27 template"
    assert totals(db, nova) == (61, 64, 66)  # and the project.created and import.finished events
    assert count(db, Event, Event.project_id == nova.id, Event.kind == "spec.created") == 61
    assert count(db, Event, Event.project_id == nova.id, Event.kind == "spec.revised") == 3

    run = db.scalars(select(ImportRun).where(ImportRun.project_id == nova.id)).one()
    assert run.status == "succeeded"
    assert run.counts == {"created": 61, "updated": 3, "unchanged": 0, "failed": 0}
    assert run.finished_at is not None


def test_re_proposed_specs_become_one_spec_with_release_history(db: Session, nova: Project, corpus: Path) -> None:
    import_tree(db, None, nova, corpus)
    specs = specs_of(db, nova)

    for name, (releases, current_release, current_state) in CHAINS.items():
        spec = specs[name]
        history = revisions_of(db, spec)
        assert sorted((r.release for r in history), key=releases.index) == releases, name
        assert {r.path for r in history} == {
            f"specs/{r.release}/{r.state}/{name}.rst" for r in history
        }
        # The spec shows its newest release, whichever order the files were read in.
        assert (spec.release, spec.state) == (current_release, current_state), name
    assert specs["cross-cell-resize"].title == "Cross-cell resize"
    assert specs["cross-cell-resize"].summary.startswith("Expand resize (cold migration) support")


def test_corpus_states_releases_and_names(db: Session, nova: Project, corpus: Path) -> None:
    import_tree(db, None, nova, corpus)
    specs = specs_of(db, nova)

    backlog = specs["nova-services-graceful-shutdown"]
    assert (backlog.state, backlog.release, backlog.release_rank) == ("backlog", None, 0)
    abandoned = specs["same-instances-scheduling"]
    assert (abandoned.state, abandoned.release) == ("abandoned", None)
    juno = specs["hyper-v-soft-reboot"]
    assert (juno.state, juno.release) == ("implemented", "juno")
    assert specs["tag-instances"].state == "approved"
    # The Launchpad link names the spec, not the file name.
    assert "openapi-2" in specs and "openapi" not in specs
    assert revisions_of(db, specs["openapi-2"])[0].path == "specs/2025.1/implemented/openapi.rst"
    assert "no-valid-host-reporting" in specs and "add_exceeded_max_retries_exception" not in specs
    assert specs["openapi-2"].blueprint_url == "https://blueprints.launchpad.net/nova/+spec/openapi-2"
    # Templates are not specs.
    assert not [name for name in specs if "template" in name]
    paths = db.scalars(select(SpecRevision.path).join(Spec).where(Spec.project_id == nova.id)).all()
    assert not [p for p in paths if "template" in p]


def test_re_running_changes_nothing(db: Session, nova: Project, corpus: Path) -> None:
    import_tree(db, None, nova, corpus)
    before = totals(db, nova)

    report = import_tree(db, None, nova, corpus)

    assert (report.created, report.updated, report.unchanged, report.failed) == (0, 0, 64, 0)
    assert totals(db, nova) == before


def test_importing_the_specs_folder_or_the_repo_root_is_the_same(db: Session, nova: Project, corpus: Path) -> None:
    import_tree(db, None, nova, corpus)
    report = import_tree(db, None, nova, corpus / "specs")
    assert report.unchanged == 64 and report.created == report.updated == 0


def test_changing_one_file_gives_one_update_and_one_revision(db: Session, nova: Project, corpus: Path) -> None:
    import_tree(db, None, nova, corpus)
    specs_before, revisions_before, events_before = totals(db, nova)
    stein = corpus / "specs/stein/approved/cross-cell-resize.rst"
    stein.write_text(stein.read_text() + "\nA late note from the stein cycle.\n")

    report = import_tree(db, None, nova, corpus)

    assert (report.created, report.updated, report.unchanged, report.failed) == (0, 1, 63, 0)
    # One spec.revised, and the run's import.finished line for the feed.
    assert totals(db, nova) == (specs_before, revisions_before + 1, events_before + 2)
    newest = db.scalars(select(Event).where(Event.project_id == nova.id).order_by(Event.id.desc()).limit(2)).all()
    assert [e.kind for e in newest] == ["import.finished", "spec.revised"]
    event = newest[1]
    assert event.payload["path"] == "specs/stein/approved/cross-cell-resize.rst"
    spec = specs_of(db, nova)["cross-cell-resize"]
    newest = revisions_of(db, spec)[-1]
    assert newest.release == "stein" and "A late note from the stein cycle." in newest.text
    # An edit of an older release does not make it the current one.
    assert (spec.release, spec.state) == ("ussuri", "implemented")


def test_editing_the_current_release_updates_the_summary(db: Session, nova: Project, corpus: Path) -> None:
    import_tree(db, None, nova, corpus)
    current = corpus / "specs/2026.1/implemented/remove-os-volumes-boot-api.rst"
    text = current.read_text()
    old = "Remove the undocumented, unused ``/os-volumes_boot`` API."
    assert old in text
    summary = specs_of(db, nova)["remove-os-volumes-boot-api"].summary
    assert summary == "Remove the undocumented, unused /os-volumes_boot API."
    current.write_text(text.replace(old, "Remove the ``/os-volumes_boot`` API, unused since Liberty.", 1))

    report = import_tree(db, None, nova, corpus)

    assert report.updated == 1
    assert specs_of(db, nova)["remove-os-volumes-boot-api"].summary == (
        "Remove the /os-volumes_boot API, unused since Liberty."
    )


def test_progress_is_reported_for_every_file(db: Session, nova: Project, corpus: Path) -> None:
    calls: list[tuple[int, int, str]] = []
    import_tree(db, None, nova, corpus, progress=lambda i, n, path: calls.append((i, n, path)))
    assert [c[0] for c in calls] == list(range(1, 65))
    assert {c[1] for c in calls} == {64}
    assert all(c[2].startswith("specs/") and c[2].endswith(".rst") for c in calls)


def test_commit_is_called_per_batch_and_at_the_end(db: Session, nova: Project, corpus: Path) -> None:
    commits: list[int] = []
    import_tree(db, None, nova, corpus, commit=lambda: commits.append(1))
    assert len(commits) == 2  # after file 50, and at the end


# --- layouts -------------------------------------------------------------------------


def test_flat_release_folders_mean_approved(db: Session, nova: Project, tmp_path: Path) -> None:
    write_spec(tmp_path, "specs/2025.1/flat-one.rst", "flat-one")
    write_spec(tmp_path, "specs/epoxy/flat-two.rst", "flat-two")

    report = import_tree(db, None, nova, tmp_path)

    assert report.created == 2
    specs = specs_of(db, nova)
    assert (specs["flat-one"].state, specs["flat-one"].release) == ("approved", "2025.1")
    assert (specs["flat-two"].state, specs["flat-two"].release) == ("approved", "2025.1")


def test_approved_folder_with_a_symlink_per_release(db: Session, nova: Project, tmp_path: Path) -> None:
    write_spec(tmp_path, "specs/approved/linked.rst", "linked")
    for release in ("2025.1", "2025.2"):
        (tmp_path / "specs" / release).mkdir(parents=True)
        (tmp_path / "specs" / release / "linked.rst").symlink_to(Path("..") / "approved" / "linked.rst")

    report = import_tree(db, None, nova, tmp_path)

    assert (report.created, report.updated, report.failed) == (1, 1, 0)
    spec = specs_of(db, nova)["linked"]
    history = revisions_of(db, spec)
    assert sorted((r.path, r.release) for r in history) == [
        ("specs/2025.1/linked.rst", "2025.1"),
        ("specs/2025.2/linked.rst", "2025.2"),
    ]
    assert (spec.release, spec.state) == ("2025.2", "approved")
    assert import_tree(db, None, nova, tmp_path).unchanged == 2


def test_a_release_file_linked_from_a_later_release_keeps_both(db: Session, nova: Project, tmp_path: Path) -> None:
    write_spec(tmp_path, "specs/2025.1/approved/carried.rst", "carried")
    (tmp_path / "specs/2025.2/approved").mkdir(parents=True)
    (tmp_path / "specs/2025.2/approved/carried.rst").symlink_to(Path("../../2025.1/approved/carried.rst"))

    import_tree(db, None, nova, tmp_path)

    releases = sorted(r.release for r in revisions_of(db, specs_of(db, nova)["carried"]))
    assert releases == ["2025.1", "2025.2"]


def test_an_unlinked_file_in_the_approved_folder_has_no_release(db: Session, nova: Project, tmp_path: Path) -> None:
    write_spec(tmp_path, "specs/approved/not-yet.rst", "not-yet")
    import_tree(db, None, nova, tmp_path)
    spec = specs_of(db, nova)["not-yet"]
    assert (spec.state, spec.release) == ("approved", None)


def test_symlink_outside_the_tree_is_skipped_with_the_reason(db: Session, nova: Project, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "secret.rst"
    outside.parent.mkdir()
    outside.write_text(spec_rst("Secret", "secret"))
    tree = tmp_path / "repo"
    write_spec(tree, "specs/2025.1/approved/fine.rst", "fine")
    (tree / "specs/2025.1/approved/secret.rst").symlink_to(outside)

    report = import_tree(db, None, nova, tree)

    reason = skipped(report)["specs/2025.1/approved/secret.rst"]
    assert "outside the specs tree" in reason and str(outside) in reason
    assert set(specs_of(db, nova)) == {"fine"}
    assert report.failed == 0


def test_broken_symlink_is_reported(db: Session, nova: Project, tmp_path: Path) -> None:
    write_spec(tmp_path, "specs/2025.1/approved/fine.rst", "fine")
    (tmp_path / "specs/2025.1/approved/gone.rst").symlink_to("../../approved/gone.rst")

    report = import_tree(db, None, nova, tmp_path)

    reason = skipped(report)["specs/2025.1/approved/gone.rst"]
    assert "broken symlink" in reason and "../../approved/gone.rst" in reason
    assert set(specs_of(db, nova)) == {"fine"}


def test_folder_symlink_is_reported_not_silently_ignored(db: Session, nova: Project, tmp_path: Path) -> None:
    write_spec(tmp_path, "specs/2025.1/approved/fine.rst", "fine")
    (tmp_path / "specs/2025.2").symlink_to("2025.1", target_is_directory=True)

    report = import_tree(db, None, nova, tmp_path)

    assert "not followed" in skipped(report)["specs/2025.2"]
    assert report.created == 1


def test_unreadable_files_are_reported_by_path_and_the_rest_continues(
    db: Session, nova: Project, tmp_path: Path
) -> None:
    write_spec(tmp_path, "specs/2025.1/approved/before.rst", "before")
    latin1 = tmp_path / "specs/2025.1/approved/latin1.rst"
    latin1.write_bytes(spec_rst("Café support", "latin1").encode("latin-1"))
    binary = tmp_path / "specs/2025.1/approved/image.rst"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01")
    nul = tmp_path / "specs/2025.1/approved/nul.rst"
    nul.write_bytes(b"Title\n=====\n\nText\x00with a NUL.\n")
    write_spec(tmp_path, "specs/2025.1/approved/zafter.rst", "zafter")

    report = import_tree(db, None, nova, tmp_path)

    reasons = failures(report)
    assert "not UTF-8" in reasons["specs/2025.1/approved/latin1.rst"]
    assert "convert it to UTF-8" in reasons["specs/2025.1/approved/latin1.rst"]
    assert "binary" in reasons["specs/2025.1/approved/image.rst"]
    assert "binary" in reasons["specs/2025.1/approved/nul.rst"]
    assert (report.created, report.failed) == (2, 3)
    assert set(specs_of(db, nova)) == {"before", "zafter"}
    run = db.scalars(select(ImportRun).where(ImportRun.project_id == nova.id)).one()
    assert run.status == "partial"
    assert {e["path"] for e in run.errors} == set(reasons)


def test_a_file_over_one_mebibyte_is_reported_not_imported(db: Session, nova: Project, tmp_path: Path) -> None:
    huge = tmp_path / "specs/2025.1/approved/huge.rst"
    huge.parent.mkdir(parents=True)
    huge.write_text(spec_rst("Huge", "huge") + ("padding " * 20 + "\n") * 8000)
    assert huge.stat().st_size > 1024 * 1024
    write_spec(tmp_path, "specs/2025.1/approved/small.rst", "small")

    report = import_tree(db, None, nova, tmp_path)

    assert "larger than 1024 KiB" in failures(report)["specs/2025.1/approved/huge.rst"]
    assert set(specs_of(db, nova)) == {"small"}


def test_broken_rst_is_kept_as_plain_text_and_reported(db: Session, nova: Project, tmp_path: Path) -> None:
    broken = tmp_path / "specs/2025.1/approved/broken.rst"
    broken.parent.mkdir(parents=True)
    broken.write_text(spec_rst("Broken spec", "broken") + "\n" + "x" * 30_000 + "\n\nThe end.\n")
    write_spec(tmp_path, "specs/2025.1/approved/fine.rst", "fine")

    report = import_tree(db, None, nova, tmp_path)

    assert "kept as plain text" in failures(report)["specs/2025.1/approved/broken.rst"]
    assert (report.created, report.failed) == (1, 1)
    spec = specs_of(db, nova)["broken"]  # the file name names it: the link was not parsed
    revision = revisions_of(db, spec)[0]
    assert revision.parse_error and "longer than" in revision.parse_error
    assert "The end." in revision.html and revision.text == broken.read_text()
    assert spec.title == "Broken spec"

    again = import_tree(db, None, nova, tmp_path)  # still reported until fixed, never duplicated
    assert (again.unchanged, again.failed) == (1, 1)
    assert "kept as plain text" in failures(again)["specs/2025.1/approved/broken.rst"]
    assert len(revisions_of(db, spec)) == 1


def test_the_link_name_wins_over_the_file_name(db: Session, nova: Project, tmp_path: Path) -> None:
    path = tmp_path / "specs/2025.1/approved/x.rst"
    path.parent.mkdir(parents=True)
    path.write_text(spec_rst("Why", "y"))

    import_tree(db, None, nova, tmp_path)

    assert set(specs_of(db, nova)) == {"y"}
    assert revisions_of(db, specs_of(db, nova)["y"])[0].path == "specs/2025.1/approved/x.rst"


def test_a_file_moving_to_implemented_updates_the_state(db: Session, nova: Project, tmp_path: Path) -> None:
    approved = write_spec(tmp_path, "specs/2025.1/approved/moving.rst", "moving")
    import_tree(db, None, nova, tmp_path)
    implemented = tmp_path / "specs/2025.1/implemented/moving.rst"
    implemented.parent.mkdir()
    approved.rename(implemented)

    report = import_tree(db, None, nova, tmp_path)

    assert report.updated == 1
    spec = specs_of(db, nova)["moving"]
    assert (spec.state, spec.release) == ("implemented", "2025.1")


def test_readme_index_and_templates_are_skipped(db: Session, nova: Project, tmp_path: Path) -> None:
    write_spec(tmp_path, "specs/2025.1/approved/real.rst", "real")
    for name in ("specs/2025.1-template.rst", "specs/template.rst", "specs/index.rst", "README.rst",
                 "specs/2025.1/index.rst", "specs/2025.1/approved/notes.txt"):
        (tmp_path / name).write_text("Not a spec\n==========\n")

    report = import_tree(db, None, nova, tmp_path)

    assert report.created == 1 and report.failed == 0
    assert set(specs_of(db, nova)) == {"real"}


@pytest.mark.parametrize(
    ("folders", "expected"),
    [
        (("2025.1", "approved"), ("2025.1", SpecState.APPROVED)),
        (("2025.1", "implemented"), ("2025.1", SpecState.IMPLEMENTED)),
        (("Epoxy",), ("2025.1", SpecState.APPROVED)),
        (("backlog", "approved"), (None, SpecState.BACKLOG)),
        (("abandoned",), (None, SpecState.ABANDONED)),
        (("approved",), (None, SpecState.APPROVED)),
        (("liberty-1", "approved"), ("liberty", SpecState.APPROVED)),
    ],
)
def test_classify_path(folders: tuple[str, ...], expected: tuple[str | None, SpecState]) -> None:
    assert classify_path(folders) == expected


# --- errors before anything is imported ---------------------------------------------------


def test_unknown_project_names_the_known_ones_and_the_command(db: Session, nova: Project) -> None:
    with pytest.raises(NotFound) as caught:
        get_project(db, "nuetron")
    message = caught.value.message
    assert "nuetron" in message and "Known projects: nova" in message
    assert "portal projects add nuetron" in message


def test_a_file_is_not_a_tree(db: Session, nova: Project, tmp_path: Path) -> None:
    file = tmp_path / "spec.rst"
    file.write_text(spec_rst("One", "one"))
    with pytest.raises(InvalidInput, match="is not a directory"):
        import_tree(db, None, nova, file)
    with pytest.raises(InvalidInput, match="does not exist"):
        import_tree(db, None, nova, tmp_path / "missing")
    assert totals(db, nova)[0] == 0


def test_a_tree_without_specs_says_what_layout_is_expected(db: Session, nova: Project, tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("hello")
    with pytest.raises(InvalidInput, match=r"No spec files .* specs/<release>/approved/<name>\.rst"):
        import_tree(db, None, nova, tmp_path)


def test_discover_lists_the_files_in_a_stable_order(tmp_path: Path) -> None:
    write_spec(tmp_path, "specs/2025.2/approved/b.rst", "b")
    write_spec(tmp_path, "specs/2025.1/approved/a.rst", "a")
    files, skipped_files = discover(tmp_path)
    assert [f.rel_path for f in files] == ["specs/2025.1/approved/a.rst", "specs/2025.2/approved/b.rst"]
    assert skipped_files == []
    assert os.path.isabs(files[0].real_path)


def test_a_first_import_is_backfill_and_later_changes_are_not(db: Session, nova: Project, tmp_path: Path) -> None:
    """Alerts summarise a first import's history instead of sending one message per spec."""
    root = tmp_path / "nova-specs"
    write_spec(root, "specs/2025.1/approved/live-resize.rst", "live-resize")
    write_spec(root, "specs/2025.1/approved/cell-health.rst", "cell-health")
    first = import_tree(db, None, nova, root)
    assert first.backfill and first.created == 2
    kinds = db.execute(select(Event.kind, Event.backfill).where(Event.project_id == nova.id,
                                                                Event.kind != "project.created")).all()
    # The run's own line for the feed is not backfill: it is the one thing the feed shows of the import.
    assert [(str(k), b) for k, b in kinds] == [("spec.created", True), ("spec.created", True),
                                               ("import.finished", False)]

    newest = db.scalar(select(func.max(Event.id)))
    write_spec(root, "specs/2025.1/approved/live-resize.rst", "live-resize", title="Live resize, take two")
    second = import_tree(db, None, nova, root)
    assert not second.backfill and second.updated == 1
    later = db.execute(select(Event.kind, Event.backfill).where(Event.id > newest)).all()
    assert ("spec.revised", False) in [(str(k), b) for k, b in later]
