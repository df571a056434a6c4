"""``portal sync gerrit``: import spec reviews (changes, patch sets, votes, messages) from Gerrit."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from portal.cli import Context, pass_context
from portal.cli.output import shown
from portal.cli.sync_progress import ProgressLine
from portal.db.unit import commit_batch
from portal.errors import InvalidInput, PortalError, SettingsError
from portal.importers import gerrit
from portal.importers.gerrit_sync import SyncReport, code_repos, sync_code_repo, sync_project
from portal.models import Project
from portal.settings import _parse_base_url
from portal.specs.service import get_project


@click.command("gerrit")
@click.option("--url", default=None, help="Gerrit server (default: PORTAL_GERRIT_URL, https://review.opendev.org).")
@click.option("--project", "project_name", default=None,
              help="Only this project (default: every project with a Gerrit repository).")
@click.option("--full", is_flag=True, help="Ignore the cursor and re-read every change (a backfill).")
@pass_context
def gerrit_command(ctx: Context, url: str | None, project_name: str | None, full: bool) -> None:
    """Import the Gerrit changes of each project's specs repository (incremental; re-run any time).

    The repository is the project's Gerrit repository (`portal projects add
    nova --gerrit-repo openstack/nova-specs`). Runs after the first read only
    what changed since the last one (minus an hour of overlap); a run that
    failed half-way is simply run again: nothing is lost or duplicated.
    The project's code repositories (`--code-repo openstack/nova`) give the
    implementation progress: changes saying `Implements: blueprint <name>`
    or with topic `bp/<name>`, one paged query per repository.

    \b
    Example (OpenDev's Gerrit, where the OpenStack specs live):
      portal projects add nova --gerrit-repo openstack/nova-specs
      portal projects edit nova --code-repo openstack/nova
      portal sync gerrit --url https://review.opendev.org --project nova
      portal sync gerrit --project nova --full      # re-read everything

    \b
    Settings: PORTAL_GERRIT_URL, PORTAL_GERRIT_USER / PORTAL_GERRIT_PASSWORD
    (HTTP password; requests then go to /a/...), PORTAL_GERRIT_PAGE_SIZE,
    PORTAL_HTTP_TIMEOUT, PORTAL_HTTP_RETRIES (docs/install.md).
    The progress goes to stderr; the summary (created / updated /
    unchanged / failed) to stdout. Exit status 1 when anything failed.
    """
    settings = ctx.settings
    if url is not None:
        try:
            url = _parse_base_url(url)
        except ValueError as exc:
            raise InvalidInput(f"--url {shown(url)} is not an http(s) URL; use e.g. https://review.opendev.org.") \
                from exc
        if not url:
            raise SettingsError("--url is empty; use e.g. https://review.opendev.org.")
    client = gerrit.client_from_settings(settings, url)
    failed = False
    with client.http, ctx.session() as session:
        if project_name is not None:
            projects = [get_project(session, project_name)]
            if not projects[0].gerrit_repo:
                raise InvalidInput(
                    f"Project '{project_name}' has no Gerrit repository; set one with "
                    f"`portal projects edit {project_name} --gerrit-repo openstack/{project_name}-specs`."
                )
        else:
            projects = list(session.scalars(
                select(Project).where(Project.gerrit_repo.is_not(None)).order_by(Project.name)))
            if not projects:
                raise InvalidInput("No project has a Gerrit repository; add one with "
                                   "`portal projects edit NAME --gerrit-repo openstack/NAME-specs`.")
        for project in projects:
            name = project.name

            line = ProgressLine(name, "changes")  # Gerrit does not say how many: a count, not a bar

            def progress(seen: int, page_url: str, line: ProgressLine = line) -> None:
                line.update(seen)

            click.echo(f"{shown(name)}: reading {shown(project.gerrit_repo)} from {shown(client.http.base_url)}"
                       + (" (full)" if full else ""), err=True)
            try:
                report = sync_project(
                    session, None, project, client, full=full, page_size=settings.gerrit_page_size,
                    progress=progress,
                    commit=lambda: commit_batch(session),
                )
            except PortalError as exc:
                line.close()
                failed = True
                click.secho(f"FAILED  {shown(name)}: {shown(exc.message)}", fg="red", err=True)
                click.echo("What was committed before the failure stays; fix the cause and run the same "
                           "command again (it resumes from the last completed run).", err=True)
                continue
            line.close()
            _print(name, report)
            failed = failed or report.failed > 0
            for repo in code_repos(session, project):
                try:
                    code = sync_code_repo(session, None, project, client, repo, full=full,
                                          page_size=settings.gerrit_page_size, commit=lambda: commit_batch(session))
                except PortalError as exc:
                    failed = True
                    click.secho(f"FAILED  {shown(name)} {shown(repo)}: {shown(exc.message)}", fg="red", err=True)
                    continue
                click.echo(f"Implementation progress of {shown(name)} from {shown(repo)}: "
                           f"{code.created} created, {code.updated} updated, {code.unchanged} unchanged "
                           f"({code.skipped} changes name no spec of {shown(name)}).")
    if failed:
        sys.exit(1)


def _print(name: str, report: SyncReport) -> None:
    for item, reason in report.failures:
        click.secho(f"FAILED  {shown(name)} {shown(item)}: {shown(reason)}", fg="yellow")
    click.echo(f"Synced {shown(name)} from Gerrit: {report.summary()}.")
    if report.failed:
        click.echo("Changes that failed are listed above; re-run the same command once fixed (nothing is duplicated).")


def register(group: click.Group) -> None:
    group.add_command(gerrit_command)
