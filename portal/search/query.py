"""The one serialized search query, and the parsing of what users type into the box.

:class:`SearchQuery` is what result URLs, the API and saved searches store
alike: the words as typed plus every filter (``to_params`` / ``from_params``
round-trip it through a query string). :meth:`SearchQuery.parsed` turns the
words into a :class:`ParsedQuery` that every backend reads the same way:

* ``"rolling upgrade"`` is a phrase;
* ``author:…``, ``project:nova``, ``release:``, ``state:``, ``source:``,
  ``kind:`` (value quoted when it has spaces: ``author:"Sean Dague"``) are
  filters, used when the same filter was not given as a parameter;
* everything else is plain words. Wildcard (``*a*``, ``k?``), fuzzy
  (``nova~2``), range (``[a TO z]``, ``{1 TO 5}``), boosts (``^2``), groups
  and boolean operators are *not* syntax: their punctuation is dropped and
  the rest searched as words, because over a large index a wildcard costs
  minutes (../shared/SECURITY-AND-SCALE.md §1.2).

Parsing never fails: an unbalanced quote is read as plain words, and input
over :data:`MAX_QUERY_CHARS` or :data:`MAX_TERMS` words is cut with a note
that the results page shows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from enum import StrEnum

MAX_QUERY_CHARS = 500  # what the box accepts before cutting (a note says so)
MAX_TERMS = 12  # words + phrase words searched; more never makes a better query, only a slower one
MAX_PHRASES = 4
MAX_FILTER_CHARS = 200  # one filter value (an author name, a release)
MAX_PAGE = 1000  # result pages past this are refused: nobody reads page 1001, scripts page by date
PER_PAGE = 20


class Kind(StrEnum):
    """What a search document is."""

    SPEC = "spec"
    SECTION = "section"
    COMMENT = "comment"


# Filters that are exact values (facets); the date range is separate.
FACETS: tuple[str, ...] = ("project", "release", "state", "source", "kind", "author")
# Field queries users may type into the words: ``project:nova``.
FIELD_NAMES: frozenset[str] = frozenset(FACETS)
# Query-string names of the fields of SearchQuery (the API's names).
PARAM_NAMES: dict[str, str] = {
    "words": "q",
    "project": "project",
    "release": "release",
    "state": "state",
    "source": "source",
    "kind": "kind",
    "author": "author",
    "date_from": "from",
    "date_to": "to",
    "page": "page",
}

_FIELD = re.compile(r'(?<![\w:])([A-Za-z_]+):(?:"([^"]*)"|(\S+))')
_PHRASE = re.compile(r'"([^"]*)"')
# A word: letters, digits, and the joiners that keep "nova-compute", "v2.1", "o'brien" and "e_mail" together.
_WORD = re.compile(r"[^\W_]+(?:[-.'_][^\W_]+)*")
_DIGITS = re.compile(r"[0-9]{1,7}")


class QueryError(ValueError):
    """Parameters that cannot be used as given; ``problems`` maps a parameter to what is wrong.

    ``usable`` is the query without the bad parameters, so a page can still
    answer it under a warning, while the API answers 400.
    """

    def __init__(self, problems: Mapping[str, str], usable: SearchQuery) -> None:
        super().__init__("; ".join(f"{name}: {what}" for name, what in problems.items()))
        self.problems = dict(problems)
        self.usable = usable


@dataclass(frozen=True)
class ParsedQuery:
    """What a backend searches: the words, the phrases and the filters, already made safe.

    ``terms`` and ``phrases`` are plain text (never syntax); each backend
    analyses them with its own analyzer. Filters hold exact values; ``author``
    matches the author's name case-insensitively. ``notes`` are shown above
    the results ("the query was cut at 500 characters").
    """

    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    project: str | None = None
    release: str | None = None
    state: str | None = None
    source: str | None = None
    kind: str | None = None
    author: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    per_page: int = PER_PAGE
    notes: tuple[str, ...] = ()

    @property
    def has_words(self) -> bool:
        return bool(self.terms or self.phrases)

    def filters(self) -> dict[str, str]:
        """The facet filters that are set, by name."""
        return {name: value for name in FACETS if (value := getattr(self, name)) is not None}

    def text(self) -> str:
        """The words and phrases as one plain string (for "did you mean" and FTS engines)."""
        return " ".join([*self.terms, *(f'"{p}"' for p in self.phrases)])


@dataclass(frozen=True)
class SearchQuery:
    """One search: the words as typed and every filter. Equal queries give equal URLs and saved searches."""

    words: str = ""
    project: str | None = None
    release: str | None = None
    state: str | None = None
    source: str | None = None
    kind: str | None = None
    author: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1

    def to_params(self) -> dict[str, str]:
        """Query-string arguments that reproduce this query; empty values and page 1 are left out."""
        params: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value == "" or (f.name == "page" and value == 1):
                continue
            params[PARAM_NAMES[f.name]] = value.isoformat() if isinstance(value, date) else str(value)
        return params

    @classmethod
    def from_params(cls, params: Mapping[str, str], *, strict: bool = False) -> SearchQuery:
        """Read the query string (``q``, ``project``, …, ``from``, ``to``, ``page``).

        A bad date or page raises :class:`QueryError` when ``strict`` (the
        API answers 400 with it); otherwise the bad parameter is dropped (a
        results page never fails). Unknown parameters are ignored. Values
        are stripped of surrounding spaces and control characters.
        """
        problems: dict[str, str] = {}
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = params.get(PARAM_NAMES[f.name])
            if raw is None:
                continue
            text = _clean(str(raw))
            if not text:
                continue
            if f.name == "words":
                values["words"] = text[: MAX_QUERY_CHARS * 4]  # parsed() cuts it with a note; this only caps memory
            elif f.name in ("date_from", "date_to"):
                try:
                    values[f.name] = date.fromisoformat(text)
                    if len(text) != 10:
                        raise ValueError(text)
                except ValueError:
                    problems[PARAM_NAMES[f.name]] = f"expected a date as YYYY-MM-DD, got {text[:40]!r}"
                    values.pop(f.name, None)
            elif f.name == "page":
                if _DIGITS.fullmatch(text) and 1 <= int(text) <= MAX_PAGE:
                    values["page"] = int(text)
                else:
                    problems["page"] = f"expected a page number from 1 to {MAX_PAGE}, got {text[:40]!r}"
            else:
                if len(text) > MAX_FILTER_CHARS:
                    problems[PARAM_NAMES[f.name]] = f"at most {MAX_FILTER_CHARS} characters"
                else:
                    values[f.name] = text
        if "kind" in values and values["kind"] not in {k.value for k in Kind}:
            problems["kind"] = f"expected one of {', '.join(k.value for k in Kind)}, got {str(values['kind'])[:40]!r}"
            del values["kind"]
        query = cls(**values)  # type: ignore[arg-type]
        if problems and strict:
            raise QueryError(problems, query)
        return query

    def with_page(self, page: int) -> SearchQuery:
        return replace(self, page=page)

    def refined(self, **changes: object) -> SearchQuery:
        """The same query with filters changed (a facet link), back on page 1; ``None`` removes a filter."""
        return replace(self, page=1, **changes)  # type: ignore[arg-type]

    @property
    def is_empty(self) -> bool:
        """Nothing to search for: no words and no filter."""
        return not self.words.strip() and all(getattr(self, name) is None for name in (*FACETS, "date_from", "date_to"))

    def parsed(self, *, per_page: int = PER_PAGE) -> ParsedQuery:
        """The words read as terms, phrases and field filters; explicit parameters win over typed ones."""
        words = parse_words(self.words)
        merged = {name: getattr(self, name) or words.filters.get(name) for name in FACETS}
        notes = list(words.notes)
        if merged["kind"] is not None and merged["kind"] not in {k.value for k in Kind}:
            notes.append(f"kind:{merged['kind']} is not a kind (spec, section, comment); it was ignored.")
            merged["kind"] = None
        return ParsedQuery(
            terms=words.terms,
            phrases=words.phrases,
            date_from=self.date_from,
            date_to=self.date_to,
            page=self.page,
            per_page=per_page,
            notes=tuple(notes),
            **merged,
        )


@dataclass(frozen=True)
class ParsedWords:
    """What :func:`parse_words` read from the box."""

    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    filters: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def parse_words(text: str) -> ParsedWords:
    """Read the box's text as words, ``"phrases"`` and ``field:value`` filters; never raise.

    Characters that would be syntax elsewhere (``* ? ~ ^ [ ] { } ( ) : + - !``)
    separate words; only letters and digits (any script) make a term. Terms
    keep their case; backends fold it.
    """
    notes: list[str] = []
    text = _clean(text)
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        notes.append(f"The query was cut to its first {MAX_QUERY_CHARS} characters.")

    filters: dict[str, str] = {}

    def take_field(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        value = (match.group(2) if match.group(2) is not None else match.group(3)).strip()
        if name not in FIELD_NAMES:
            return match.group(0).replace(":", " ")  # "http://x" or "foo:bar": plain words
        if value and name not in filters:
            filters[name] = value[:MAX_FILTER_CHARS]
        return " "

    text = _FIELD.sub(take_field, text)

    phrases: list[str] = []
    if text.count('"') % 2 == 0:  # balanced: read phrases; otherwise every quote is just a separator

        def take_phrase(match: re.Match[str]) -> str:
            words = _WORD.findall(match.group(1))
            if len(words) == 1:
                return f" {words[0]} "  # a one-word phrase is a word
            if words:
                phrases.append(" ".join(words))
            return " "

        text = _PHRASE.sub(take_phrase, text)
    terms: list[str] = []
    seen: set[str] = set()
    for word in _WORD.findall(text):
        key = word.casefold()
        if key not in seen:
            seen.add(key)
            terms.append(word)

    budget = MAX_TERMS
    kept_phrases: list[str] = []
    for phrase in phrases[:MAX_PHRASES]:
        n = len(phrase.split())
        if n <= budget:
            kept_phrases.append(phrase)
            budget -= n
    kept_terms = terms[:budget]
    if len(kept_phrases) < len(phrases) or len(kept_terms) < len(terms):
        notes.append(f"Only the first {MAX_TERMS} words were searched.")
    return ParsedWords(terms=tuple(kept_terms), phrases=tuple(kept_phrases), filters=filters, notes=tuple(notes))


def _clean(text: str) -> str:
    """Normalised (NFC), without control or format characters, spaces collapsed."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch for ch in text)
    return " ".join(text.split())
