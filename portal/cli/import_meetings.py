"""``portal import meetings DIR|URL``: IRC meeting logs, linked to the specs they discuss."""

from __future__ import annotations

import click


def register(import_group: click.Group) -> None:
    """Adds ``import meetings`` (issue 13, in progress)."""
