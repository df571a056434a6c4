"""``portal import mail FILE|DIR --list L``: mailing-list archives, threads linked to the specs they discuss."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from portal.cli import Context, pass_context
from portal.cli.output import shown
from portal.errors import PortalError
from portal.importers.outside.mail import ARCHIVE_SUFFIXES, archive_files
from portal.importers.outside.store import import_discussions
from portal.importers.outside.threads import merge_with_stored, read_threads
from portal.importers.runs import ItemFailure, recorded_run

_LIST_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


@click.command("mail")
@click.option("--list", "list_name", required=True,
              help="The list the archive belongs to, e.g. openstack-discuss (names the threads; keep it the same "
                   "on every run).")
@click.option("--archive-url", default=None, metavar="URL",
              help="The list's HyperKitty base URL, e.g. https://lists.openstack.org/archives/list/"
                   "openstack-discuss@lists.openstack.org/ — links each message to its archive page when the "
                   "export has no Archived-At header.")
@click.argument("target", type=click.Path(exists=True, path_type=Path))
@pass_context
def mail(ctx: Context, list_name: str, archive_url: str | None, target: Path) -> None:
    """Import a list archive: a Mailman 3 / HyperKitty mbox export or pipermail monthly files (idempotent).

    TARGET is one file or a directory of them (*.mbox, *.txt, *.txt.gz, read recursively). Re-run it
    after each new month (the new file alone, or the whole directory): a thread that continues into the
    new month is joined with what was imported of it, and threads that did not change are skipped.
    """
    list_name = list_name.strip().lower()
    if not _LIST_NAME.match(list_name):
        raise PortalError(f"--list {list_name!r} is not a list name: use the list's short name, "
                          "e.g. --list openstack-discuss.")
    if archive_url and not archive_url.startswith(("https://", "http://")):
        raise PortalError("--archive-url must start with https:// (the list's HyperKitty page, e.g. "
                          "https://lists.openstack.org/archives/list/openstack-discuss@lists.openstack.org/).")
    if not archive_files(target):
        raise PortalError(f"No archive files in {shown(str(target))}: expected names ending in "
                          f"{', '.join(ARCHIVE_SUFFIXES)}.")
    read = read_threads(target, list_name=list_name, archive_url=archive_url, progress=_progress)
    click.echo("", err=True) if sys.stderr.isatty() else None
    click.echo(f"Read {read.files} file(s): {read.messages} messages in {len(read.discussions)} threads.")
    with ctx.session() as session:
        # One transaction: the run row (the admin's runs page) is stored with the threads or not at all.
        with recorded_run(session, source="mail", project_id=None, argument=f"{list_name} {target}"[:500]) as run:
            discussions = merge_with_stored(session, read.discussions)
            report = import_discussions(session, discussions, source_label=f"mail {list_name}")
            run.finish({"files": read.files, "messages": read.messages, "threads": report.discussions,
                        "unchanged": report.unchanged, "links": report.links,
                        "comments_added": report.comments_added, "comments_updated": report.comments_updated,
                        "failed": len(read.problems)},
                       [ItemFailure(problem.describe()[:300], problem.describe()) for problem in read.problems])
    for problem in read.problems:
        click.secho(f"FAILED  {shown(problem.describe())}", fg="yellow")
    click.echo(f"Imported threads of {shown(list_name)}: {report.summary()}.")
    if read.problems:
        click.echo("The parts listed above could not be read (everything else was imported); fix or download "
                   "them again and re-run the same command (nothing is duplicated).")
        sys.exit(1)


def _progress(index: int, total: int, path: str) -> None:
    """One overwritten status line on a terminal; every 100 files otherwise (logs)."""
    if sys.stderr.isatty():
        click.echo(f"\r[{index}/{total}] {shown(path)[-60:]:<60}", nl=False, err=True)
    elif index == 1 or index % 100 == 0 or index == total:
        click.echo(f"[{index}/{total}] {shown(path)}", err=True)


def register(import_group: click.Group) -> None:
    """Adds ``import mail``."""
    import_group.add_command(mail)
