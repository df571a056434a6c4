"""Count the SQL statements a block runs (Indico's ``count_queries``), to pin N+1 away."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event


class QueryCounter:
    def __init__(self, connection: Connection) -> None:
        self.engine = connection.engine
        self.statements: list[str] = []

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)

    def __enter__(self) -> QueryCounter:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)
