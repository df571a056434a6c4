"""``portal demo``: load the demo projects, specs, discussions and accounts."""

from __future__ import annotations

import click

from portal.accounts import passwords
from portal.accounts.service import count_active_admins
from portal.cli import Context, pass_context
from portal.demo.loader import DEMO_USERS, load_demo
from portal.demo.remove import plan_demo_removal, remove_demo


@click.group("demo", invoke_without_command=True)
@click.pass_context
def demo(click_ctx: click.Context) -> None:
    """Load the demo data (idempotent: re-running changes nothing) and print the demo accounts.

    `portal demo remove` takes the demo content out again.
    """
    if click_ctx.invoked_subcommand is None:
        _load(click_ctx.ensure_object(Context))


def _load(ctx: Context) -> None:
    with ctx.session() as session:
        report = load_demo(session, passwords.hasher(ctx.settings.testing))
    for name, specs in report.specs.items():
        click.echo(f"  {name:<10} specs: {specs.summary()}")
        for path, reason in specs.failures:
            click.echo(f"    FAILED {path}: {reason}")
    click.echo(
        f"  blueprints: {report.blueprints['created']} created, {report.blueprints['updated']} updated; "
        f"reviews: {report.reviews['created']} created, {report.reviews['updated']} updated; "
        f"comments: {report.comments_created} added, {report.comments_existing} already there"
    )
    click.echo("Demo data loaded." if report.changed_anything else "Demo data already loaded; nothing changed.")
    click.echo("\nDemo accounts (user / password / role):")
    for user in DEMO_USERS:
        extra = f", PTL of {', '.join(user.ptl_of)}" if user.ptl_of else ""
        click.echo(f"  {user.username:<8} {user.password:<15} {user.role}{extra}")
    click.echo("These passwords are public: never load the demo into a portal others can reach.")


@demo.command("remove")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for scripts).")
@pass_context
def remove(ctx: Context, yes: bool) -> None:
    """Remove the demo content: its accounts, projects, specs, comments and what demo accounts did.

    Real data stays: a demo project or spec that received real imports or
    real users' comments is kept with them (only its demo parts go), and a
    demo account whose password was changed is kept. Both are listed.
    """
    with ctx.session() as session:  # read only: no transaction stays open while the prompt waits
        plan = plan_demo_removal(session)
    if plan.empty:
        click.echo("No demo content found; nothing to remove.")
        return
    click.echo("Removing the demo deletes:")
    for line in plan.lines():
        click.echo(f"  {line}")
    if not yes and not click.confirm("Delete the demo content?", default=False):
        click.echo("Nothing was deleted.")
        return
    with ctx.session() as session:
        done = remove_demo(session, None)
        admins = count_active_admins(session)
    removed = [line for line in done.lines() if not line.startswith("kept:")]
    click.echo("Demo content removed: " + "; ".join(removed) + ".")
    for line in done.lines()[len(removed):]:
        click.echo(f"  {line}")
    if not admins:
        click.echo("No active admin account is left: create yours with `portal users create NAME --role admin`.")


def register(main: click.Group) -> None:
    main.add_command(demo)
