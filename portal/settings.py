"""Settings: defaults, then ``<instance>/portal.toml``, then ``PORTAL_*`` variables.

This module is the only reader of the environment. Every setting is declared
once in ``SPECS`` (name, type, default, help), which also feeds the docs test,
so a setting cannot exist without being documented. An invalid value stops
start-up with a :class:`SettingsError` that names the setting, where it came
from and the form expected.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from portal.errors import SettingsError

ENV_PREFIX = "PORTAL_"
CONFIG_FILE = "portal.toml"
SECRET_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MAX_SESSION_HOURS = 24 * 365  # larger values overflow date arithmetic at serve time
MAX_LOGIN_WINDOW_MINUTES = 60 * 24 * 7
SECRET_SETTINGS = frozenset(
    {"secret_key", "gerrit_password", "oidc_client_secret", "ldap_bind_password", "smtp_password"}
)
SMTP_TLS_MODES = ("none", "starttls", "ssl")
MAX_PAGE_SIZE = 200  # the API's per_page maximum (openapi.yaml): a larger default would make every list a 400


@dataclass(frozen=True)
class SettingSpec:
    """How one setting is parsed and documented."""

    name: str
    parse: Callable[[Any], Any]
    expected: str
    help: str


class InvalidValue(ValueError):
    """A malformed value, with a detail worth showing beyond the expected form."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(value)


def _int_at_least(minimum: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError(value)
        number = int(str(value).strip())
        if number < minimum:
            raise ValueError(value)
        return number

    return parse


def _seconds_between(low: float, high: float) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError(value)
        number = float(str(value).strip())
        if not low < number <= high:  # also refuses nan
            raise ValueError(value)
        return number

    return parse


def _int_between(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        number = _int_at_least(low)(value)
        if number > high:
            raise ValueError(value)
        return number

    return parse


def _parse_contact(value: Any) -> str:
    """A URL or mailto: address for the User-Agent; no spaces, parentheses or control characters."""
    text = str(value).strip()
    if not text:
        return ""
    if not text.startswith(("https://", "http://", "mailto:")) or not all(
        "!" <= ch <= "~" and ch not in "()" for ch in text
    ):
        raise ValueError(value)
    return text


def _parse_plain_text(value: Any) -> str:
    """One line of text without control characters (a user name, a password)."""
    text = str(value).strip()
    if any(ord(ch) < 32 for ch in text):
        raise InvalidValue("no control characters or line breaks")
    return text


def _parse_log_level(value: Any) -> str:
    text = str(value).strip().upper()
    if text not in LOG_LEVELS:
        raise ValueError(value)
    return text


def _parse_database_url(value: Any) -> str:
    from sqlalchemy.engine import make_url  # local: keeps settings import light
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    text = str(value).strip()
    try:
        url = make_url(text)
    except ArgumentError as exc:  # not a URL at all
        raise ValueError(value) from exc
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ValueError(value)
    try:
        url.get_dialect().import_dbapi()
    except (NoSuchModuleError, ImportError) as exc:
        raise InvalidValue(f"the driver '{url.get_driver_name()}' is not installed") from exc
    return text


def _parse_secret(value: Any) -> str:
    text = str(value)
    if len(text) < 32:
        raise ValueError("(hidden)")
    return text


def _parse_base_url(value: Any) -> str:
    """An absolute http(s) URL; a trailing slash is dropped so paths can be appended."""
    from urllib.parse import urlsplit

    text = str(value).strip()
    if not text:
        return ""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError as exc:
        raise ValueError(value) from exc
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(value)
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise InvalidValue("no query string or fragment")
    if parts.username is not None or parts.password is not None:
        raise InvalidValue("no user name or password in it")
    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise ValueError(value)
    return text.rstrip("/")


def _parse_search_backend(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in {"whoosh", "postgres"}:
        raise ValueError(value)
    return text


def _parse_path(value: Any) -> Path:
    text = str(value).strip()
    if not text:
        raise ValueError(value)
    return Path(text).expanduser().absolute()


def _parse_optional_base_url(value: Any) -> str:
    """Like :func:`_parse_base_url`, and the issuer keeps its exact form (a trailing slash is part of it)."""
    text = str(value).strip()
    if not text:
        return ""
    _parse_base_url(text)
    return text


def _parse_ldap_url(value: Any) -> str:
    """ldaps://host[:port] or ldap://host[:port] (StartTLS, or plain with ldap_allow_plain)."""
    from urllib.parse import urlsplit

    text = str(value).strip()
    if not text:
        return ""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError as exc:
        raise ValueError(value) from exc
    if parts.scheme not in {"ldap", "ldaps"} or not parts.hostname:
        raise ValueError(value)
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username is not None:
        raise InvalidValue("only the scheme, host and port: put the search base in ldap_user_base")
    return text.rstrip("/")


def _parse_ldap_filter(value: Any) -> str:
    text = _parse_plain_text(value)
    if "{username}" not in text or not (text.startswith("(") and text.endswith(")")):
        raise InvalidValue("a filter in parentheses containing {username}, e.g. (uid={username})")
    return text


def _parse_group_filter(value: Any) -> str:
    text = _parse_plain_text(value)
    if "{dn}" not in text or not (text.startswith("(") and text.endswith(")")):
        raise InvalidValue("a filter in parentheses containing {dn}, e.g. (member={dn})")
    return text


def _parse_scopes(value: Any) -> str:
    words = str(value).split()
    if "openid" not in words or any(not w.isprintable() or '"' in w or "\\" in w for w in words):
        raise InvalidValue("space-separated scopes that include openid, e.g. 'openid profile email'")
    return " ".join(words)


ROLE_NAMES = ("operator", "reviewer", "admin")


def _parse_group_roles(value: Any) -> dict[str, str]:
    """A JSON object (or TOML table) from a group (DN or claim value) to a role name or ``ptl:<project>``."""
    import json

    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InvalidValue(f"not valid JSON: {exc.msg} at character {exc.pos}") from exc
    if not isinstance(value, dict):
        raise InvalidValue("a JSON object such as {\"cn=ops,ou=groups,dc=example,dc=org\": \"reviewer\"}")
    mapping: dict[str, str] = {}
    for group, target in value.items():
        role = str(target).strip().lower()
        if not str(group).strip() or not (role in ROLE_NAMES or (role.startswith("ptl:") and len(role) > 4)):
            raise InvalidValue(
                f"group {group!r} maps to {target!r}; use one of {', '.join(ROLE_NAMES)} or ptl:<project>"
            )
        mapping[str(group).strip().lower()] = role
    return mapping


def _parse_optional_path(value: Any) -> str:
    text = str(value).strip()
    return str(Path(text).expanduser().absolute()) if text else ""


def _parse_smtp_tls(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in SMTP_TLS_MODES:
        raise InvalidValue(f"{value!r} is not one of {', '.join(SMTP_TLS_MODES)}")
    return text


def _parse_mail_from(value: Any) -> str:
    """An address, optionally with a display name (``BOB <bob@example.org>``); no line breaks (header injection)."""
    text = str(value).strip()
    if "\r" in text or "\n" in text:
        raise InvalidValue("a line break is not allowed in an address")
    _name, address = parseaddr(text)
    if text and ("@" not in address or " " in address):
        raise InvalidValue(f"{value!r} has no valid address (expected e.g. bob@example.org)")
    return text


SPECS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "instance_path",
        _parse_path,
        "a directory path",
        "Folder for the config file, the generated secret key and the SQLite "
        "database. Default: ./instance.",
    ),
    SettingSpec(
        "database_url",
        _parse_database_url,
        "an SQLAlchemy URL such as sqlite:////var/lib/portal/portal.db or "
        "postgresql+psycopg://user:pass@127.0.0.1/portal",
        "Database to use. Default: SQLite file portal.db in the instance folder.",
    ),
    SettingSpec(
        "secret_key",
        _parse_secret,
        "a random string of at least 32 characters",
        "Signs session cookies and CSRF tokens. Default: generated on first run "
        "into <instance>/secret_key (mode 0600). All web workers must share it.",
    ),
    SettingSpec(
        "https",
        _parse_bool,
        "true or false",
        "The site is served over HTTPS (behind a TLS proxy): cookies get the "
        "Secure flag and the __Host- prefix, and HSTS is sent. Default: false, "
        "so the http://127.0.0.1 demo works.",
    ),
    SettingSpec(
        "proxy_hops",
        _int_at_least(0),
        "a whole number >= 0",
        "Number of reverse proxies in front of the portal whose X-Forwarded-For "
        "and X-Forwarded-Proto headers are trusted. Default: 0 (trust none).",
    ),
    SettingSpec(
        "session_hours",
        _int_between(1, MAX_SESSION_HOURS),
        f"a whole number of hours from 1 to {MAX_SESSION_HOURS} (one year)",
        "How long a login lasts. Default: 12.",
    ),
    SettingSpec(
        "login_max_failures_per_account_and_address",
        _int_at_least(1),
        "a whole number >= 1",
        "Failed logins allowed for one account from one client address within "
        "login_window_minutes; then that address may not try that account until "
        "the window has passed (the owner elsewhere still can). Default: 5.",
    ),
    SettingSpec(
        "login_max_failures_per_account",
        _int_at_least(1),
        "a whole number >= 1",
        "Failed logins allowed per account from all addresses together within "
        "login_window_minutes, a ceiling against guessing from many addresses; "
        "reaching it locks the account for everybody until the window has "
        "passed. Default: 50.",
    ),
    SettingSpec(
        "login_max_failures_per_address",
        _int_at_least(1),
        "a whole number >= 1",
        "Failed logins allowed per client address within login_window_minutes "
        "(whatever the accounts), against trying one password on many accounts. "
        "Default: 20.",
    ),
    SettingSpec(
        "login_window_minutes",
        _int_between(1, MAX_LOGIN_WINDOW_MINUTES),
        f"a whole number of minutes from 1 to {MAX_LOGIN_WINDOW_MINUTES} (one week)",
        "Window for counting failed logins. Default: 15.",
    ),
    SettingSpec(
        "comment_rate_limit",
        _int_between(1, 10_000),
        "a whole number from 1 to 10000",
        "Comments (and links to discussions) one user may post within comment_rate_window_minutes, counted "
        "in the database so every worker shares the count; one more is refused with a 429 that says when "
        "to try again. Default: 10.",
    ),
    SettingSpec(
        "comment_rate_window_minutes",
        _int_between(1, 24 * 60),
        "a whole number of minutes from 1 to 1440 (one day)",
        "Window for comment_rate_limit. Default: 10.",
    ),
    SettingSpec(
        "page_size",
        _int_between(1, MAX_PAGE_SIZE),
        f"a whole number from 1 to {MAX_PAGE_SIZE} (the API's per_page limit)",
        "Rows per page on list pages and in the API. Default: 50.",
    ),
    SettingSpec(
        "base_url",
        _parse_base_url,
        "an absolute http:// or https:// URL without query or fragment, e.g. https://bob.example.org",
        "The URL users reach the portal at. When set, absolute links (in API "
        "answers; later in mails and feeds) are built from it instead of the "
        "request's Host header, which a client chooses. Needed by every feature "
        "that builds links without a request (mail, feeds). Default: none.",
    ),
    SettingSpec(
        "log_level",
        _parse_log_level,
        "one of " + ", ".join(LOG_LEVELS),
        "Logging threshold for the portal's own messages. Default: INFO.",
    ),
    SettingSpec(
        "http_timeout",
        _seconds_between(0, 300),
        "a number of seconds above 0 and at most 300",
        "How long an outbound request (Gerrit, Launchpad, later webhooks) waits "
        "for the server to answer; connecting waits at most 10 s of it. Default: 30.",
    ),
    SettingSpec(
        "http_retries",
        _int_between(0, 10),
        "a whole number from 0 to 10",
        "How many times an outbound request is retried after a timeout, a broken "
        "connection, a 5xx answer or a 429, with exponential backoff and jitter "
        "(a Retry-After the server sends is honoured, up to 120 s). Default: 3.",
    ),
    SettingSpec(
        "http_contact",
        _parse_contact,
        "a URL or mailto: address without spaces, e.g. https://ops.example.org/bob",
        "Where upstream admins can reach whoever runs this portal; sent in the "
        "User-Agent of outbound requests. Default: none.",
    ),
    SettingSpec(
        "http_allow_private",
        _parse_bool,
        "true or false",
        "Let URLs that users enter (webhooks) point at this host or a private "
        "network (loopback, 10/8, 172.16/12, 192.168/16, link-local, ...). "
        "Default: false. Configured sources such as the Gerrit URL are not checked.",
    ),
    SettingSpec(
        "gerrit_url",
        _parse_base_url,
        "an absolute http:// or https:// URL of a Gerrit server, e.g. https://review.opendev.org",
        "The Gerrit server `portal sync gerrit` reads spec reviews from (its --url overrides it). "
        "Default: https://review.opendev.org.",
    ),
    SettingSpec(
        "gerrit_user",
        _parse_plain_text,
        "a Gerrit user name",
        "With gerrit_password: sign in to Gerrit with HTTP basic auth (requests go to /a/...). "
        "Default: none (anonymous).",
    ),
    SettingSpec(
        "gerrit_password",
        _parse_plain_text,
        "the HTTP password or token from the Gerrit account's settings page",
        "Used with gerrit_user. Default: none.",
    ),
    SettingSpec(
        "gerrit_page_size",
        _int_between(1, 500),
        "a whole number from 1 to 500",
        "Changes asked for per Gerrit query page (n=); servers may send fewer. Default: 100.",
    ),
    SettingSpec(
        "launchpad_url",
        _parse_base_url,
        "an absolute http:// or https:// URL of a Launchpad web service root, e.g. https://api.launchpad.net",
        "The Launchpad web service `portal sync launchpad` reads blueprints from (anonymously, API "
        "version devel; its --url overrides it). Default: https://api.launchpad.net.",
    ),
    SettingSpec(
        "launchpad_page_size",
        _int_between(1, 300),
        "a whole number from 1 to 300",
        "Blueprints asked for per Launchpad collection page (ws.size); Launchpad refuses more than 300. "
        "Default: 100.",
    ),
    SettingSpec(
        "oidc_issuer",
        _parse_optional_base_url,
        "the issuer URL of an OpenID Connect provider, e.g. https://keycloak.example.org/realms/ops",
        "Turns on \"Sign in with OpenID Connect\": the provider's settings are discovered from "
        "<issuer>/.well-known/openid-configuration. Needs oidc_client_id. Default: none (off).",
    ),
    SettingSpec(
        "oidc_client_id",
        _parse_plain_text,
        "the client ID registered for BOB at the provider",
        "The provider must allow the redirect URI <base_url>/login/oidc/callback. Default: none.",
    ),
    SettingSpec(
        "oidc_client_secret",
        _parse_plain_text,
        "the client secret from the provider (confidential client)",
        "Sent to the token endpoint with HTTP basic auth; leave empty for a public client (PKCE only). "
        "Default: none.",
    ),
    SettingSpec(
        "oidc_scopes",
        _parse_scopes,
        "space-separated scopes including openid",
        "Scopes asked for. Default: openid profile email.",
    ),
    SettingSpec(
        "oidc_roles_claim",
        _parse_plain_text,
        "the name of an ID token claim holding a list of groups or roles, e.g. groups",
        "When set, that claim decides the user's role (and PTL duties) at each sign-in, through "
        "oidc_group_roles, or, without it, claim values that are role names (operator, reviewer, admin) "
        "or ptl:<project>. Default: none (admins set roles).",
    ),
    SettingSpec(
        "oidc_group_roles",
        _parse_group_roles,
        "a JSON object from a claim value to a role or ptl:<project>, e.g. {\"/bob-admins\": \"admin\"}",
        "Maps values of oidc_roles_claim to BOB roles and PTL duties; the highest mapped role wins, "
        "no mapped value gives operator. Default: none.",
    ),
    SettingSpec(
        "oidc_allow_http",
        _parse_bool,
        "true or false",
        "Allow an http:// issuer, on a loopback address only (tests). Default: false.",
    ),
    SettingSpec(
        "ldap_url",
        _parse_ldap_url,
        "ldaps://host[:port], or ldap://host[:port] (StartTLS)",
        "Turns on LDAP sign-in through the ordinary login form (local accounts keep working). "
        "ldap:// URLs are upgraded with StartTLS; plain binds are refused unless ldap_allow_plain. "
        "Needs ldap_user_base. Default: none (off).",
    ),
    SettingSpec(
        "ldap_user_base",
        _parse_plain_text,
        "a DN, e.g. ou=people,dc=example,dc=org",
        "Where users are searched for (subtree). Default: none.",
    ),
    SettingSpec(
        "ldap_user_filter",
        _parse_ldap_filter,
        "an LDAP filter containing {username}, e.g. (uid={username}) or (sAMAccountName={username})",
        "Finds the entry of whoever signs in; {username} is replaced by the typed name, escaped "
        "(RFC 4515), so it cannot change the filter. Default: (uid={username}).",
    ),
    SettingSpec(
        "ldap_bind_dn",
        _parse_plain_text,
        "the DN of a service account allowed to search users",
        "With ldap_bind_password: the search runs as this account (Active Directory needs one); "
        "without it, anonymously. The user's own password is then checked by binding as their entry. "
        "Default: none.",
    ),
    SettingSpec(
        "ldap_bind_password",
        _parse_plain_text,
        "the service account's password",
        "Used with ldap_bind_dn. Default: none.",
    ),
    SettingSpec(
        "ldap_group_roles",
        _parse_group_roles,
        "a JSON object from group DN to role or ptl:<project>, e.g. "
        "{\"cn=ops,ou=groups,dc=example,dc=org\": \"reviewer\"}",
        "When set, the user's groups decide their role (highest wins, no mapped group gives operator) "
        "and, with ptl: entries, their PTL duties, at each sign-in. Default: none (admins set roles).",
    ),
    SettingSpec(
        "ldap_group_base",
        _parse_plain_text,
        "a DN, e.g. ou=groups,dc=example,dc=org",
        "Where to search the user's groups with ldap_group_filter; without it the user entry's "
        "memberOf attribute is read (Active Directory, OpenLDAP with the memberof overlay). Default: none.",
    ),
    SettingSpec(
        "ldap_group_filter",
        _parse_group_filter,
        "an LDAP filter containing {dn}",
        "Finds the groups of a user under ldap_group_base; {dn} is the user's DN, escaped. "
        "Default: (|(member={dn})(uniqueMember={dn})).",
    ),
    SettingSpec(
        "ldap_ca_file",
        _parse_optional_path,
        "a path to a PEM file of CA certificates",
        "CAs trusted for the directory's TLS certificate (the host name is always checked). "
        "Default: the system's CA bundle.",
    ),
    SettingSpec(
        "ldap_timeout",
        _seconds_between(0, 60),
        "a number of seconds above 0 and at most 60",
        "How long connecting to and each answer from the directory may take before it counts as "
        "unreachable. Default: 5.",
    ),
    SettingSpec(
        "ldap_allow_plain",
        _parse_bool,
        "true or false",
        "Allow ldap:// without TLS: passwords cross the network in clear (tests only). Default: false.",
    ),
    SettingSpec(
        "search_backend",
        _parse_search_backend,
        "whoosh or postgres",
        "Where full-text search lives: whoosh, an index in <instance>/search written only by the search "
        "event consumer (`portal search update`, from cron); or postgres, full-text search inside "
        "the PostgreSQL database, so several app servers need no shared disk (needs a PostgreSQL "
        "database_url). Default: whoosh.",
    ),
    SettingSpec(
        "smtp_host",
        _parse_plain_text,
        "a host name or address",
        "The SMTP server alert mail, digests and account mail go through. Empty: no mail is sent "
        "(notifications wait in the outbox, and `portal alerts send` says why). Default: empty.",
    ),
    SettingSpec(
        "smtp_port",
        _int_between(1, 65535),
        "a port number",
        "The SMTP server's port. Default: 25 (use 587 with starttls, 465 with ssl).",
    ),
    SettingSpec(
        "smtp_tls",
        _parse_smtp_tls,
        "none, starttls or ssl",
        "How the SMTP connection is protected: none (plain, a local relay), starttls (upgrade on "
        "the plain port, usually 587) or ssl (TLS from the start, usually 465). Default: none.",
    ),
    SettingSpec("smtp_user", _parse_plain_text, "a user name", "SMTP login; empty: no login. Default: empty."),
    SettingSpec("smtp_password", _parse_plain_text, "a password", "SMTP password, with smtp_user. Default: empty."),
    SettingSpec(
        "smtp_timeout",
        _seconds_between(0, 300),
        "a number of seconds above 0 and at most 300",
        "How long connecting to and each reply of the SMTP server may take. Default: 30.",
    ),
    SettingSpec(
        "mail_from",
        _parse_mail_from,
        "an address, e.g. BOB <bob@example.org>",
        "The From address of every mail BOB sends. Required to send mail. Default: empty.",
    ),
    SettingSpec(
        "webhook_allow_http",
        _parse_bool,
        "true or false",
        "Allow webhook URLs with http:// (the payload and signature cross the network in clear). "
        "Default: false: https only.",
    ),
    SettingSpec(
        "webhook_allow_private",
        _parse_bool,
        "true or false",
        "Allow webhooks to private, loopback and link-local addresses (a receiver on the same "
        "network). Default: false: such addresses are refused, after resolving the name once.",
    ),
    SettingSpec(
        "webhook_timeout",
        _seconds_between(0, 60),
        "a number of seconds above 0 and at most 60",
        "How long one webhook POST may take before it counts as failed and is retried. Default: 10.",
    ),
    SettingSpec(
        "self_signup",
        _parse_bool,
        "true or false",
        "Let anyone create an operator account at /signup, confirmed by a mailed link (needs mail "
        "settings and base_url). Default: false: admins create accounts.",
    ),
    SettingSpec(
        "worker_sync_interval",
        _int_between(0, 7 * 24 * 3600),
        "a number of seconds, 0 to turn it off",
        "How often `portal worker` runs the Gerrit and Launchpad syncs of every project. Default: 3600.",
    ),
    SettingSpec(
        "worker_index_interval",
        _int_between(0, 24 * 3600),
        "a number of seconds, 0 to turn it off",
        "How often `portal worker` brings the search index up to date. Default: 30.",
    ),
    SettingSpec(
        "worker_alerts_interval",
        _int_between(0, 24 * 3600),
        "a number of seconds, 0 to turn it off",
        "How often `portal worker` matches new events and delivers pending notifications. Default: 60.",
    ),
    SettingSpec(
        "worker_digest_interval",
        _int_between(0, 24 * 3600),
        "a number of seconds, 0 to turn it off",
        "How often `portal worker` looks for users whose digest hour has come. Default: 300.",
    ),
    SettingSpec(
        "testing",
        _parse_bool,
        "true or false",
        "Test mode: cheap password hashing, no generated secret. Never in production.",
    ),
)
SPEC_BY_NAME = {spec.name: spec for spec in SPECS}


@dataclass(frozen=True)
class Settings:
    """The validated, immutable configuration of one portal instance."""

    instance_path: Path
    database_url: str
    secret_key: str = field(repr=False)
    https: bool = False
    proxy_hops: int = 0
    session_hours: int = 12
    login_max_failures_per_account_and_address: int = 5
    login_max_failures_per_account: int = 50
    login_max_failures_per_address: int = 20
    login_window_minutes: int = 15
    comment_rate_limit: int = 10
    comment_rate_window_minutes: int = 10
    page_size: int = 50
    base_url: str = ""
    log_level: str = "INFO"
    http_timeout: float = 30.0
    http_retries: int = 3
    http_contact: str = ""
    http_allow_private: bool = False
    gerrit_url: str = "https://review.opendev.org"
    gerrit_user: str = ""
    gerrit_password: str = field(default="", repr=False)
    gerrit_page_size: int = 100
    launchpad_url: str = "https://api.launchpad.net"
    launchpad_page_size: int = 100
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = field(default="", repr=False)
    oidc_scopes: str = "openid profile email"
    oidc_roles_claim: str = ""
    oidc_group_roles: dict[str, str] = field(default_factory=dict)
    oidc_allow_http: bool = False
    ldap_url: str = ""
    ldap_user_base: str = ""
    ldap_user_filter: str = "(uid={username})"
    ldap_bind_dn: str = ""
    ldap_bind_password: str = field(default="", repr=False)
    ldap_group_roles: dict[str, str] = field(default_factory=dict)
    ldap_group_base: str = ""
    ldap_group_filter: str = "(|(member={dn})(uniqueMember={dn}))"
    ldap_ca_file: str = ""
    ldap_timeout: float = 5.0
    ldap_allow_plain: bool = False
    search_backend: str = "whoosh"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_tls: str = "none"
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_timeout: float = 30.0
    mail_from: str = ""
    webhook_allow_http: bool = False
    webhook_allow_private: bool = False
    webhook_timeout: float = 10.0
    self_signup: bool = False
    worker_sync_interval: int = 3600
    worker_index_interval: int = 30
    worker_alerts_interval: int = 60
    worker_digest_interval: int = 300
    testing: bool = False

    def __post_init__(self) -> None:
        """Sign-in settings that only make sense together are checked together (see :func:`_check_sign_in`)."""
        _check_sign_in(self)

    def require_base_url(self, feature: str) -> str:
        """The external base URL for ``feature`` (e.g. "mail notifications"); raise when it is not set.

        Call it at start-up of whatever builds links without a request, so a
        missing setting stops the command with this message instead of
        sending links to the wrong host later.
        """
        if not self.base_url:
            raise SettingsError(
                f"{ENV_PREFIX}BASE_URL is required for {feature}; set it to the URL users reach the portal at "
                f"(e.g. {ENV_PREFIX}BASE_URL=https://bob.example.org, or base_url in {CONFIG_FILE})."
            )
        return self.base_url

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields changed (tests, CLI flags)."""
        return replace(self, **changes)

    @classmethod
    def for_testing(cls, instance_path: Path, database_url: str | None = None, **changes: Any) -> Settings:
        """Settings for tests: everything in ``instance_path``, a throwaway secret."""
        instance_path = Path(instance_path)
        return cls(
            instance_path=instance_path,
            database_url=database_url or f"sqlite:///{instance_path / 'portal.db'}",
            secret_key=secrets.token_urlsafe(48),
            testing=True,
            **changes,
        )


def _check_sign_in(s: Settings) -> None:
    """Refuse an OpenID Connect or LDAP configuration that cannot work, naming what to set."""
    from ipaddress import ip_address
    from urllib.parse import urlsplit

    if s.oidc_issuer:
        host = urlsplit(s.oidc_issuer).hostname or ""
        if not s.oidc_client_id:
            raise SettingsError(
                f"{ENV_PREFIX}OIDC_ISSUER is set but {ENV_PREFIX}OIDC_CLIENT_ID is not: set the client ID "
                "registered for BOB at the provider (or unset the issuer to turn OpenID Connect off)."
            )
        if s.oidc_issuer.startswith("http://"):
            try:
                loopback = host == "localhost" or ip_address(host).is_loopback
            except ValueError:
                loopback = False
            if not (s.oidc_allow_http and loopback):
                raise SettingsError(
                    f"{ENV_PREFIX}OIDC_ISSUER must be an https:// URL (got {s.oidc_issuer}); http:// is accepted "
                    f"only for a loopback address with {ENV_PREFIX}OIDC_ALLOW_HTTP=true (tests)."
                )
    if s.ldap_url and not s.ldap_user_base:
        raise SettingsError(
            f"{ENV_PREFIX}LDAP_URL is set but {ENV_PREFIX}LDAP_USER_BASE is not: set the DN under which users "
            "are searched, e.g. ou=people,dc=example,dc=org."
        )
    if bool(s.ldap_bind_dn) != bool(s.ldap_bind_password):
        raise SettingsError(
            f"Set both {ENV_PREFIX}LDAP_BIND_DN and {ENV_PREFIX}LDAP_BIND_PASSWORD (the service account), "
            "or neither (anonymous search)."
        )


def default_instance_path() -> Path:
    return Path.cwd() / "instance"


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    create_secret: bool = True,
) -> Settings:
    """Read the settings of this process; raise :class:`SettingsError` on bad input.

    ``create_secret`` writes ``<instance>/secret_key`` when no secret is
    configured, so a fresh machine runs without set-up and every worker of
    the same instance shares the key.
    """
    environ = os.environ if environ is None else environ
    raw: dict[str, tuple[Any, str]] = {}

    instance_raw = environ.get(ENV_PREFIX + "INSTANCE_PATH")
    if instance_raw is not None:
        raw["instance_path"] = (instance_raw, f"environment variable {ENV_PREFIX}INSTANCE_PATH")
    instance_path = (
        _parse_one("instance_path", *raw["instance_path"]) if "instance_path" in raw else default_instance_path()
    )

    config_file = instance_path / CONFIG_FILE
    for name, value in _read_config_file(config_file).items():
        if name == "instance_path":
            raise SettingsError(
                f"{config_file}: 'instance_path' cannot be set inside the instance folder's own "
                f"config file; set {ENV_PREFIX}INSTANCE_PATH instead."
            )
        raw[name] = (value, f"{config_file} key '{name}'")

    for spec in SPECS:
        env_name = ENV_PREFIX + spec.name.upper()
        if env_name in environ:
            raw[spec.name] = (environ[env_name], f"environment variable {env_name}")

    values: dict[str, Any] = {"instance_path": instance_path}
    for name, (value, origin) in raw.items():
        if name != "instance_path":
            values[name] = _parse_one(name, value, origin)

    values.setdefault("database_url", f"sqlite:///{instance_path / 'portal.db'}")
    if "secret_key" not in values:
        values["secret_key"] = _instance_secret(
            instance_path, create=create_secret, testing=values.get("testing", False)
        )
    return Settings(**values)


def _parse_one(name: str, value: Any, origin: str) -> Any:
    spec = SPEC_BY_NAME[name]
    try:
        return spec.parse(value)
    except (ValueError, TypeError) as exc:
        shown = "(hidden)" if name in SECRET_SETTINGS else repr(value)
        detail = exc.detail if isinstance(exc, InvalidValue) else ""
        raise SettingsError(
            f"Invalid setting {name} ({origin}): expected {spec.expected}, got {shown}"
            + (f" ({detail})" if detail else "")
            + "."
        ) from exc


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc}). Fix the file or remove it.") from exc
    except UnicodeDecodeError as exc:  # tomllib reads UTF-8 only
        raise SettingsError(
            f"{path}: not UTF-8 text (invalid byte at offset {exc.start}). Save it as UTF-8, "
            f"e.g. iconv -f latin1 -t utf-8 {CONFIG_FILE} > {CONFIG_FILE}.new, then rename it."
        ) from exc
    except OSError as exc:
        raise SettingsError(
            f"{path}: cannot be read ({exc.strerror}). Make it a readable file or remove it."
        ) from exc
    unknown = sorted(set(data) - set(SPEC_BY_NAME))
    if unknown:
        raise SettingsError(
            f"{path}: unknown setting(s) {', '.join(unknown)}. "
            f"Known settings: {', '.join(spec.name for spec in SPECS)}."
        )
    return data


def _instance_secret(instance_path: Path, *, create: bool, testing: bool) -> str:
    """Read or create the instance's secret key; never fall back to a constant."""
    if testing:
        return secrets.token_urlsafe(48)
    secret_file = instance_path / SECRET_FILE
    if secret_file.exists():
        try:
            secret = secret_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not text"
            raise SettingsError(
                f"Cannot read the secret key file {secret_file} ({reason}). Make it a readable text file, "
                f"or delete it to have a new key generated (every login session then ends)."
            ) from exc
        return str(_parse_one("secret_key", secret, str(secret_file)))
    if not create:
        raise SettingsError(
            f"No secret key: set {ENV_PREFIX}SECRET_KEY or let the portal create {secret_file} "
            "(run any `portal` command once with write access to the instance folder)."
        )
    if instance_path.exists() and not instance_path.is_dir():
        raise SettingsError(
            f"The instance folder {instance_path} is a file, not a folder. "
            f"Point {ENV_PREFIX}INSTANCE_PATH at a directory."
        )
    try:
        instance_path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(
            f"Cannot create the instance folder {instance_path}: {exc.strerror}. "
            f"Point {ENV_PREFIX}INSTANCE_PATH at a writable directory."
        ) from exc
    try:
        secret = secrets.token_urlsafe(48)
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secret + "\n")
    except FileExistsError:  # another worker created it first: use theirs
        return str(_parse_one("secret_key", secret_file.read_text().strip(), str(secret_file)))
    except OSError as exc:
        raise SettingsError(
            f"Cannot create the secret key file {secret_file}: {exc.strerror}. "
            f"Make the instance folder writable or set {ENV_PREFIX}SECRET_KEY."
        ) from exc
    return secret


def documented_names() -> list[str]:
    """Setting names, in declaration order (for docs and `--help`)."""
    return [f.name for f in fields(Settings)]
