"""``portal sync launchpad``: blueprints from the Launchpad web service into each project's specs."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from portal.cli import Context, pass_context
from portal.cli.output import shown
from portal.cli.sync_progress import ProgressLine
from portal.db.unit import commit_batch
from portal.errors import PortalError
from portal.importers.launchpad import LaunchpadClient, SyncReport, launchpad_names, sync_project
from portal.models import Project
from portal.net import RetryPolicy, client_from_settings
from portal.specs.service import get_project


@click.command("launchpad")
@click.option("--url", default=None, metavar="URL",
              help="Launchpad web service root (default: the launchpad_url setting, https://api.launchpad.net).")
@click.option("--project", "project_name", default=None, metavar="P",
              help="Only this project (default: every project with a Launchpad name).")
@click.option("--full", is_flag=True,
              help="Apply every blueprint again, even those whose http_etag is unchanged (a backfill).")
@pass_context
def launchpad(ctx: Context, url: str | None, project_name: str | None, full: bool) -> None:
    """Import every blueprint (obsolete and superseded too) of each project's Launchpad names.

    Reads <URL>/devel/<name>/all_specifications anonymously, page by page
    (one commit per page), and links each blueprint to the spec of the same
    name; blueprints without a spec file become specs marked "no design
    document". Re-run any time: unchanged blueprints are skipped by their
    http_etag.

    Example:

        portal sync launchpad --url https://api.launchpad.net --project nova
    """
    settings = ctx.settings
    root = (url or settings.launchpad_url).rstrip("/")
    policy = RetryPolicy.from_settings(settings)
    failed = False
    with ctx.session() as session:
        if project_name is not None:
            projects = [get_project(session, project_name)]
        else:
            projects = [p for p in session.scalars(select(Project).order_by(Project.name))
                        if launchpad_names(session, p)]
            if not projects:
                raise PortalError("No project has a Launchpad name yet; add one with "
                                  "`portal projects edit <project> --launchpad <name>`.")
        with client_from_settings(settings) as http:
            client = LaunchpadClient(http, root, policy=policy, page_size=settings.launchpad_page_size)
            for project in projects:
                name = project.name
                click.echo(f"{shown(name)}: reading {shown(root)} ({', '.join(launchpad_names(session, project))})",
                           err=True)
                try:
                    report = sync_project(session, project, client, full=full,
                                          commit=lambda: commit_batch(session), progress=_progress)
                except PortalError as exc:
                    _close_progress()
                    click.secho(f"FAILED  {shown(name)}: {shown(exc.message)}", fg="yellow", err=True)
                    click.echo("Pages committed before the failure are kept; fix the cause and run the same "
                               "command again (nothing is duplicated).")
                    failed = True
                    continue
                _close_progress()
                _summary(name, report)
                failed = failed or bool(report.failures)
    if failed:
        sys.exit(1)


_LINES: dict[str, ProgressLine] = {}


def _progress(lp_name: str, seen: int, total: int | None) -> None:
    """A bar per Launchpad name: the collection says its ``total_size``."""
    _LINES.setdefault(lp_name, ProgressLine(lp_name, "blueprints")).update(seen, total)


def _close_progress() -> None:
    for line in _LINES.values():
        line.close()
    _LINES.clear()


def _summary(name: str, report: SyncReport) -> None:
    for earlier in report.unfinished:
        click.echo(f"Note: the earlier sync {shown(earlier.describe())}")
    for failure in report.failures:
        click.secho(f"FAILED  {shown(failure.item)}: {shown(failure.reason)}", fg="yellow")
    kind = " (backfill)" if report.backfill else ""
    click.echo(f"Synced Launchpad blueprints into {shown(name)}{kind}: {report.summary()}.")
    if report.failures:
        click.echo("Blueprints that failed are listed above; run the same command again once fixed.")


def register(group: click.Group) -> None:
    group.add_command(launchpad)
