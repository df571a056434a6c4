"""``portal users`` and ``portal tokens``: accounts and personal API tokens."""

from __future__ import annotations

import sys

import click

from portal.accounts import passwords
from portal.accounts import service as accounts
from portal.cli import Context, pass_context
from portal.errors import InvalidInput
from portal.models import Role
from portal.specs.service import get_project


def _read_password(from_stdin: bool, prompt: bool) -> str | None:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise InvalidInput("--password-stdin was given but standard input was empty.")
        return password
    if prompt and sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return None


@click.group("users")
def users_group() -> None:
    """Create and list user accounts."""


@users_group.command("create")
@click.argument("name")
@click.option("--email", required=True, help="The user's email address.")
@click.option(
    "--role",
    required=True,
    metavar="|".join(r.value for r in Role),
    help="What the user may do: " + ", ".join(r.value for r in Role) + ".",
)
@click.option("--ptl-of", "ptl_of", multiple=True, metavar="PROJECT", help="Make the user PTL of PROJECT (repeatable).")
@click.option("--display-name", default="", help="Name shown on the site.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@pass_context
def create(
    ctx: Context, name: str, email: str, role: str, ptl_of: tuple[str, ...], display_name: str, password_stdin: bool
) -> None:
    """Add user NAME. Without --password-stdin you are prompted (on a terminal).

    A bad role, email or name, or a name that is taken, exits with status 1
    and says what to fix; nothing is created then.
    """
    password = _read_password(password_stdin, prompt=True)
    with ctx.session() as session:
        projects = [get_project(session, p) for p in ptl_of]
        user = accounts.create_user(
            session,
            None,
            name,
            email=email,
            role=role,
            password=password,
            display_name=display_name,
            ptl_of=projects,
            hasher=passwords.hasher(ctx.settings.testing),
        )
        click.echo(f"User '{user.username}' created with role {user.role}"
                   + (f", PTL of {', '.join(ptl_of)}" if ptl_of else "") + ".")
        if password is None:
            click.echo(
                "No password set: the user cannot log in until you run "
                f"`portal users set-password {user.username}`."
            )


@users_group.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@pass_context
def set_password(ctx: Context, name: str, password_stdin: bool) -> None:
    """Set NAME's password; logs the user out everywhere."""
    password = _read_password(password_stdin, prompt=True)
    if password is None:
        raise InvalidInput("No password given: use --password-stdin or run this on a terminal.")
    with ctx.session() as session:
        user = accounts.get_user(session, name)
        accounts.set_password(session, None, user, password, hasher=passwords.hasher(ctx.settings.testing))
    click.echo(f"Password of '{name}' changed; all of their login sessions were ended.")


@users_group.command("list")
@pass_context
def list_(ctx: Context) -> None:
    """List users and their roles."""
    with ctx.session() as session:
        for user in accounts.list_users(session):
            state = "" if user.is_active else " (disabled)"
            click.echo(f"{user.username:<20} {user.role:<9} {user.email}{state}")


@click.group("tokens")
def tokens_group() -> None:
    """Personal API tokens."""


@tokens_group.command("create")
@click.argument("user")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@pass_context
def create_token(ctx: Context, user: str, name: str) -> None:
    """Print a new API token for USER, once (only its hash is stored)."""
    with ctx.session() as session:
        owner = accounts.get_user(session, user)
        _, secret = accounts.create_api_token(session, owner, name)
    click.echo(secret)
    click.echo(f"Token '{name}' for {user} created. Store it now: it cannot be shown again.", err=True)


def register(main: click.Group) -> None:
    main.add_command(users_group)
    main.add_command(tokens_group)
