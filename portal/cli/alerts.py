"""``portal alerts send`` / ``portal alerts digest``: bring the alerts consumer up to date, deliver, send digests."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Adds the ``alerts`` group (issue 11, in progress)."""
