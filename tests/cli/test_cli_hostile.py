"""``portal import specs`` on a hostile checkout: escaped file names, bounded parsing, failures reported.

A specs checkout is not the admin's own data: a file name can hold terminal
escape sequences (``\\x1b[2J`` clears the screen, ``\\x1b]0;…\\x07`` sets
the window title), and 527 bytes of nested substitutions used to keep the
import busy for minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from portal.cli import main
from portal.cli.output import shown
from portal.settings import SPECS
from tests.support.factories import spec_rst

Run = Callable[..., Result]
HOSTILE_NAME = "title\x1b]0;pwned\x07-clear\x1b[2J-rtl\u202e"


@pytest.fixture
def ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    for spec in SPECS:  # the developer's shell must not leak settings in
        monkeypatch.delenv(f"PORTAL_{spec.name.upper()}", raising=False)
    instance = tmp_path / "instance"

    def run(*args: str) -> Result:
        return CliRunner(env={"PORTAL_INSTANCE_PATH": str(instance)}).invoke(main, list(args), prog_name="portal")

    assert run("db", "upgrade").exit_code == 0
    assert run("projects", "add", "nova").exit_code == 0
    return run


def doubling_bomb(levels: int = 16) -> str:
    lines = ["=========\nA bomb\n=========\n", "|s0|\n"]
    lines += [f".. |s{n}| replace:: |s{n + 1}| |s{n + 1}|" for n in range(levels)]
    lines.append(f".. |s{levels}| replace:: boom")
    return "\n".join(lines) + "\n"


def checkout(tmp_path: Path) -> Path:
    folder = tmp_path / "nova-specs" / "specs" / "2025.1" / "approved"
    folder.mkdir(parents=True)
    (folder / "fine.rst").write_text(spec_rst("A fine spec", "fine"))
    (folder / f"{HOSTILE_NAME}.rst").write_bytes(b"binary\x00file")
    (folder / "bomb.rst").write_text(doubling_bomb())
    return tmp_path / "nova-specs"


def test_file_names_are_printed_escaped_and_a_substitution_bomb_is_reported(ready: Run, tmp_path: Path) -> None:
    started = time.perf_counter()
    result = ready("import", "specs", "--project", "nova", str(checkout(tmp_path)))
    elapsed = time.perf_counter() - started

    assert result.exit_code == 1
    for stream in (result.stdout, result.stderr):
        assert "\x1b" not in stream and "\x07" not in stream and "\u202e" not in stream
    escaped = "title\\x1b]0;pwned\\x07-clear\\x1b[2J-rtl\\u202e.rst"
    assert f"FAILED  specs/2025.1/approved/{escaped}: a binary file" in result.stdout
    assert f"approved/{escaped}" in result.stderr  # the progress line
    assert (
        "FAILED  specs/2025.1/approved/bomb.rst: kept as plain text: too many substitutions: nested |substitutions| "
        "expand to more than 2,000 references" in result.stdout
    )
    assert "1 created" in result.stdout
    assert elapsed < 10


def test_a_hostile_directory_name_in_an_error_is_escaped(ready: Run, tmp_path: Path) -> None:
    result = ready("import", "specs", "--project", "nova", str(tmp_path / "gone\x1b[2J"))

    assert result.exit_code == 1
    assert "\x1b" not in result.stderr
    assert "gone\\x1b[2J does not exist" in result.stderr


@pytest.mark.parametrize(
    ("raw", "printed"),
    [
        ("plain/path-1.rst", "plain/path-1.rst"),
        ("ünïcode ök.rst", "ünïcode ök.rst"),
        ("a\x1b[2Jb", "a\\x1b[2Jb"),
        ("tab\tnew\nline\r", "tab\\tnew\\nline\\r"),
        ("del\x7f c1\x9b", "del\\x7f c1\\x9b"),
        ("bidi\u202eevil\u2066", "bidi\\u202eevil\\u2066"),
        ("not-utf8-\udcff", "not-utf8-\\xff"),
    ],
)
def test_shown_escapes_what_a_terminal_would_act_on(raw: str, printed: str) -> None:
    assert shown(raw) == printed
