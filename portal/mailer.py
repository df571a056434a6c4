"""Sending one mail through the configured SMTP server, and telling a failure worth retrying from one that is not.

Everything that mails (alerts, digests, account confirmation and password
reset) goes through :func:`send`, so the TLS modes, the login and the
classification of failures live in one place. Messages are built with
``email.policy.SMTP``, which refuses a header value with a line break, so
a hostile spec title or display name cannot add headers.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY

from portal.settings import Settings


class MailError(Exception):
    """Sending failed. ``permanent``: the server refused for good (5xx, refused recipient); do not retry."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def not_configured(settings: Settings) -> str | None:
    """Why mail cannot be sent with these settings, or None when it can."""
    if not settings.smtp_host:
        return "no SMTP server is set (PORTAL_SMTP_HOST)"
    if not settings.mail_from:
        return "no From address is set (PORTAL_MAIL_FROM)"
    return None


def new_message() -> EmailMessage:
    """An empty message whose headers refuse line breaks (header injection) when set."""
    return EmailMessage(policy=SMTP_POLICY)


def send(settings: Settings, message: EmailMessage) -> None:
    """Deliver ``message`` to the SMTP server; raise :class:`MailError` saying whether a retry can help."""
    reason = not_configured(settings)
    if reason:
        raise MailError(f"mail is not configured: {reason}", permanent=False)
    if "From" not in message:
        message["From"] = settings.mail_from
    try:
        with _connect(settings) as smtp:
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            refused = smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        raise MailError(_refused_text(exc.recipients), permanent=all(code >= 500 for code in codes)) from exc
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        raise MailError(f"the SMTP server replied {exc.smtp_code} {text}", permanent=exc.smtp_code >= 500) from exc
    except smtplib.SMTPServerDisconnected as exc:
        raise MailError(f"the SMTP server closed the connection: {exc or 'no reason given'}", permanent=False) from exc
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        where = f"{settings.smtp_host}:{settings.smtp_port}"
        raise MailError(f"could not reach the SMTP server at {where}: {exc}", permanent=False) from exc
    if refused:
        # Some recipients were accepted: the mail went out; report the others, which do not get retried.
        raise MailError(_refused_text(refused), permanent=True)


def _refused_text(recipients: dict[str, tuple[int, bytes]]) -> str:
    parts = [f"{code} {text.decode('utf-8', 'replace')}" for code, text in recipients.values()]
    return f"the SMTP server refused the recipient: {'; '.join(parts)}"


def _connect(settings: Settings) -> smtplib.SMTP:
    timeout = settings.smtp_timeout
    if settings.smtp_tls == "ssl":
        return smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=ssl.create_default_context()
        )
    smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout, local_hostname=socket.getfqdn())
    if settings.smtp_tls == "starttls":
        try:
            smtp.starttls(context=ssl.create_default_context())
        except BaseException:
            smtp.close()
            raise
    return smtp
