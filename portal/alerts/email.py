"""Alert mails: plain text + HTML from ``templates/mail/``, with the list headers RFC 2369 / 8058 ask for.

Rendered with a Jinja environment of our own (autoescaped HTML, plain text
unescaped), so ``portal.alerts`` needs no Flask. Headers are set on a
:func:`portal.mailer.new_message`, whose policy refuses line breaks: a spec
title with ``\\r\\n`` in it reaches the Subject with its breaks turned into
spaces here, and could never add a header anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape

from portal import mailer
from portal.alerts import tokens
from portal.resources import resource_dir
from portal.settings import Settings

_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


@dataclass(frozen=True)
class Item:
    """One alert as a mail shows it."""

    title: str  # "New spec: Live resize (nova)"
    reason: str  # "you follow nova"
    url: str
    project: str = ""
    spec: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Letter:
    """Everything one mail needs: to whom, about what, and the subscription its unsubscribe link ends."""

    to: str
    display_name: str
    subject: str
    items: list[Item]
    message_id: str
    subscription_id: int | None = None
    digest: bool = False
    digest_user_id: int | None = None  # a digest's one-click link stops that user's digest subscriptions
    groups: list[tuple[str, list[tuple[str, list[Item]]]]] = field(default_factory=list)


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(resource_dir("templates") / "mail")),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        keep_trailing_newline=True,
    )


def one_line(text: str, limit: int = 200) -> str:
    """A header-safe single line: control characters and line breaks become one space."""
    clean = _BREAKS.sub(" ", text).strip()
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def unsubscribe_url(settings: Settings, subscription_id: int) -> str:
    base = settings.require_base_url("alert mails").rstrip("/")
    return f"{base}/unsubscribe/{quote(tokens.make(settings.secret_key, subscription_id), safe='')}"


def digest_unsubscribe_url(settings: Settings, user_id: int) -> str:
    base = settings.require_base_url("alert mails").rstrip("/")
    return f"{base}/unsubscribe/{quote(tokens.make_digest(settings.secret_key, user_id), safe='')}"


def build(settings: Settings, letter: Letter) -> EmailMessage:
    """The message for ``letter``: text and HTML parts, Message-ID, List-Id and List-Unsubscribe headers."""
    base = settings.require_base_url("alert mails").rstrip("/")
    host = urlsplit(base).hostname or "localhost"
    if letter.digest_user_id is not None:
        unsubscribe: str | None = digest_unsubscribe_url(settings, letter.digest_user_id)
    else:
        unsubscribe = unsubscribe_url(settings, letter.subscription_id) if letter.subscription_id else None
    context: dict[str, Any] = {
        "letter": letter, "base_url": base, "subscriptions_url": f"{base}/subscriptions",
        "unsubscribe_url": unsubscribe,
    }
    message = mailer.new_message()
    message["Subject"] = one_line(letter.subject)
    message["From"] = settings.mail_from
    message["To"] = formataddr((one_line(letter.display_name, 80), letter.to))
    message["Message-ID"] = letter.message_id
    message["List-Id"] = f"BOB alerts <alerts.{host}>"
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe:
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    name = "digest" if letter.digest else "alert"
    message.set_content(_env().get_template(f"{name}.txt").render(context))
    message.add_alternative(_env().get_template(f"{name}.html").render(context), subtype="html")
    return message
