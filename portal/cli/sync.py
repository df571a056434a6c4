"""``portal sync``: bring specs, changes and blueprints in from Gerrit and Launchpad.

Each source adds its command to :data:`sync_group` in its own module
(``sync_gerrit.py``, ``sync_launchpad.py``).
"""

from __future__ import annotations

import importlib

import click


@click.group("sync")
def sync_group() -> None:
    """Import from the upstream systems (incremental by default; --full re-reads everything)."""


SOURCES = ("portal.cli.sync_gerrit", "portal.cli.sync_launchpad")


def register(main: click.Group) -> None:
    for name in SOURCES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # that source is not built yet
        module.register(sync_group)
    if sync_group.commands:
        main.add_command(sync_group)
