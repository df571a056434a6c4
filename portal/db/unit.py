"""The unit of work: one commit per request, command or batch, and work that runs after it.

Services flush and never commit. The web request (``portal.http.session``),
the CLI command (``portal.cli.Context.session``) and each importer batch
(:func:`unit_of_work`, :func:`commit_batch`) commit once, here. Work that must
see committed rows, or that leaves the database (index writes, mail,
webhooks), is registered with :func:`on_commit` and runs only after the
commit succeeded; a rollback, including the rollback of a SAVEPOINT it was
registered in, discards it.

Two writes must survive the rollback of the work they describe: the import
run record and the failed-login / rate-limit counters. They go through
:func:`separate_transaction`, the one named way to write outside the
caller's unit of work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

log = logging.getLogger(__name__)

_HOOKS = "portal.on_commit"

Hook = Callable[[], Any]


def on_commit(session: Session, fn: Hook) -> None:
    """Run ``fn()`` once the current transaction of ``session`` commits; never after a rollback.

    Registered inside a SAVEPOINT (``session.begin_nested()``), it is dropped
    if that savepoint rolls back and kept if it is released.
    """
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        transaction = session.begin()
    session.info.setdefault(_HOOKS, []).append((transaction, fn))


def pending_hooks(session: Session) -> int:
    """How many hooks wait for the next commit (for tests and diagnostics)."""
    return len(session.info.get(_HOOKS, []))


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    hooks = session.info.get(_HOOKS)
    if hooks:
        session.info[_HOOKS] = [(t, fn) for t, fn in hooks if not _within(t, previous_transaction)]


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    hooks = session.info.pop(_HOOKS, [])
    for _transaction, fn in hooks:
        try:
            fn()
        except Exception:  # the commit stands; a failed hook must not undo or hide it
            log.exception("after-commit hook %r failed; the committed data is kept", fn)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits once at the end, or rolls back on any error, and is always closed."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def commit_batch(session: Session) -> None:
    """End one batch of a long job (an importer's file or page): commit it and run its hooks.

    The only commit an importer or job makes; the command around it commits
    what is left at its end.
    """
    session.commit()


@contextmanager
def separate_transaction(bind: Session | Engine) -> Iterator[Session]:
    """A short transaction of its own, committed at once, whatever becomes of the caller's.

    For the two records that must outlive a rollback: import runs and
    throttling counters. ``bind`` is the caller's session (its engine, or in
    tests its connection, is reused) or an engine.
    """
    target = bind.get_bind() if isinstance(bind, Session) else bind
    factory = sessionmaker(bind=target, expire_on_commit=False, join_transaction_mode="create_savepoint")
    with unit_of_work(factory) as session:
        yield session
