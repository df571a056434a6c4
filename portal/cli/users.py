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
    """Create, list and manage user accounts: roles, PTL duties, disabling, blocking."""


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
        for user in accounts.list_users_with_duties(session):
            state = "" if user.is_active else " (disabled)"
            state += " (blocked)" if user.blocked_at is not None else ""
            duties = f" PTL of {', '.join(p.name for p in user.ptl_of)}" if user.ptl_of else ""
            click.echo(f"{user.username:<20} {user.role:<9} {user.email or '(no email)'}{state}{duties}")


@users_group.command("set-role")
@click.argument("name")
@click.argument("role", metavar="|".join(r.value for r in Role))
@pass_context
def set_role(ctx: Context, name: str, role: str) -> None:
    """Give user NAME the role ROLE (operator, reviewer or admin).

    The last active admin cannot lose the admin role; promote another user first.
    """
    with ctx.session() as session:
        user = accounts.get_user(session, name)
        old = accounts.set_role(session, None, user, role)
        if old is None:
            click.echo(f"'{user.username}' already has the role {user.role}; nothing changed.")
        else:
            click.echo(f"'{user.username}' is now {user.role} (was {old}).")


@users_group.command("ptl")
@click.argument("name")
@click.option("--add", "add", multiple=True, metavar="PROJECT", help="Make NAME a PTL of PROJECT (repeatable).")
@click.option("--remove", "remove", multiple=True, metavar="PROJECT", help="End NAME's PTL duty for PROJECT.")
@pass_context
def ptl(ctx: Context, name: str, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
    """Add or remove PTL duties of user NAME; a PTL acknowledges and moderates their project."""
    if not add and not remove:
        raise InvalidInput("Say what to change: --add PROJECT or --remove PROJECT (each repeatable).")
    with ctx.session() as session:
        user = accounts.get_user_with_duties(session, name)
        change = accounts.change_ptl_duties(
            session, None, user, add=[get_project(session, p) for p in add],
            remove=[get_project(session, p) for p in remove],
        )
        duties = ", ".join(sorted(p.name for p in user.ptl_of)) or "no project"
    if change.added:
        click.echo(f"'{user.username}' is now a PTL of {', '.join(change.added)}.")
    if change.removed:
        click.echo(f"'{user.username}' is no longer a PTL of {', '.join(change.removed)}.")
    if not change.added and not change.removed:
        click.echo(f"Nothing changed: '{user.username}' already had exactly those duties.")
    click.echo(f"PTL of: {duties}.")


@users_group.command("disable")
@click.argument("name")
@pass_context
def disable(ctx: Context, name: str) -> None:
    """Disable user NAME: they cannot log in, and their login sessions and API tokens stop working at once.

    Sessions and tokens are revoked, so enabling the account later does not
    bring back a copied cookie or a leaked token.
    """
    with ctx.session() as session:
        user = accounts.get_user(session, name)
        result = accounts.disable_user(session, None, user)
    if result is None:
        click.echo(f"'{user.username}' was already disabled; nothing changed.")
        return
    click.echo(
        f"'{user.username}' disabled: {result.sessions_ended} login session(s) ended, "
        f"{result.tokens_revoked} API token(s) revoked. Undo with `portal users enable {user.username}`."
    )


@users_group.command("enable")
@click.argument("name")
@pass_context
def enable(ctx: Context, name: str) -> None:
    """Enable user NAME again; they log in anew and create new API tokens (the old ones stay revoked)."""
    with ctx.session() as session:
        user = accounts.get_user(session, name)
        changed = accounts.enable_user(session, None, user)
    if changed:
        click.echo(f"'{user.username}' enabled: they can log in again. Their old API tokens stay revoked.")
    else:
        click.echo(f"'{user.username}' was not disabled; nothing changed.")


@users_group.command("block")
@click.argument("name")
@pass_context
def block(ctx: Context, name: str) -> None:
    """Block user NAME from posting (comments, votes, checklist answers); they can still log in and read."""
    with ctx.session() as session:
        user = accounts.get_user(session, name)
        changed = accounts.block_user(session, None, user)
    click.echo(f"'{user.username}' blocked from posting; they can still log in and read."
               if changed else f"'{user.username}' was already blocked; nothing changed.")


@users_group.command("unblock")
@click.argument("name")
@pass_context
def unblock(ctx: Context, name: str) -> None:
    """Let user NAME post again."""
    with ctx.session() as session:
        user = accounts.get_user(session, name)
        changed = accounts.unblock_user(session, None, user)
    click.echo(f"'{user.username}' can post again." if changed
               else f"'{user.username}' was not blocked; nothing changed.")


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
