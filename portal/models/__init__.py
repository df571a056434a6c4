"""The ORM mapping of the whole domain (plain SQLAlchemy 2, no Flask).

Importing this package registers every table on ``Base.metadata``, which
Alembic and the tests rely on. Relationships default to ``lazy="raise"``:
a page that needs related rows must load them explicitly, so an N+1 query
fails loudly instead of slowly.
"""

from portal.db.base import Base
from portal.models.accounts import ApiToken, LoginAttempt, Role, User, UserSession, project_ptls
from portal.models.activity import AuditLog, Event, EventCursor, EventKind, ImportRun, RunStatus, SyncState
from portal.models.checklists import (
    ANSWER_STATES,
    AnswerSource,
    AnswerState,
    ChecklistAnswer,
    ChecklistGap,
    ChecklistSummary,
    ChecklistTemplate,
    GapKind,
)
from portal.models.discussion import Comment, CommentSource
from portal.models.projects import Project, ProjectAlias, ProjectSource, SourceKind
from portal.models.search import SavedSearch
from portal.models.specs import (
    GerritChange,
    GerritChangeSpec,
    GerritStatus,
    ImplementationChange,
    RevisionSource,
    Spec,
    SpecRevision,
    SpecState,
)

__all__ = [
    "ANSWER_STATES",
    "AnswerSource",
    "AnswerState",
    "ApiToken",
    "AuditLog",
    "Base",
    "ChecklistAnswer",
    "ChecklistGap",
    "ChecklistSummary",
    "ChecklistTemplate",
    "Comment",
    "CommentSource",
    "Event",
    "EventCursor",
    "EventKind",
    "GapKind",
    "GerritChange",
    "GerritChangeSpec",
    "ImplementationChange",
    "GerritStatus",
    "ImportRun",
    "LoginAttempt",
    "Project",
    "ProjectAlias",
    "ProjectSource",
    "RevisionSource",
    "Role",
    "RunStatus",
    "SavedSearch",
    "SourceKind",
    "Spec",
    "SpecRevision",
    "SpecState",
    "SyncState",
    "User",
    "UserSession",
    "project_ptls",
]
