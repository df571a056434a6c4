"""The search interface every backend implements, and the values that cross it.

* :class:`SearchDoc` is what is indexed (built from rows by
  :mod:`portal.search.documents`, written only by :mod:`portal.search.indexer`);
* :class:`~portal.search.query.SearchQuery` is what is asked (one serialized
  form for result URLs, the API and saved searches);
* :class:`Hit` and :class:`Results` are what comes back, ready to show:
  snippets are HTML in which everything is escaped but the ``<mark>`` around
  matching words.

:func:`backend_for` picks the backend from the pinned setting
``PORTAL_SEARCH_BACKEND`` (``whoosh``, the default, an index in the instance
folder; ``postgres``, full-text search in the PostgreSQL database).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from portal.errors import PortalError
from portal.search.query import Kind, ParsedQuery, SearchQuery

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from portal.settings import Settings

BACKENDS = ("whoosh", "postgres")

Progress = Callable[[int], None]  # called with how many documents were written so far


class SearchUnavailable(PortalError):
    """The index cannot be read (missing, being built for the first time, or damaged); search fails soft."""

    code = "search_unavailable"
    status = 503


@dataclass(frozen=True)
class SearchDoc:
    """One indexed thing: a spec, one section of its document, or one comment.

    ``doc_id`` is stable and says what it is: ``spec:12``,
    ``section:12:upgrade-impact``, ``comment:345``; re-indexing the same row
    replaces its document. ``spec_id`` and ``project`` let a spec or a
    project leave the index in one delete. ``heading`` is the section's
    heading path joined with `` > `` ("Proposed change > Upgrade impact");
    ``anchor`` the fragment of its place on the spec page. ``file``, ``line``
    and ``patch_set`` are set for Gerrit inline comments. ``url`` is the path
    of the exact place (``/projects/nova/specs/x#upgrade-impact``).
    """

    doc_id: str
    kind: Kind
    source: str  # spec: the spec's source ("file", "gerrit", "launchpad"); comment: portal|gerrit|launchpad|link
    project: str
    spec_id: int
    spec: str  # the spec's name
    title: str  # the spec's title (for sections and comments: the spec they belong to)
    body: str
    url: str
    heading: str = ""
    anchor: str = ""
    author: str = ""
    created_at: datetime | None = None
    release: str = ""
    state: str = ""
    file: str = ""
    line: int | None = None
    patch_set: int | None = None


@dataclass(frozen=True)
class Hit:
    """One result, ready to show: ``snippet`` is safe HTML (escaped text with ``<mark>`` around matches)."""

    doc_id: str
    kind: Kind
    source: str
    project: str
    spec: str
    title: str
    snippet: str
    url: str
    score: float
    created_at: datetime | None = None
    heading: str = ""
    author: str = ""
    release: str = ""
    state: str = ""
    file: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Results:
    """A page of hits, the total, counts per facet value, and a spelling suggestion.

    ``facets`` maps each facet name (project, release, state, source, kind,
    author) to ``[(value, count), …]`` over all matches of the query, most
    frequent first. ``did_you_mean`` is the whole corrected words string, or
    ``None``. ``notes`` are the parser's remarks ("the query was cut").
    """

    hits: Sequence[Hit]
    total: int
    page: int
    per_page: int
    facets: Mapping[str, Sequence[tuple[str, int]]] = field(default_factory=dict)
    did_you_mean: str | None = None
    notes: Sequence[str] = ()

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


@runtime_checkable
class SearchBackend(Protocol):
    """What the portal asks of a search engine. Writes come only from the search event consumer."""

    name: str

    def search(self, query: SearchQuery | ParsedQuery) -> Results:
        """Answer one query; never raises on what a user typed (only :class:`SearchUnavailable`)."""
        ...

    def related(self, spec_doc_id: str, limit: int = 5) -> list[Hit]:
        """Specs like this one (more-like-this over the spec documents), from any project; not itself."""
        ...

    def upsert(self, docs: Iterable[SearchDoc]) -> int:
        """Add or replace documents by ``doc_id``; idempotent. Returns how many were written."""
        ...

    def delete(self, doc_ids: Iterable[str]) -> int:
        """Remove documents by id (missing ids are fine)."""
        ...

    def delete_where(self, *, project: str | None = None, spec_id: int | None = None) -> int:
        """Remove every document of a project or of a spec (its sections and comments too)."""
        ...

    def apply(self, *, delete_specs: Iterable[int] = (), delete_projects: Iterable[str] = (),
              delete_ids: Iterable[str] = (), upsert: Iterable[SearchDoc] = ()) -> int:
        """One batch of the consumer in one write: deletions first (whole projects, whole specs, single
        documents), then upserts. Idempotent; returns how many documents were touched."""
        ...

    def rebuild(self, docs: Iterable[SearchDoc], progress: Progress | None = None,
                before_swap: Callable[[], None] | None = None) -> int:
        """Replace the whole index with ``docs``; until it is complete, searches see the old index.

        ``before_swap`` is called once the new index is complete, under the
        backend's write lock, just before searches switch to it; if it
        raises, the new index is discarded and the old one stays.
        """
        ...

    def write_lock(self) -> AbstractContextManager[None]:
        """Held by the consumer around each batch, before it claims its cursor, so that every writer takes
        this lock before the database's; re-entrant in one thread (a backend without one returns a no-op)."""
        ...

    def doc_count(self) -> int:
        """How many documents the index holds (for `portal search status` and tests)."""
        ...


def backend_for(settings: Settings, session_factory: sessionmaker[Session] | None = None) -> SearchBackend:
    """The backend the settings choose; ``postgres`` needs a PostgreSQL database (and its session factory)."""
    if settings.search_backend == "postgres":
        if not settings.database_url.startswith("postgresql"):
            raise PortalError(
                "PORTAL_SEARCH_BACKEND=postgres needs a PostgreSQL database "
                "(PORTAL_DATABASE_URL=postgresql+psycopg://…); use PORTAL_SEARCH_BACKEND=whoosh with SQLite."
            )
        if session_factory is None:
            raise ValueError("the postgres search backend needs the session factory")
        from portal.search.postgres_backend import PostgresBackend  # type: ignore[import-not-found,unused-ignore]

        backend: SearchBackend = PostgresBackend(session_factory)
        return backend
    from portal.search.whoosh_backend import WhooshBackend

    return WhooshBackend.in_instance(settings.instance_path)
