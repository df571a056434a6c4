"""The progress line of ``portal sync …``: a bar when the source says how much there is, a count when not.

On a terminal the line is redrawn in place (``\\r``); in a log (cron, systemd) each page is one line, so a
stalled run shows where it stopped. Printed on stderr: stdout keeps only the summary and failures.
"""

from __future__ import annotations

import sys
import time

import click

from portal.cli.output import shown

WIDTH = 24


class ProgressLine:
    def __init__(self, label: str, unit: str) -> None:
        self.label = label
        self.unit = unit
        self.started = time.monotonic()
        self.tty = sys.stderr.isatty()
        self.drawn = False

    def text(self, seen: int, total: int | None) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = f"{seen / elapsed:.0f} {self.unit}/s"
        if total:
            done = min(seen, total)
            filled = WIDTH * done // total
            bar = "#" * filled + "." * (WIDTH - filled)
            return f"  {shown(self.label)} [{bar}] {done}/{total} {self.unit} ({rate})"
        return f"  {shown(self.label)}: {seen} {self.unit} read ({rate})"

    def update(self, seen: int, total: int | None = None) -> None:
        line = self.text(seen, total)
        if self.tty:
            click.echo("\r" + line, nl=False, err=True)
            self.drawn = True
        else:
            click.echo(line, err=True)

    def close(self) -> None:
        """End the redrawn line before the summary is printed."""
        if self.drawn:
            click.echo("", err=True)
            self.drawn = False
