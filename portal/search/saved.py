"""Saved searches: a user names a search and finds it again (and, with the alerts issue, follows it).

A saved search stores exactly :meth:`SearchQuery.to_params` without the page,
so the results URL, the API call and the saved search are the same query.
Services take ``(session, actor, …)``, flush and never commit; each write
records its event (``saved_search.created`` / ``saved_search.deleted``).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import events, permissions
from portal.errors import Conflict, InvalidInput, NotFound
from portal.models import EventKind, SavedSearch, User
from portal.models.search import MAX_SAVED_SEARCH_NAME
from portal.search.query import SearchQuery

MAX_SAVED_SEARCHES = 200  # per user: enough for anyone; keeps the account page and the alerts matcher small


def list_saved(session: Session, user: User) -> list[SavedSearch]:
    """The user's saved searches, by name (one query)."""
    stmt = select(SavedSearch).where(SavedSearch.user_id == user.id).order_by(SavedSearch.name, SavedSearch.id)
    return list(session.scalars(stmt))


def get_saved(session: Session, user: User, saved_id: int) -> SavedSearch:
    """One of the user's saved searches; someone else's is as missing as one that never existed."""
    saved = session.get(SavedSearch, saved_id)
    if saved is None or saved.user_id != user.id:
        raise NotFound(f"You have no saved search {saved_id}. Your saved searches are listed on your account page.")
    return saved


def query_of(saved: SavedSearch) -> SearchQuery:
    """The stored query, read back as a :class:`SearchQuery` (lenient: a stored value never breaks a page)."""
    return SearchQuery.from_params(saved.query)


def save(session: Session, actor: User | None, name: str, query: SearchQuery) -> SavedSearch:
    """Save ``query`` (without its page) under ``name``; the same name twice is a :class:`Conflict`."""
    permissions.require(permissions.can_save_search(actor))
    assert actor is not None
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("Give the search a name, e.g. “rabbitmq reconnects in nova”.", {"name": "required"})
    if len(name) > MAX_SAVED_SEARCH_NAME:
        raise InvalidInput(f"The name is {len(name)} characters long; it can be at most {MAX_SAVED_SEARCH_NAME}.",
                           {"name": f"at most {MAX_SAVED_SEARCH_NAME} characters"})
    if query.is_empty:
        raise InvalidInput("There is nothing to save: type some words or choose a filter first.",
                           {"q": "a search needs words or a filter"})
    params = replace(query, page=1).to_params()
    existing = list_saved(session, actor)
    if any(s.name == name for s in existing):
        raise Conflict(f"You already have a saved search named “{name}”. Choose another name, "
                       "or delete the old one on your account page.")
    if len(existing) >= MAX_SAVED_SEARCHES:
        raise InvalidInput(f"You have {len(existing)} saved searches, the most one account may keep. "
                           "Delete some on your account page first.")
    saved = SavedSearch(user_id=actor.id, name=name, query=params)
    session.add(saved)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same name saved at the same moment by another request
        raise Conflict(f"You already have a saved search named “{name}”. Choose another name.") from None
    events.record(session, EventKind.SAVED_SEARCH_CREATED, actor_id=actor.id,
                  saved_search_id=saved.id, name=saved.name, query=params)
    return saved


def delete(session: Session, actor: User | None, saved_id: int) -> SavedSearch:
    """Delete one of the actor's saved searches."""
    permissions.require(permissions.signed_in(actor))
    assert actor is not None
    saved = get_saved(session, actor, saved_id)
    permissions.require(permissions.can_delete_saved_search(actor, saved))
    session.delete(saved)
    session.flush()
    events.record(session, EventKind.SAVED_SEARCH_DELETED, actor_id=actor.id, saved_search_id=saved_id,
                  name=saved.name)
    return saved
