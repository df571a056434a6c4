"""One table of human labels per event kind, for the activity feed and later for mails and feeds.

A label reads in front of what the event is about: "New comment on"
*Compute drain mode*, or grouped, "3 new comments on" *Compute drain mode*.
``subject`` says what that is (a spec, a project, or nothing), so a page
knows what to link when the spec is gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from portal.events.kinds import EventKind

# "user": the actor's own things (saved searches); personal, so the public activity feed leaves them out.
Subject = Literal["spec", "project", "none", "user"]


@dataclass(frozen=True)
class Label:
    one: str  # one event: "New comment on"
    many: str  # a run of them, after the count: "new comments on"
    subject: Subject = "spec"

    def text(self, count: int = 1) -> str:
        """The label for ``count`` events of the kind on one subject."""
        return f"{count} {self.many}" if count > 1 else self.one


LABELS: Mapping[EventKind, Label] = {
    EventKind.PROJECT_CREATED: Label("Project added", "projects added", "project"),
    EventKind.PROJECT_CHANGED: Label("Project changed", "changes of project", "project"),
    EventKind.SPEC_CREATED: Label("New spec", "new specs"),
    EventKind.SPEC_REVISED: Label("Spec updated", "updates of"),
    EventKind.SPEC_STATE_CHANGED: Label("State changed on", "state changes on"),
    EventKind.SPEC_DELETED: Label("Spec removed:", "removals of"),
    EventKind.SPEC_MERGED_INTO: Label("Merged into another spec:", "merges of"),
    EventKind.GERRIT_CHANGE_UPDATED: Label("Gerrit review updated on", "Gerrit review updates on"),
    EventKind.IMPLEMENTATION_CHANGED: Label("Implementation progress on", "implementation changes on"),
    EventKind.LAUNCHPAD_CHANGED: Label("Launchpad blueprint updated on", "Launchpad updates on"),
    EventKind.COMMENT_ADDED: Label("New comment on", "new comments on"),
    EventKind.COMMENT_EDITED: Label("Comment edited on", "comments edited on"),
    EventKind.COMMENT_HIDDEN: Label("Comment hidden on", "comments hidden on"),
    EventKind.COMMENT_SHOWN: Label("Comment shown again on", "comments shown again on"),
    EventKind.COMMENT_DELETED: Label("Comment deleted on", "comments deleted on"),
    EventKind.MENTION: Label("Mentioned on", "mentions on"),
    EventKind.VOTE_CAST: Label("Vote on", "votes on"),
    EventKind.VOTE_WITHDRAWN: Label("Vote withdrawn on", "votes withdrawn on"),
    EventKind.CHECKLIST_ANSWERED: Label("Checklist answered on", "checklist answers on"),
    EventKind.CHECKLIST_RECHECKED: Label("Checklist re-checked on", "checklist re-checks on"),
    EventKind.CHECKLIST_REFRESHED: Label("Checklists refreshed", "checklist refreshes", "none"),
    EventKind.CHECKLIST_STALE: Label("Checklist out of date on", "checklists out of date on"),
    EventKind.PTL_ACKNOWLEDGED: Label("Acknowledged by the PTL:", "PTL acknowledgements on"),
    EventKind.IMPORT_FINISHED: Label("Import finished", "imports finished", "project"),
    EventKind.SAVED_SEARCH_CREATED: Label("Search saved", "searches saved", "user"),
    EventKind.SAVED_SEARCH_DELETED: Label("Saved search deleted", "saved searches deleted", "user"),
}

# Kinds about a user's own things: the public activity feed never shows them.
PERSONAL_KINDS: frozenset[EventKind] = frozenset(k for k, label in LABELS.items() if label.subject == "user")


def label_for(kind: str) -> Label:
    """The label of a kind; a kind string this release does not know reads as itself."""
    try:
        return LABELS[EventKind(kind)]
    except ValueError:
        return Label(kind, kind, "none")
