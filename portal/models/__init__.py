"""The ORM mapping of the whole domain (plain SQLAlchemy 2, no Flask).

Importing this package registers every table on ``Base.metadata``, which
Alembic and the tests rely on. Relationships default to ``lazy="raise"``:
a page that needs related rows must load them explicitly, so an N+1 query
fails loudly instead of slowly.
"""

from portal.db.base import Base
from portal.models.accounts import (
    ApiToken,
    ExternalIdentity,
    IdentityKind,
    LoginAttempt,
    Role,
    User,
    UserSession,
    project_ptls,
)
from portal.models.activity import AuditLog, Event, EventCursor, EventKind, ImportRun, RunStatus, SyncState
from portal.models.alerts import (
    AlertChannel,
    AlertPreferences,
    Digest,
    Notification,
    NotificationStatus,
    Subscription,
    SubscriptionOrigin,
    TargetKind,
    WebhookDelivery,
)
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
from portal.models.discussion import Comment, CommentEdit, CommentSource
from portal.models.outside import DiscussionLink, LinkOrigin, OutsideDiscussion, OutsideFile
from portal.models.projects import Project, ProjectAlias, ProjectSource, SourceKind
from portal.models.search import SavedSearch
from portal.models.specs import (
    GerritChange,
    GerritChangeSpec,
    GerritStatus,
    ImplementationChange,
    RevisionSource,
    Spec,
    SpecAlias,
    SpecRevision,
    SpecState,
)
from portal.models.votes import (
    AckKind,
    Acknowledgement,
    DeploymentProfile,
    DeploymentTool,
    HypervisorBand,
    Priority,
    ProjectBand,
    Vote,
    VoteAction,
    VoteHistory,
)

__all__ = [
    "DiscussionLink",
    "LinkOrigin",
    "OutsideDiscussion",
    "OutsideFile",
    "ANSWER_STATES",
    "AckKind",
    "Acknowledgement",
    "AlertChannel",
    "AlertPreferences",
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
    "CommentEdit",
    "CommentSource",
    "DeploymentProfile",
    "DeploymentTool",
    "Digest",
    "Event",
    "EventCursor",
    "EventKind",
    "ExternalIdentity",
    "GapKind",
    "GerritChange",
    "GerritChangeSpec",
    "GerritStatus",
    "HypervisorBand",
    "IdentityKind",
    "ImplementationChange",
    "ImportRun",
    "LoginAttempt",
    "Notification",
    "NotificationStatus",
    "Priority",
    "Project",
    "ProjectAlias",
    "ProjectBand",
    "ProjectSource",
    "RevisionSource",
    "Role",
    "RunStatus",
    "SavedSearch",
    "SourceKind",
    "Spec",
    "SpecAlias",
    "SpecRevision",
    "SpecState",
    "Subscription",
    "SubscriptionOrigin",
    "SyncState",
    "TargetKind",
    "User",
    "UserSession",
    "Vote",
    "VoteAction",
    "VoteHistory",
    "WebhookDelivery",
    "project_ptls",
]
