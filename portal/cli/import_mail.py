"""``portal import mail FILE|DIR --list L``: mailing-list archives, threads linked to the specs they discuss."""

from __future__ import annotations

import click


def register(import_group: click.Group) -> None:
    """Adds ``import mail`` (issue 13, in progress)."""
