"""``portal projects …`` and ``portal import specs``, run like an admin would.

Each test gets its own instance folder (hence SQLite database); the real
nova-specs corpus is copied to ``tmp_path`` when a test changes it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from portal.cli import main
from portal.settings import SPECS
from tests.conftest import corpus_or_skip
from tests.support.factories import spec_rst

Run = Callable[..., Result]


@pytest.fixture
def portal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    for spec in SPECS:  # the developer's shell must not leak settings in
        monkeypatch.delenv(f"PORTAL_{spec.name.upper()}", raising=False)
    instance = tmp_path / "instance"

    def run(*args: str) -> Result:
        runner = CliRunner(env={"PORTAL_INSTANCE_PATH": str(instance)})
        return runner.invoke(main, list(args), prog_name="portal")

    return run


@pytest.fixture
def ready(portal: Run) -> Run:
    """A migrated instance with the project nova registered."""
    assert portal("db", "upgrade").exit_code == 0
    added = portal("projects", "add", "nova", "--gerrit-repo", "openstack/nova-specs", "--launchpad", "nova")
    assert added.exit_code == 0, added.output
    return portal


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    target = tmp_path / "nova-specs"
    shutil.copytree(corpus_or_skip(), target, symlinks=True)
    return target


# --- projects ---------------------------------------------------------------------------


def test_projects_add_and_list(portal: Run) -> None:
    portal("db", "upgrade")
    empty = portal("projects", "list")
    assert empty.exit_code == 0
    assert empty.stdout == "No projects yet. Add one with: portal projects add NAME\n"

    added = portal("projects", "add", "nova", "--gerrit-repo", "openstack/nova-specs", "--launchpad", "nova")
    assert added.exit_code == 0
    assert added.stdout == "Project 'nova' added. Import its specs with: portal import specs --project nova DIR\n"
    assert portal("projects", "add", "cinder").exit_code == 0

    listed = portal("projects", "list")
    lines = [re.sub(r"\s+", " ", line) for line in listed.stdout.splitlines()]
    assert lines == [
        "cinder 0 specs gerrit=- launchpad=-",
        "nova 0 specs gerrit=openstack/nova-specs launchpad=nova",
    ]


def test_adding_a_project_twice_fails_and_changes_nothing(ready: Run) -> None:
    result = ready("projects", "add", "nova")
    assert result.exit_code == 1
    assert result.stderr == "Error: Project 'nova' already exists.\n"
    assert len(ready("projects", "list").stdout.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("Nova Compute",), "Invalid project name 'Nova Compute': use lowercase letters, digits"),
        (("-nova",), None),  # click reads it as an option: its own usage error
        (("nova", "--gerrit-repo", "not a repo!"), "expected a form like openstack/nova-specs"),
        (("nova", "--launchpad", "Nova!"), "Invalid Launchpad project 'Nova!': expected a name like nova"),
    ],
)
def test_bad_project_input_says_the_expected_form(portal: Run, args: tuple[str, ...], expected: str | None) -> None:
    portal("db", "upgrade")
    result = portal("projects", "add", *args)
    assert result.exit_code in (1, 2)
    if expected:
        assert result.exit_code == 1
        assert result.stderr.startswith("Error: ") and expected in result.stderr
    assert portal("projects", "list").stdout.startswith("No projects yet.")


# --- import specs -------------------------------------------------------------------------


def test_import_the_corpus_then_re_run(ready: Run) -> None:
    corpus = corpus_or_skip()

    first = ready("import", "specs", "--project", "nova", str(corpus))

    assert first.exit_code == 0, first.output
    assert first.stdout == (
        "Imported specs into nova: 61 created, 3 updated, 0 unchanged, 0 failed; not specs, skipped: 27 template.\n"
    )
    progress = first.stderr.splitlines()
    assert progress[0].startswith("[1/64] specs/")
    assert progress[-1].startswith("[64/64] specs/")
    assert len(progress) == 2  # non-tty: first, every 100th, last
    listed = re.sub(r"\s+", " ", ready("projects", "list").stdout)
    assert "nova 61 specs gerrit=openstack/nova-specs launchpad=nova" in listed

    again = ready("import", "specs", "--project", "nova", str(corpus / "specs"))
    assert again.exit_code == 0
    assert again.stdout == (
        "Imported specs into nova: 0 created, 0 updated, 64 unchanged, 0 failed; not specs, skipped: 27 template.\n"
    )


def test_import_with_bad_files_lists_them_and_exits_1(ready: Run, corpus: Path) -> None:
    approved = corpus / "specs/2025.2/approved"
    (approved / "latin1.rst").write_bytes(spec_rst("Café", "latin1").encode("latin-1"))
    (approved / "broken.rst").write_text(spec_rst("Broken", "broken") + "x" * 25_000 + "\n")
    (approved / "gone.rst").symlink_to("../../missing/gone.rst")

    result = ready("import", "specs", "--project", "nova", str(corpus))

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert (
        "skipped specs/2025.2/approved/gone.rst: broken symlink: its target ../../missing/gone.rst does not exist; "
        "fix or remove the link"
    ) in lines
    failed = sorted(line for line in lines if line.startswith("FAILED"))
    assert len(failed) == 2
    assert failed[0].startswith("FAILED  specs/2025.2/approved/broken.rst: kept as plain text: line ")
    assert failed[1].startswith("FAILED  specs/2025.2/approved/latin1.rst: not UTF-8 text")
    # The broken file is stored as plain text but counted as failed until it is fixed.
    assert (
        "Imported specs into nova: 61 created, 3 updated, 0 unchanged, 2 failed; not specs, skipped: 27 template."
    ) in lines
    assert lines[-1] == (
        "Files that failed are listed above; fix them and re-run the same command (nothing is duplicated)."
    )
    # The good files (and the plain-text one) were committed all the same.
    assert "nova 62 specs" in re.sub(r"\s+", " ", ready("projects", "list").stdout)

    (approved / "latin1.rst").write_text(spec_rst("Café", "latin1"))
    fixed = ready("import", "specs", "--project", "nova", str(corpus))
    assert (
        "Imported specs into nova: 1 created, 0 updated, 64 unchanged, 1 failed; not specs, skipped: 27 template."
    ) in fixed.stdout


def test_import_into_an_unknown_project_names_the_known_ones(ready: Run, tmp_path: Path) -> None:
    result = ready("import", "specs", "--project", "neutron", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: No project named 'neutron'. Known projects: nova. "
        "Register it first with `portal projects add neutron`.\n"
    )


def test_import_of_a_path_that_is_not_a_directory(ready: Run, tmp_path: Path) -> None:
    file = tmp_path / "one.rst"
    file.write_text(spec_rst("One", "one"))
    not_dir = ready("import", "specs", "--project", "nova", str(file))
    assert not_dir.exit_code == 2
    assert f"Directory '{file}' is a file." in not_dir.stderr

    missing = ready("import", "specs", "--project", "nova", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1
    assert missing.stderr.startswith(f"Error: {tmp_path / 'nowhere'} does not exist. Pass the path of a specs")

    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = ready("import", "specs", "--project", "nova", str(empty))
    assert nothing.exit_code == 1
    assert "No spec files (*.rst) found under" in nothing.stderr


def test_big_tree_shows_progress_every_100_files(ready: Run, tmp_path: Path) -> None:
    tree = tmp_path / "big-specs"
    for number in range(250):
        release = ("2025.1", "2025.2")[number % 2]
        path = tree / "specs" / release / "approved" / f"spec-{number:03d}.rst"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(spec_rst(f"Spec {number}", f"spec-{number:03d}"))

    result = ready("import", "specs", "--project", "nova", str(tree))

    assert result.exit_code == 0, result.output
    counters = [line.split(" ", 1)[0] for line in result.stderr.splitlines()]
    assert counters == ["[1/250]", "[100/250]", "[200/250]", "[250/250]"]
    assert result.stdout == "Imported specs into nova: 250 created, 0 updated, 0 unchanged, 0 failed.\n"
