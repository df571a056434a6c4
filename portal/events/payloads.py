"""A typed payload per event kind, checked when the event is recorded.

Consumers (alerts, search, feeds) rely on the fields of a kind, so they are
pinned here as frozen dataclasses, one per :class:`EventKind`. Recording
checks the keyword fields against the kind's dataclass: a missing, unknown
or wrongly typed field is a programming error (:class:`PayloadError`, a
``TypeError``) naming the kind and the field, raised before anything reaches
the database. Reading goes the other way: :func:`payload_of` turns a stored
row back into its dataclass.

Payloads hold names as well as ids (a spec's name, its project's name):
events outlive what they describe (the spec and project references become
NULL when those rows are deleted), and a consumer must still be able to act
on a ``spec.deleted``.

A field added after rows of its kind were written is declared with
``required(old_rows=…)``: every new event must carry it, and rows written
before it existed read as that value.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, TypeVar, Union, get_args, get_origin

from portal.events.kinds import EventKind

T = TypeVar("T")

_REQUIRED = "portal.events.required"

GerritStatus = Literal["NEW", "MERGED", "ABANDONED"]


class PayloadError(TypeError):
    """An event's fields do not match its kind's payload: a bug in the caller, not bad user input."""


def required(*, old_rows: T) -> T:
    """A field every new event must carry; rows written before the field existed read as ``old_rows``."""
    return field(default=old_rows, metadata={_REQUIRED: True})


@dataclass(frozen=True)
class Payload:
    """Base of every payload (no fields of its own)."""


# --- projects -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectCreated(Payload):
    name: str


@dataclass(frozen=True)
class ProjectChanged(Payload):
    """A project was renamed, had its sources edited, or was removed (its specs each get a ``spec.deleted``)."""

    change: Literal["renamed", "sources", "removed"]
    name: str  # the name after the change (the last name, for "removed")
    old_name: str | None = None  # for "renamed"
    fields: list[str] = field(default_factory=list)  # for "sources": which sources changed


# --- specs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecCreated(Payload):
    """A spec appeared, from a spec file, a Launchpad blueprint or a Gerrit change."""

    name: str
    source: str = required(old_rows="")  # file | launchpad | gerrit
    revision_id: int | None = None  # the first revision, when the spec came with a document
    content_hash: str | None = None  # sha256 of that document's text
    path: str | None = None
    release: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class SpecRevised(Payload):
    """A new revision of the spec document arrived (a changed file, a new patch set)."""

    name: str
    revision_id: int
    source: str = required(old_rows="")  # SpecRevision.source: file | gerrit
    content_hash: str = required(old_rows="")  # sha256 of the document text
    patch_set: int | None = None  # for a Gerrit patch set
    path: str | None = None
    release: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class SpecStateChanged(Payload):
    name: str
    from_state: str | None
    to_state: str


@dataclass(frozen=True)
class SpecDeleted(Payload):
    """A spec was removed; its id is kept here because the event's ``spec_id`` is now NULL."""

    former_spec_id: int
    name: str
    title: str
    project: str  # the project's name


@dataclass(frozen=True)
class SpecMergedInto(Payload):
    """A spec turned out to be the same as the event's spec and was merged into it (its rows moved there).

    The event belongs to the surviving spec (``into_spec_id``); ``former_spec_id`` and ``name`` are the
    merged spec's, whose page now redirects to the survivor.
    """

    name: str
    into_spec_id: int
    into_name: str
    former_spec_id: int = required(old_rows=0)


@dataclass(frozen=True)
class GerritChangeUpdated(Payload):
    """A Gerrit change of the spec was created or changed (new patch set, merged, abandoned, new labels)."""

    change_number: int
    status: GerritStatus
    name: str = required(old_rows="")  # the spec's name
    repo: str = required(old_rows="")
    patch_set: int = required(old_rows=0)
    previous_status: GerritStatus | None = None  # None: the portal had not seen the change before
    previous_patch_set: int | None = None

    @property
    def is_new_patch_set(self) -> bool:
        return self.previous_patch_set is not None and self.patch_set > self.previous_patch_set

    @property
    def merged(self) -> bool:
        return self.status == "MERGED" and self.previous_status != "MERGED"

    @property
    def abandoned(self) -> bool:
        return self.status == "ABANDONED" and self.previous_status != "ABANDONED"


@dataclass(frozen=True)
class ImplementationChanged(Payload):
    """A code change implementing the spec (``Implements: blueprint <name>``, topic ``bp/<name>``) appeared or moved."""

    name: str  # the spec's name
    repo: str  # the code repository, e.g. openstack/nova
    change_number: int
    status: GerritStatus
    partial: bool
    previous_status: GerritStatus | None = None  # None: first seen

    @property
    def merged(self) -> bool:
        return self.status == "MERGED" and self.previous_status != "MERGED"


@dataclass(frozen=True)
class LaunchpadChanged(Payload):
    """Blueprint fields changed on Launchpad: status, priority, series goal (milestone), approval…"""

    name: str
    fields: list[str]  # BlueprintData field names, e.g. definition_status, priority, milestone, approver
    # Before and after of the fields people act on (statuses, priority, milestone, series goal
    # and its status, approver, direction approved), keyed like ``fields``; empty in older rows.
    previous: dict[str, str | None] = field(default_factory=dict)
    current: dict[str, str | None] = field(default_factory=dict)


# --- discussion and votes -------------------------------------------------------------


@dataclass(frozen=True)
class CommentAdded(Payload):
    comment_id: int
    source: str  # CommentSource: portal | gerrit | launchpad | link | irc | mail
    # irc / mail: the meeting topic or thread it summarises ("nova meeting 2026-11-20: …"), for alerts
    title: str | None = None


@dataclass(frozen=True)
class CommentEdited(Payload):
    comment_id: int


@dataclass(frozen=True)
class CommentHidden(Payload):
    comment_id: int
    reason: str = ""


@dataclass(frozen=True)
class CommentShown(Payload):
    comment_id: int


@dataclass(frozen=True)
class CommentDeleted(Payload):
    comment_id: int


@dataclass(frozen=True)
class Mention(Payload):
    """A comment names a user (``@name``); the event's actor wrote it."""

    comment_id: int
    mentioned_user_id: int


@dataclass(frozen=True)
class VoteCast(Payload):
    """An operator's vote on the event's spec, cast or changed (the event's actor voted)."""

    affects_me: bool
    priority: str | None = None


@dataclass(frozen=True)
class VoteWithdrawn(Payload):
    """The event's actor withdrew their vote on the event's spec."""


# --- checklist, PTL, imports ----------------------------------------------------------


@dataclass(frozen=True)
class ChecklistAnswered(Payload):
    item: str
    state: str
    answer_id: int


@dataclass(frozen=True)
class ChecklistRechecked(Payload):
    template_version: int


@dataclass(frozen=True)
class ChecklistRefreshed(Payload):
    """Prefill ran again over many specs (scores may have changed everywhere)."""

    specs: int
    template_version: int


@dataclass(frozen=True)
class ChecklistStale(Payload):
    """Answers rest on spec text that has changed since they were given."""

    items: list[str]
    revision_id: int | None = None


@dataclass(frozen=True)
class PtlAcknowledged(Payload):
    """A PTL of the event's project acknowledged the spec's gaps or votes (one item, or the whole spec)."""

    item: str | None = None
    note: str = ""
    answer: str = required(old_rows="acknowledged")  # AckKind: acknowledged | planned
    release: str | None = None  # for "planned": the release it is planned for


@dataclass(frozen=True)
class ImportFinished(Payload):
    source: str  # specs-dir | gerrit | launchpad | demo
    status: str  # succeeded | partial | failed
    run_id: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    # A failed sync: how many runs of this source and project have failed in a row (admins hear at 2).
    consecutive_failures: int = 0
    error: str | None = None


# --- saved searches (personal: never in the public feed) ------------------------------


@dataclass(frozen=True)
class SavedSearchCreated(Payload):
    """The event's actor saved a search; ``query`` is its ``SearchQuery.to_params()``."""

    saved_search_id: int
    name: str
    query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SavedSearchDeleted(Payload):
    """The event's actor deleted a saved search (alerts that follow it stop)."""

    saved_search_id: int
    name: str


PAYLOADS: Mapping[EventKind, type[Payload]] = {
    EventKind.PROJECT_CREATED: ProjectCreated,
    EventKind.PROJECT_CHANGED: ProjectChanged,
    EventKind.SPEC_CREATED: SpecCreated,
    EventKind.SPEC_REVISED: SpecRevised,
    EventKind.SPEC_STATE_CHANGED: SpecStateChanged,
    EventKind.SPEC_DELETED: SpecDeleted,
    EventKind.SPEC_MERGED_INTO: SpecMergedInto,
    EventKind.GERRIT_CHANGE_UPDATED: GerritChangeUpdated,
    EventKind.IMPLEMENTATION_CHANGED: ImplementationChanged,
    EventKind.LAUNCHPAD_CHANGED: LaunchpadChanged,
    EventKind.COMMENT_ADDED: CommentAdded,
    EventKind.COMMENT_EDITED: CommentEdited,
    EventKind.COMMENT_HIDDEN: CommentHidden,
    EventKind.COMMENT_SHOWN: CommentShown,
    EventKind.COMMENT_DELETED: CommentDeleted,
    EventKind.MENTION: Mention,
    EventKind.VOTE_CAST: VoteCast,
    EventKind.VOTE_WITHDRAWN: VoteWithdrawn,
    EventKind.CHECKLIST_ANSWERED: ChecklistAnswered,
    EventKind.CHECKLIST_RECHECKED: ChecklistRechecked,
    EventKind.CHECKLIST_REFRESHED: ChecklistRefreshed,
    EventKind.CHECKLIST_STALE: ChecklistStale,
    EventKind.PTL_ACKNOWLEDGED: PtlAcknowledged,
    EventKind.IMPORT_FINISHED: ImportFinished,
    EventKind.SAVED_SEARCH_CREATED: SavedSearchCreated,
    EventKind.SAVED_SEARCH_DELETED: SavedSearchDeleted,
}

JSONValue: TypeAlias = str | int | float | bool | None | list["JSONValue"] | dict[str, "JSONValue"]


def kind_of(kind: str) -> EventKind:
    """The :class:`EventKind` for a kind string, or a :class:`PayloadError` saying how to add one."""
    try:
        return EventKind(kind)
    except ValueError:
        raise PayloadError(
            f"unknown event kind {kind!r}: add it to EventKind (portal/events/kinds.py) "
            "with a payload in portal/events/payloads.py and a label in portal/events/labels.py"
        ) from None


def check(kind: str, fields: Mapping[str, object]) -> dict[str, JSONValue]:
    """The stored form of ``fields`` for ``kind``: every field of its payload, defaults filled in.

    Raises :class:`PayloadError` for a missing, unknown or wrongly typed field.
    """
    event_kind = kind_of(kind)
    cls = PAYLOADS[event_kind]
    declared = _declared(cls)
    unknown = sorted(set(fields) - set(declared))
    if unknown:
        raise PayloadError(
            f"event {event_kind.value!r}: unknown field {unknown[0]!r}; "
            f"{cls.__name__} has {', '.join(declared) or 'no fields'}"
        )
    stored: dict[str, JSONValue] = {}
    for name, (spec, hint) in declared.items():
        if name in fields:
            value = fields[name]
        elif spec.metadata.get(_REQUIRED) or _default(spec) is dataclasses.MISSING:
            raise PayloadError(f"event {event_kind.value!r}: missing field {name!r} ({_describe(hint)})")
        else:
            value = _default(spec)
        if not _matches(value, hint):
            raise PayloadError(
                f"event {event_kind.value!r}: field {name!r} must be {_describe(hint)}, "
                f"got {type(value).__name__} {_short(value)}"
            )
        stored[name] = _plain(value)
    return stored


def parse(kind: str, stored: Mapping[str, object]) -> Payload:
    """The payload dataclass of a stored event; keys it does not know are ignored, missing ones defaulted."""
    event_kind = kind_of(kind)
    cls = PAYLOADS[event_kind]
    values: dict[str, object] = {}
    for name, (spec, hint) in _declared(cls).items():
        if name in stored:
            value = stored[name]
        elif _default(spec) is not dataclasses.MISSING:
            value = _default(spec)
        else:
            raise PayloadError(f"stored event {event_kind.value!r} has no field {name!r} ({_describe(hint)})")
        if not _matches(value, hint):
            raise PayloadError(
                f"stored event {event_kind.value!r}: field {name!r} must be {_describe(hint)}, "
                f"got {type(value).__name__} {_short(value)}"
            )
        values[name] = value
    return cls(**values)


_DECLARED: dict[type[Payload], dict[str, tuple[dataclasses.Field[Any], Any]]] = {}


def _declared(cls: type[Payload]) -> dict[str, tuple[dataclasses.Field[Any], Any]]:
    """Each field of a payload with its resolved type (annotations are strings here), worked out once."""
    if cls not in _DECLARED:
        hints = typing.get_type_hints(cls)
        _DECLARED[cls] = {f.name: (f, hints[f.name]) for f in dataclasses.fields(cls)}
    return _DECLARED[cls]


def _default(spec: dataclasses.Field[Any]) -> object:
    if spec.default is not dataclasses.MISSING:
        return spec.default
    if spec.default_factory is not dataclasses.MISSING:
        return spec.default_factory()
    return dataclasses.MISSING


def _matches(value: object, hint: Any) -> bool:
    origin = get_origin(hint)
    if origin is Union or origin is types.UnionType:
        return any(_matches(value, arg) for arg in get_args(hint))
    if origin is Literal:
        return any(isinstance(value, type(arg)) and value == arg for arg in get_args(hint))
    if origin is list:
        (item,) = get_args(hint)
        return isinstance(value, list | tuple) and all(_matches(v, item) for v in value)
    if origin is dict:
        key, item = get_args(hint)
        return isinstance(value, dict) and all(_matches(k, key) and _matches(v, item) for k, v in value.items())
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    raise TypeError(f"payload field type {hint!r} is not supported: use str, int, float, bool, Literal, list, dict")


def _describe(hint: Any) -> str:
    origin = get_origin(hint)
    if origin is Union or origin is types.UnionType:
        return " or ".join(_describe(arg) for arg in get_args(hint))
    if origin is Literal:
        return "one of " + ", ".join(repr(arg) for arg in get_args(hint))
    if hint is type(None):
        return "None"
    if isinstance(hint, type) and origin is None:
        return hint.__name__
    return str(hint)


def _plain(value: object) -> JSONValue:
    """JSON-ready: str subclasses (StrEnum members) become plain strings, tuples lists."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    raise PayloadError(f"cannot store {type(value).__name__} in an event payload")  # pragma: no cover


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
