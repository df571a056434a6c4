"""``portal worker``: syncs, event consumers, delivery and digests on the configured intervals."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Adds the ``worker`` command (issue 11, in progress)."""
