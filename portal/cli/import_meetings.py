"""``portal import meetings DIR|URL``: IRC meeting logs, linked to the specs they discuss."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
from sqlalchemy.orm import Session

from portal.cli import Context, pass_context
from portal.cli.output import shown
from portal.db.unit import commit_batch
from portal.errors import PortalError
from portal.importers.outside.meeting_import import (
    PUBLIC_LOGS,
    LogFile,
    MeetingsReport,
    import_logs,
    local_logs,
    remote_logs,
)
from portal.importers.runs import ItemFailure, recorded_run
from portal.net import RetryPolicy, client_from_settings

_MEETING = re.compile(r"^[a-z0-9][a-z0-9_.+-]{0,99}$")


@click.command("meetings")
@click.option("--meeting", default=None, metavar="NAME", help="Only this meeting's logs, e.g. --meeting nova.")
@click.option("--log-url", default=None, metavar="URL",
              help="For a DIR: the web address the folder is published at, for the deep links "
                   "(default: https://meetings.opendev.org/meetings/, which the eavesdrop layout mirrors).")
@click.argument("source")
@pass_context
def meetings(ctx: Context, meeting: str | None, log_url: str | None, source: str) -> None:
    """Import the meeting bot's logs from a folder or a web address (idempotent, resumable).

    SOURCE is a folder laid out as <meeting>/<year>/<meeting>.<YYYY-MM-DD-HH.MM>.log.txt, or the URL of
    such a tree's index page (e.g. https://meetings.opendev.org/meetings/nova/). A log already imported
    is skipped by its content hash; each log is committed on its own.
    """
    if meeting is not None:
        meeting = meeting.strip().lower()
        if not _MEETING.match(meeting):
            raise PortalError(f"--meeting {meeting!r} is not a meeting name: use the name in the log files, "
                              "e.g. --meeting nova.")
    remote = source.startswith(("https://", "http://"))
    with ctx.session() as session:
        if remote:
            with client_from_settings(ctx.settings) as client:
                logs = remote_logs(client, source, policy=RetryPolicy.from_settings(ctx.settings), meeting=meeting)
                report = _run(session, logs, source)
        else:
            root = Path(source)
            if not root.is_dir():
                raise PortalError(f"{shown(source)} is not a folder or an http(s):// address: give the folder "
                                  "holding <meeting>/<year>/*.log.txt, or the index page's URL.")
            logs = local_logs(root, meeting=meeting, log_url=log_url or PUBLIC_LOGS)
            report = _run(session, logs, source)
    where = "" if remote else f"{source.rstrip('/')}/"  # a log's path is relative to SOURCE
    for problem in report.problems:
        click.secho(f"FAILED  {shown(where + problem)}", fg="yellow")
    t = report.totals
    click.echo(f"Read {report.files} log(s): {report.imported_files} imported, {report.unchanged_files} unchanged, "
               f"{len(report.problems)} failed; {t.discussions} topic(s), {t.links} new link(s) to specs, "
               f"{t.comments_added} comment(s) added, {t.comments_updated} updated.")
    if report.problems:
        click.echo("The logs listed above were not imported (everything else was); fix or download them again "
                   "and re-run the same command (nothing is duplicated).")
        sys.exit(1)


def _run(session: Session, logs: list[LogFile], source: str) -> MeetingsReport:
    if not logs:
        raise PortalError(f"No meeting logs found in {shown(source)}: expected files named "
                          "<meeting>.<YYYY-MM-DD-HH.MM>.log.txt (check --meeting).")
    # The admin's runs page lists it like any import; each log is a batch of the run.
    with recorded_run(session, source="meetings", project_id=None, argument=source[:500],
                      commit=lambda: commit_batch(session)) as run:
        report = import_logs(session, logs, commit=lambda: run.commit_batch({}), progress=_progress)
        t = report.totals
        run.finish({"files": report.files, "imported": report.imported_files, "unchanged": report.unchanged_files,
                    "failed": len(report.problems), "links": t.links, "comments_added": t.comments_added,
                    "comments_updated": t.comments_updated},
                   [ItemFailure(problem.split(":", 1)[0], problem) for problem in report.problems])
    return report


def _progress(index: int, total: int, path: str) -> None:
    """One overwritten status line on a terminal; every 100 files otherwise (logs)."""
    if sys.stderr.isatty():
        click.echo(f"\r[{index}/{total}] {shown(path)[-60:]:<60}", nl=False, err=True)
    elif index == 1 or index % 100 == 0 or index == total:
        click.echo(f"[{index}/{total}] {shown(path)}", err=True)


def register(import_group: click.Group) -> None:
    """Adds ``import meetings``."""
    import_group.add_command(meetings)
