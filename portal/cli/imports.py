"""``portal import``: bring specs in from a local checkout."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from portal.cli import Context, pass_context
from portal.cli.output import shown
from portal.db.unit import commit_batch
from portal.importers.specs_tree import import_tree
from portal.specs.service import get_project


@click.group("import")
def import_group() -> None:
    """Import specs from local files."""


@import_group.command("specs")
@click.option(
    "--project", "project_name", required=True, help="Project the specs belong to (see `portal projects list`)."
)
@click.option("--verbose", "-v", is_flag=True, help="Also list each file that is not a spec (templates, index "
              "files, placeholders, redirect stubs) with the reason it was skipped.")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@pass_context
def specs(ctx: Context, project_name: str, directory: Path, verbose: bool) -> None:
    """Import a specs tree laid out like the OpenStack specs repos (idempotent: re-run any time).

    DIRECTORY is the repository checkout (or its specs/ folder), e.g. a clone
    of https://opendev.org/openstack/nova-specs.
    """
    with ctx.session() as session:
        project = get_project(session, project_name)
        progress = _progress_printer()
        report = import_tree(session, None, project, directory, progress=progress, commit=lambda: commit_batch(session))
    click.echo("", err=True) if sys.stderr.isatty() else None
    for earlier in report.unfinished:
        click.echo(f"Note: the earlier import {shown(earlier.describe())}")
    # File names and reasons come from the checkout: escaped, so they cannot drive the terminal.
    for path, reason in report.skipped:
        click.echo(f"skipped {shown(path)}: {shown(reason)}")
    if verbose:
        for path, why in report.not_specs:
            click.echo(f"not a spec ({why}): {shown(path)}")
    for path, reason in report.failures:
        click.secho(f"FAILED  {shown(path)}: {shown(reason)}", fg="yellow")
    click.echo(f"Imported specs into {shown(project_name)}: {report.summary()}.")
    if report.failed:
        click.echo("Files that failed are listed above; fix them and re-run the same command (nothing is duplicated).")
        sys.exit(1)


def _progress_printer() -> Callable[[int, int, str], None]:
    """Overwrite one status line on a terminal; print every 100 files otherwise (logs)."""
    tty = sys.stderr.isatty()

    def progress(index: int, total: int, path: str) -> None:
        if tty:
            click.echo(f"\r[{index}/{total}] {shown(path)[-60:]:<60}", nl=False, err=True)
        elif index == 1 or index % 100 == 0 or index == total:
            click.echo(f"[{index}/{total}] {shown(path)}", err=True)

    return progress


def register(main: click.Group) -> None:
    from portal.cli import import_mail, import_meetings

    import_meetings.register(import_group)
    import_mail.register(import_group)
    main.add_command(import_group)
