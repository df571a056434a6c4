"""Every docs file (and section) that `portal … --help` points to exists in docs/."""

from __future__ import annotations

import re
from pathlib import Path

import click
from click.testing import CliRunner

from portal.cli import main

ROOT = Path(__file__).resolve().parents[2]
# docs/install.md, or docs/install.md, "Settings" (a section heading of that file).
POINTER = re.compile(r'(docs/[\w./-]+\.md)(?:,\s+"([^"]+)")?')


def _command_lines(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in sorted(group.commands.items()):
        path = prefix + (name,)
        found += _command_lines(command, path) if isinstance(command, click.Group) else [path]
    return found


def _help_texts() -> dict[str, str]:
    runner = CliRunner()
    texts = {}
    for path in _command_lines(main):
        result = runner.invoke(main, [*path, "--help"], terminal_width=400)
        assert result.exit_code == 0, result.output
        texts["portal " + " ".join(path)] = re.sub(r"\s+", " ", result.output)
    return texts


def _headings(doc: Path) -> set[str]:
    return {line.lstrip("#").strip() for line in doc.read_text(encoding="utf-8").splitlines() if line.startswith("#")}


def test_every_docs_path_in_cli_help_exists() -> None:
    texts = _help_texts()
    pointers = [(command, m.group(1), m.group(2)) for command, text in texts.items() for m in POINTER.finditer(text)]
    assert any(command == "portal " for command, _, _ in pointers), "the main --help names no docs file"
    for command, path, section in pointers:
        doc = ROOT / path
        assert doc.is_file(), f"`{command.strip()} --help` points to {path}, which does not exist"
        if section:
            assert section in _headings(doc), f"`{command.strip()} --help` names section {section!r}, not in {path}"


def test_main_help_points_to_the_settings_and_the_command_reference() -> None:
    text = _help_texts()["portal "]
    assert 'docs/install.md, "Settings"' in text
    assert "docs/cli.md" in text
