"""Shared by the vote pages and the vote API: the write transaction on SQLite, the spec or a helpful 404."""

from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from portal.db.engine import SQLITE_IMMEDIATE
from portal.errors import NotFound
from portal.http.urls import external_url
from portal.models import Project, Spec
from portal.specs import detail


def start_write(db: Session) -> None:
    """Let a vote be written on SQLite without "database is locked" while other workers write.

    Call it first in the view. On SQLite a transaction that has read (the
    login lookup) and then writes fails at once when another worker
    committed in between: its WAL snapshot is stale, and the busy timeout
    does not apply. So the reads so far are committed, and the request goes
    on in a transaction begun with ``BEGIN IMMEDIATE``, which waits for the
    write lock instead; pending changes of loaded rows (the API token's
    "last used" time) are kept out of the stale transaction and replayed in
    the new one. PostgreSQL needs nothing of the kind.
    """
    if db.get_bind().dialect.name != "sqlite":
        return
    pending: list[tuple[object, dict[str, object]]] = []
    for obj in list(db.dirty):
        state = inspect(obj)
        changes = {
            attr.key: attr.history.added[0]
            for attr in state.attrs
            if attr.key in state.mapper.column_attrs and attr.history.added
        }
        if changes:
            db.expire(obj, list(changes))
            pending.append((obj, changes))
    db.commit()
    db.connection(execution_options={SQLITE_IMMEDIATE: True})
    for obj, changes in pending:
        for key, value in changes.items():
            setattr(obj, key, value)


def spec_or_404(db: Session, project_name: str, spec_name: str) -> Spec:
    """The spec, or a 404 that names the project's specs page (where to look for the right name)."""
    try:
        return detail.get_spec(db, project_name, spec_name)
    except NotFound:
        if db.scalar(select(Project.id).where(Project.name == project_name)) is None:
            raise
        raise NotFound(
            f"No spec '{spec_name[:200]}' in project '{project_name}', so there is nothing to vote on. "
            f"Find its name on the project's specs page, {external_url('pages.project', project_name=project_name)}, "
            f"or in {external_url('api.list_specs', project_name=project_name)}."
        ) from None
