"""``portal report release``: the release summary for operators, as Markdown, CSV or JSON."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from portal.cli import Context, pass_context
from portal.cli.output import shown
from portal.clock import now
from portal.errors import InvalidInput
from portal.reports import formats
from portal.reports.release_summary import build


@click.group("report")
def report_group() -> None:
    """Reports for operators and PTLs (docs/cli.md, "portal report release")."""


@report_group.command("release")
@click.option("--project", "projects", multiple=True, required=True,
              help="A project (repeat, or separate with commas, for several).")
@click.option("--release", required=True, help="The release, e.g. 2026.2 (a code name such as hibiscus works too).")
@click.option("--format", "fmt", type=click.Choice(sorted(formats.FORMATS)), default="md", show_default=True,
              help="md for summit notes and wikis, csv for a spreadsheet, json for scripts.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write to FILE (replaced whole, never half-written) instead of standard output.")
@pass_context
def release(ctx: Context, projects: tuple[str, ...], release: str, fmt: str, output: Path | None) -> None:
    """Every spec of a release: status, operator-facing impacts, checklist gaps, top votes, latest discussion.

    Links use PORTAL_BASE_URL when it is set (else they are paths on the portal).
    """
    with ctx.session() as session:
        summary = build(session, projects, release, at=now())
    text = formats.FORMATS[fmt](summary, ctx.settings.base_url or "")
    if output is None:
        if sys.stdout.isatty():  # text written by others must not drive the terminal
            text = "\n".join(shown(line) for line in text.replace("\r\n", "\n").split("\n"))
        click.echo(text, nl=False)
        return
    _write_whole(output, text)
    click.echo(f"Wrote the {summary.release} summary of {', '.join(summary.projects)} "
               f"({len(summary.specs)} specs, {fmt}) to {shown(output)}.")


def _write_whole(path: Path, text: str) -> None:
    """Write beside the target, then rename: a reader never sees half a file, a failure leaves the old one."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InvalidInput(f"Folder {shown(folder)} does not exist: create it or give another --output.")
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise InvalidInput(f"Cannot write {shown(path)}: {exc.strerror or exc}. Choose another --output.") from exc


def register(main: click.Group) -> None:
    main.add_command(report_group)
