"""``portal projects``: register the upstream projects and their sources."""

from __future__ import annotations

import click

from portal.cli import Context, pass_context
from portal.errors import InvalidInput
from portal.specs import overview, projects
from portal.specs.service import add_project, get_project


@click.group("projects")
def projects_group() -> None:
    """Register, list, edit, rename and remove projects."""


@projects_group.command("add")
@click.argument("name")
@click.option("--gerrit-repo", help="Gerrit specs repository, e.g. openstack/nova-specs.")
@click.option("--launchpad", help="Launchpad project name, e.g. nova.")
@click.option("--title", default="", help="Human title, e.g. 'Compute (nova)'.")
@click.option("--description", default="", help="One or two sentences for operators.")
@pass_context
def add(ctx: Context, name: str, gerrit_repo: str | None, launchpad: str | None, title: str, description: str) -> None:
    """Register project NAME (e.g. nova)."""
    with ctx.session() as session:
        project = add_project(
            session, None, name, title=title, description=description, gerrit_repo=gerrit_repo, launchpad=launchpad
        )
    click.echo(f"Project '{project.name}' added. Import its specs with: portal import specs --project {name} DIR")


@projects_group.command("list")
@pass_context
def list_(ctx: Context) -> None:
    """List projects and their spec counts."""
    with ctx.session() as session:
        summaries = overview.project_summaries(session)
        if not summaries:
            click.echo("No projects yet. Add one with: portal projects add NAME")
        sources = projects.sources_of(session, [item.project for item in summaries])
        for item in summaries:
            p, src = item.project, sources[item.project.id]
            click.echo(
                f"{p.name:<20} {item.spec_count:>6} specs  "
                f"gerrit={p.gerrit_repo or '-'}  launchpad={','.join(src.launchpad) or '-'}"
                + (f"  code={','.join(src.code_repos)}" if src.code_repos else "")
            )


@projects_group.command("edit")
@click.argument("name")
@click.option("--gerrit-repo", help="Gerrit specs repository, e.g. openstack/nova-specs ('' to remove it).")
@click.option("--launchpad", multiple=True, metavar="L",
              help="A Launchpad project (repeatable; the first is the main one). Replaces the list; '' clears it.")
@click.option("--code-repo", "code_repos", multiple=True, metavar="R",
              help="A code repository, e.g. openstack/nova (repeatable). Replaces the list; '' clears it.")
@pass_context
def edit(ctx: Context, name: str, gerrit_repo: str | None, launchpad: tuple[str, ...],
         code_repos: tuple[str, ...]) -> None:
    """Change the sources of project NAME; the options not given stay as they are."""
    if gerrit_repo is None and not launchpad and not code_repos:
        raise InvalidInput("Say what to change: --gerrit-repo R, --launchpad L (repeatable) or --code-repo R "
                           "(repeatable). `portal projects list` shows the current sources.")
    with ctx.session() as session:
        project = get_project(session, name)
        changes = projects.edit_sources(
            session, None, project,
            gerrit_repo=projects.UNSET if gerrit_repo is None else gerrit_repo,
            launchpad=list(launchpad) if launchpad else None,
            code_repos=list(code_repos) if code_repos else None,
        )
    if not changes:
        click.echo(f"Nothing changed: '{name}' already had those sources.")
    for line in changes:
        click.echo(f"{name}: {line}")


@projects_group.command("rename")
@click.argument("old")
@click.argument("new")
@pass_context
def rename(ctx: Context, old: str, new: str) -> None:
    """Rename project OLD to NEW; links to /projects/OLD/… (pages and API) keep working by redirect."""
    with ctx.session() as session:
        project = get_project(session, old)
        projects.rename_project(session, None, project, new)
    click.echo(f"Project '{old}' renamed to '{new}'. Old links redirect to the new name.")


@projects_group.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@pass_context
def remove(ctx: Context, name: str, yes: bool) -> None:
    """Delete project NAME with all its specs, revisions, comments and checklist answers (asks first)."""
    with ctx.session() as session:  # read only: no transaction stays open while the prompt waits
        contents = projects.project_contents(session, get_project(session, name))
    click.echo(f"Removing project '{name}' deletes, for good:")
    for line in contents.lines():
        click.echo(f"  {line}")
    if not yes and not click.confirm(f"Delete project '{name}' and all of this?", default=False):
        click.echo("Nothing was deleted.")
        return
    with ctx.session() as session:
        deleted = projects.remove_project(session, None, get_project(session, name))
    click.echo(f"Project '{name}' removed: {', '.join(deleted.lines())}. The removal is in the audit log.")


def register(main: click.Group) -> None:
    main.add_command(projects_group)
