"""The ORM mapping of the whole domain (plain SQLAlchemy 2, no Flask).

Importing this package registers every table on ``Base.metadata``, which
Alembic and the tests rely on. Relationships default to ``lazy="raise"``:
a page that needs related rows must load them explicitly, so an N+1 query
fails loudly instead of slowly.
"""

from portal.db.base import Base
from portal.models.accounts import ApiToken, LoginAttempt, Role, User, UserSession, project_ptls
from portal.models.activity import AuditLog, Event, ImportRun
from portal.models.checklists import ANSWER_STATES, ChecklistAnswer, ChecklistGap, ChecklistSummary, ChecklistTemplate
from portal.models.discussion import Comment, CommentSource
from portal.models.projects import Project
from portal.models.specs import GerritChange, Spec, SpecRevision, SpecState

__all__ = [
    "ANSWER_STATES",
    "ApiToken",
    "ChecklistAnswer",
    "ChecklistGap",
    "ChecklistSummary",
    "ChecklistTemplate",
    "AuditLog",
    "Base",
    "Comment",
    "CommentSource",
    "Event",
    "ImportRun",
    "LoginAttempt",
    "Project",
    "Role",
    "Spec",
    "GerritChange",
    "SpecRevision",
    "SpecState",
    "User",
    "UserSession",
    "project_ptls",
]
