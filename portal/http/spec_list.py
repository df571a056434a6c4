"""The spec list the project page and ``GET /projects/<p>/specs`` share: query string in, rows out.

Two jobs of the delivery side, kept out of the domain:

* :func:`parse_spec_filter` turns request arguments into the domain's typed
  :class:`~portal.specs.listing.SpecFilter` (or a :class:`FilterError` that
  names the allowed values and carries the usable rest of the filter), and
  :class:`ListQuery` turns it back into query arguments for links;
* :func:`spec_rows` reads one page: the page's ids first
  (:func:`portal.specs.listing.select_page`), then one loader per column,
  each ``(session, ids) -> {id: value}``, assembled into :class:`SpecRow`.

To add a column (vote tallies, follow state…): write its loader beside the
feature's own code, add a field to :class:`SpecRow` and one line to
:func:`spec_rows`, and show it in the template or serializer.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from portal.checklist import template as checklist_template
from portal.checklist import views as checklist_views
from portal.checklist.views import ChecklistBrief
from portal.errors import InvalidInput
from portal.models import SpecState
from portal.specs import listing
from portal.specs.listing import (
    MAX_PAGE,
    MAX_PAGE_SIZE,
    MAX_QUERY_CHARS,
    MAX_RELEASE_CHARS,
    IdPage,
    SpecBrief,
    SpecFilter,
    SpecSort,
    SpecSource,
    SpecSources,
)

_DIGITS = re.compile(r"[0-9]+")  # ASCII only: int() would also take "١٢", "1_000" and "+5"
_ECHO = 60  # how much of a bad value an error message repeats


def gap_keys() -> tuple[str, ...]:
    """The checklist item keys the ``gap`` filter accepts: the newest template's."""
    return tuple(item.key for item in checklist_template.latest().items)


@dataclass(frozen=True)
class ListQuery:
    """A parsed list request: the domain filter, plus what its links need to reproduce it."""

    filter: SpecFilter
    default_per_page: int

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query arguments that reproduce this list, with ``changes`` applied (``None`` drops one).

        Defaults are left out so links stay short; the sort order and the page
        size are kept whenever they differ from the defaults, so the next page
        continues the same list.
        """
        flt = self.filter
        order = "desc" if flt.descending else "asc"
        values: dict[str, Any] = {
            "state": flt.state.value if flt.state else None,
            "release": flt.release,
            "source": flt.source.value if flt.source else None,
            "q": flt.q,
            "gap": flt.gap,
            "sort": flt.sort.value if flt.sort is not SpecSort.ACTIVITY else None,
            "order": order if order != _default_order(flt.sort) else None,
            "per_page": flt.per_page if flt.per_page != self.default_per_page else None,
            "page": flt.page if flt.page != 1 else None,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}

    def href(self, path: str, **changes: Any) -> str:
        """``path`` with this list's query string: cheaper than ``url_for`` for the dozens of links a list has."""
        query = urlencode(self.args(**changes))
        return f"{path}?{query}" if query else path


class FilterError(InvalidInput):
    """Bad list arguments; ``usable`` is the query with the bad parts dropped (pages list it with a warning)."""

    def __init__(self, message: str, fields: dict[str, str], usable: ListQuery) -> None:
        super().__init__(message, fields)
        self.usable = usable


def _default_order(sort: SpecSort) -> str:
    return "asc" if sort.ascending_by_default else "desc"


def parse_spec_filter(
    args: Mapping[str, str], *, default_per_page: int, gap_keys: Collection[str]
) -> ListQuery:
    """Parse request arguments; raise :class:`FilterError` naming each bad value and what is allowed.

    Nothing is cut or clamped silently: a value out of bounds is an error
    (the API answers 400, the project page lists without it and says so).
    """
    errors: dict[str, str] = {}

    def text(name: str) -> str:
        return (args.get(name) or "").strip()

    def pick(name: str, allowed: Collection[str]) -> str | None:
        value = text(name)
        if not value:
            return None
        if value not in allowed:
            shown = value if len(value) <= _ECHO else value[:_ECHO] + "…"
            errors[name] = f"Unknown {name} '{shown}'. Allowed: {', '.join(allowed)}."
            return None
        return value

    def whole(name: str, maximum: int, too_big: str, *, instead: int | None) -> int | None:
        """A whole number from 1 to ``maximum``; above it, an error and ``instead``."""
        value = text(name)
        if not value:
            return None
        if not _DIGITS.fullmatch(value):
            errors[name] = f"{name} must be a whole number >= 1."
            return None
        number = int(value) if len(value) <= 20 else maximum + 1  # no int() of a 5,000-digit string
        if number < 1:
            errors[name] = f"{name} must be a whole number >= 1."
            return None
        if number > maximum:
            errors[name] = too_big
            return instead
        return number

    state = pick("state", [s.value for s in SpecState])
    source = pick("source", [s.value for s in SpecSource])
    gap = pick("gap", gap_keys)
    sort = SpecSort(pick("sort", [s.value for s in SpecSort]) or SpecSort.ACTIVITY)
    order = pick("order", ("asc", "desc"))
    release = text("release") or None
    if release is not None and len(release) > MAX_RELEASE_CHARS:
        errors["release"] = f"release can be at most {MAX_RELEASE_CHARS} characters (e.g. 2025.1, or none)."
        release = None
    q = text("q") or None
    if q is not None and len(q) > MAX_QUERY_CHARS:
        errors["q"] = f"The search text (q) is {len(q)} characters long; it can be at most {MAX_QUERY_CHARS}."
        q = None
    # A page number past the bound is a mistake (or a probe), not a real page: the usable list starts over.
    page = whole("page", MAX_PAGE, f"page can be at most {MAX_PAGE}.", instead=None) or 1
    # Too many rows per page: as many as allowed.
    per_page = whole("per_page", MAX_PAGE_SIZE, f"per_page can be at most {MAX_PAGE_SIZE}.", instead=MAX_PAGE_SIZE)
    per_page = per_page or min(default_per_page, MAX_PAGE_SIZE)
    descending = (order or _default_order(sort)) == "desc"
    parsed = ListQuery(
        filter=SpecFilter(
            state=SpecState(state) if state else None, release=release,
            source=SpecSource(source) if source else None, q=q, gap=gap, sort=sort, descending=descending,
            page=page, per_page=per_page,
        ),
        default_per_page=default_per_page,
    )
    if errors:
        raise FilterError(" ".join(errors.values()), errors, parsed)
    return parsed


# --- rows -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpecRow:
    """One row of a spec list: the spec's own fields plus one value per column's loader."""

    spec: SpecBrief
    sources: SpecSources
    comment_count: int
    checklist: ChecklistBrief | None  # None before the spec was first checked


@dataclass(frozen=True)
class SpecRows(IdPage):
    items: list[SpecRow] = field(default_factory=list)


def spec_rows(session: Session, project_id: int, flt: SpecFilter) -> SpecRows:
    """One page of rows: the ids, then one query per loader, whatever the page size."""
    page = listing.select_page(session, project_id, flt)
    ids = page.ids
    if not ids:
        return SpecRows(ids=[], total=page.total, page=page.page, per_page=page.per_page)
    briefs = listing.load_briefs(session, ids)
    sources = listing.load_sources(session, ids)
    comments = listing.load_comment_counts(session, ids)
    checklists = checklist_views.load_briefs(session, ids)
    items = [
        SpecRow(
            spec=briefs[spec_id],
            sources=sources.get(spec_id, listing.NO_SOURCES),
            comment_count=comments.get(spec_id, 0),
            checklist=checklists.get(spec_id),
        )
        for spec_id in ids
        if spec_id in briefs  # deleted between the two reads
    ]
    return SpecRows(ids=ids, total=page.total, page=page.page, per_page=page.per_page, items=items)

