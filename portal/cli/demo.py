"""``portal demo``: load the demo projects, specs, discussions and accounts."""

from __future__ import annotations

import click

from portal.accounts import passwords
from portal.cli import Context, pass_context
from portal.demo.loader import DEMO_USERS, load_demo


@click.command("demo")
@pass_context
def demo(ctx: Context) -> None:
    """Load the demo data (idempotent: re-running changes nothing) and print the demo accounts."""
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


def register(main: click.Group) -> None:
    main.add_command(demo)
