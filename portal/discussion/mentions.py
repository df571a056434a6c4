"""``@name`` in a comment: which users it names, so each gets a ``mention`` event the alerts can act on.

Pure parsing first (:func:`mentioned_names`), then one query for the users
(:func:`record_mentions`). Code is not a mention: ``@decorator`` in a code
span or a fenced block is Python, not a colleague.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import events
from portal.models import Comment, Spec, User

MAX_MENTIONS = 20  # a comment naming more people than this is a broadcast, not a mention
# A user name as portal.accounts allows it (lowercase letters, digits, '.', '_', '-'), after a space or
# punctuation, never inside an email address or a word; a trailing '.' ends the sentence, not the name.
_MENTION = re.compile(r"(?<![\w@./-])@([A-Za-z0-9][A-Za-z0-9._-]{1,63})")
_FENCED = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_CODE_SPAN = re.compile(r"(`+).+?\1", re.S)
_INDENTED = re.compile(r"^(?: {4}|\t).*$", re.M)


def mentioned_names(text: str) -> list[str]:
    """The user names ``@mentioned`` in Markdown ``text``, lowercased, in order, each once, code excluded."""
    prose = _INDENTED.sub("", _CODE_SPAN.sub("", _FENCED.sub("", text)))
    names: list[str] = []
    for match in _MENTION.finditer(prose):
        name = match.group(1).rstrip(".-_").lower()
        if len(name) >= 2 and name not in names:
            names.append(name)
    return names[:MAX_MENTIONS]


def record_mentions(
    session: Session, actor: User, spec: Spec, comment: Comment, *, already: Collection[str] = ()
) -> list[User]:
    """Record a ``mention`` event for each active user the comment names (not the author, not ``already``).

    ``already`` holds the names the comment's previous text mentioned, so an
    edit does not notify the same person twice.
    """
    names = [n for n in mentioned_names(comment.body) if n not in set(already) and n != actor.username]
    if not names:
        return []
    users = list(session.scalars(select(User).where(User.username.in_(names), User.is_active.is_(True))))
    users.sort(key=lambda u: names.index(u.username))
    for user in users:
        events.record(session, events.EventKind.MENTION, project_id=spec.project_id, spec_id=spec.id,
                      actor_id=actor.id, comment_id=comment.id, mentioned_user_id=user.id)
    return users
