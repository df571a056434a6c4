"""``portal projects``: register the upstream projects and their sources."""

from __future__ import annotations

import click

from portal.cli import Context, pass_context
from portal.specs import queries
from portal.specs.service import add_project


@click.group("projects")
def projects_group() -> None:
    """Register and list projects."""


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
        summaries = queries.project_summaries(session)
        if not summaries:
            click.echo("No projects yet. Add one with: portal projects add NAME")
        for item in summaries:
            p = item.project
            click.echo(
                f"{p.name:<20} {item.spec_count:>6} specs  "
                f"gerrit={p.gerrit_repo or '-'}  launchpad={p.launchpad or '-'}"
            )


def register(main: click.Group) -> None:
    main.add_command(projects_group)
