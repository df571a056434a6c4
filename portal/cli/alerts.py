"""``portal alerts send`` / ``portal alerts digest``: bring the alerts consumer up to date, deliver, send digests."""

from __future__ import annotations

import click

from portal import mailer
from portal.alerts import jobs
from portal.cli import Context, pass_context
from portal.db.engine import make_session_factory


@click.group("alerts")
def alerts_group() -> None:
    """Subscriptions' notifications: match new events, send mail and webhooks, send daily digests."""


def _mail_note(ctx: Context) -> None:
    reason = mailer.not_configured(ctx.settings)
    if reason:
        click.secho(
            f"Mail is not configured: {reason}. Set PORTAL_SMTP_HOST, PORTAL_SMTP_PORT, PORTAL_SMTP_TLS and "
            "PORTAL_MAIL_FROM (docs/install.md, \"Settings\"); until then mails stay queued and nothing is lost.",
            fg="yellow", err=True,
        )


@alerts_group.command("send")
@pass_context
def send(ctx: Context) -> None:
    """Match the events not seen yet, then deliver every pending alert (safe from cron, and twice at once)."""
    ctx.require_current_schema()
    ctx.settings.require_base_url("alert mails")
    _mail_note(ctx)
    counts = jobs.send_pending(make_session_factory(ctx.engine), ctx.settings)
    click.echo(f"Matched {counts['matched']} notifications from {counts['events']} events; sent {counts['sent']}, "
               f"retrying {counts['retried']}, failed {counts['failed']}, skipped {counts['skipped']}.")


@alerts_group.command("digest")
@pass_context
def digest(ctx: Context) -> None:
    """Send the daily digests that are due (each user's hour, in their time zone); a second run sends nothing."""
    ctx.require_current_schema()
    ctx.settings.require_base_url("alert mails")
    _mail_note(ctx)
    counts = jobs.send_digests(make_session_factory(ctx.engine), ctx.settings)
    click.echo(f"Sent {counts['sent']} digests; retrying {counts['retried']}, failed {counts['failed']}.")


def register(main: click.Group) -> None:
    """Adds the ``alerts`` group."""
    main.add_command(alerts_group)
