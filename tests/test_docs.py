"""The operator docs cover every setting and every command (they cannot drift silently)."""

from __future__ import annotations

from pathlib import Path

import click

from portal.cli import main
from portal.settings import SPECS

DOCS = Path(__file__).resolve().parents[1] / "docs"


def commands(group: click.Group, prefix: str = "portal") -> list[str]:
    found = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        found += commands(command, path) if isinstance(command, click.Group) else [path]
    return found


def test_every_setting_is_documented_with_its_variable() -> None:
    text = (DOCS / "install.md").read_text()
    for spec in SPECS:
        assert f"`{spec.name}`" in text, spec.name
        assert f"`PORTAL_{spec.name.upper()}`" in text, spec.name


def test_every_command_is_in_the_cli_reference() -> None:
    text = (DOCS / "cli.md").read_text()
    for command in commands(main):
        assert f"`{command}" in text, command


def test_readme_gives_the_two_set_up_commands() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
