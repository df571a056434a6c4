"""``portal runs``: what the imports and syncs did, how long they took, what failed."""

from __future__ import annotations

import click

from portal.cli import Context, pass_context
from portal.cli.output import shown
from portal.specs import import_runs
from portal.specs.service import get_project

STATUSES = ("running", "succeeded", "partial", "failed")


@click.group("runs")
def runs_group() -> None:
    """Import and sync runs."""


@runs_group.command("list")
@click.option("--project", metavar="P", help="Only runs of project P.")
@click.option("--status", type=click.Choice(STATUSES), help="Only runs with this outcome.")
@click.option("--limit", type=click.IntRange(1, import_runs.MAX_RUNS), default=20, show_default=True,
              help="How many of the newest runs to show.")
@click.option("--errors/--no-errors", default=True, show_default=True, help="Show each run's failed items.")
@pass_context
def list_(ctx: Context, project: str | None, status: str | None, limit: int, errors: bool) -> None:
    """List the newest import runs: source, project, outcome, counts, duration and errors."""
    with ctx.session() as session:
        scope = get_project(session, project) if project else None
        rows = import_runs.recent_runs(session, limit=limit, project=scope, status=status)
    if not rows:
        if project or status:
            of = f" of {project}" if project else ""
            click.echo(f"No import runs{of}" + (f" with outcome {status}" if status else "") + ".")
        else:
            click.echo("No import runs yet. Import specs with `portal import specs --project P DIR`.")
        return
    for run in rows:
        took = (import_runs.format_duration(run.duration) if run.finished_at
                else f"running for {import_runs.format_duration(run.running_for())}")
        click.echo(
            f"#{run.id:<5} {run.started_at:%Y-%m-%d %H:%M} UTC  {run.source:<10} {run.project or '-':<12} "
            f"{run.status:<9} {took:<14} {run.counts_text()}"
        )
        if run.failure:
            click.echo(f"       run failed: {shown(run.failure.splitlines()[0] if run.failure.strip() else '?')}")
        if errors and run.error_count:
            for line in run.errors:
                click.echo(f"       ! {shown(line)}")
            if run.error_count > len(run.errors):
                click.echo(f"       … and {run.error_count - len(run.errors)} more")


def register(main: click.Group) -> None:
    main.add_command(runs_group)
