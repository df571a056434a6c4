"""``portal search``: rebuild the index, catch it up with the events, see how far it is."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import click
from sqlalchemy import func, select

from portal.cli import Context, pass_context
from portal.db.engine import make_session_factory
from portal.models import Comment, Spec
from portal.search import SearchUnavailable, backend_for, indexer


@click.group("search")
def search_group() -> None:
    """The full-text search index."""


@search_group.command("reindex")
@pass_context
def reindex(ctx: Context) -> None:
    """Rebuild the search index from the database.

    Searches keep using the old index until the new one is complete; then it
    switches over at once. Events that arrive meanwhile are applied to the new
    index by the next `portal search update`.
    """
    ctx.require_current_schema()
    factory = make_session_factory(ctx.engine)
    backend = backend_for(ctx.settings, factory)
    with factory() as session:
        specs = session.scalar(select(func.count()).select_from(Spec)) or 0
        comments = session.scalar(select(func.count()).select_from(Comment)) or 0
    click.echo(f"Rebuilding the {backend.name} search index from {specs} specs and {comments} comments…", err=True)
    started = time.monotonic()
    count = indexer.reindex(factory, backend, progress=_progress_printer(specs + comments))
    if sys.stderr.isatty():
        click.echo("", err=True)
    click.echo(f"Indexed {count} documents in {time.monotonic() - started:.1f} s; searches use the new index now.")


@search_group.command("update")
@pass_context
def update(ctx: Context) -> None:
    """Apply the events not indexed yet; safe to run from cron (a second run at once just waits its turn)."""
    ctx.require_current_schema()
    factory = make_session_factory(ctx.engine)
    backend = backend_for(ctx.settings, factory)
    handled = indexer.catch_up(factory, backend)
    with factory() as session:
        upto = indexer.indexed_up_to(session)
    click.echo(f"Indexed {handled} new events; the index is up to date to event {upto}.")


@search_group.command("status")
@pass_context
def status(ctx: Context) -> None:
    """How many documents the index holds and how many events it has still to apply."""
    ctx.require_current_schema()
    factory = make_session_factory(ctx.engine)
    backend = backend_for(ctx.settings, factory)
    with factory() as session:
        upto = indexer.indexed_up_to(session)
        pending = indexer.pending_events(session)
    try:
        docs = backend.doc_count()
    except SearchUnavailable as exc:
        click.echo(f"Backend {backend.name}: {exc.message}")
        return
    click.echo(f"Backend {backend.name}: {docs} documents, indexed up to event {upto}, {pending} events pending.")
    if pending:
        click.echo("Run `portal search update` to apply them (from cron, e.g. every minute).")


def _progress_printer(estimate: int) -> Callable[[int], None]:
    """One status line on a terminal; a line every 5,000 documents otherwise (logs)."""
    tty = sys.stderr.isatty()
    shown_at = [0]

    def progress(count: int) -> None:
        if tty:
            click.echo(f"\r[{count} documents written; about {estimate}+ expected]", nl=False, err=True)
        elif count - shown_at[0] >= 5000:
            shown_at[0] = count
            click.echo(f"[{count} documents written]", err=True)

    return progress


def register(main: click.Group) -> None:
    main.add_command(search_group)
