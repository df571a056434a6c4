"""Saved searches: a user's named search, stored as the one serialized query.

``query`` holds exactly :meth:`portal.search.SearchQuery.to_params` (the
words as ``q`` and every filter), so a saved search, a result URL and an API
call are the same thing. The alerts issue follows saved searches by ``id``.

The full-text tables of the PostgreSQL search backend (``search_documents``,
``search_terms``) are not mapped here: they exist only on PostgreSQL (see the
``search`` migration and :mod:`portal.search.postgres_backend`), and they are
a derived index that only the search event consumer writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import now
from portal.db.base import Base

MAX_SAVED_SEARCH_NAME = 100

# Tables that only PostgreSQL has (created by the search migration there, never on SQLite);
# Alembic's comparison of models and database skips them (migrations/env.py).
POSTGRES_ONLY_TABLES: frozenset[str] = frozenset({"search_documents", "search_terms"})


class SavedSearch(Base):
    __tablename__ = "saved_searches"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(MAX_SAVED_SEARCH_NAME))
    query: Mapped[dict[str, Any]] = mapped_column(default=dict)  # SearchQuery.to_params(): {"q": …, "project": …}
    created_at: Mapped[datetime] = mapped_column(default=now)
