"""Full-text search over specs, their sections and every comment (one interface, two backends).

Read :mod:`portal.search.backend` for the interface, :mod:`portal.search.query`
for what users may type, :mod:`portal.search.documents` for what is indexed and
:mod:`portal.search.indexer` for the one write path (the ``search`` event
consumer). Layer L3: it sees the models and the domain, never Flask.
"""

from portal.search.backend import (
    BACKENDS,
    Hit,
    Progress,
    Results,
    SearchBackend,
    SearchDoc,
    SearchUnavailable,
    backend_for,
)
from portal.search.query import FACETS, Kind, ParsedQuery, QueryError, SearchQuery, parse_words

__all__ = [
    "BACKENDS",
    "FACETS",
    "Hit",
    "Kind",
    "ParsedQuery",
    "Progress",
    "QueryError",
    "Results",
    "SearchBackend",
    "SearchDoc",
    "SearchQuery",
    "SearchUnavailable",
    "backend_for",
    "parse_words",
]
