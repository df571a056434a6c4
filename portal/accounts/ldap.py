"""LDAP and Active Directory sign-in with ldap3: search the user, bind as them, read their groups.

* TLS always, unless an admin allows plain binds: ``ldaps://`` URLs speak
  TLS from the first byte, ``ldap://`` URLs are upgraded with StartTLS
  before any credential is sent; the certificate and the host name are
  checked (``PORTAL_LDAP_CA_FILE`` adds a private CA).
* The typed user name only ever enters a filter escaped (RFC 4515,
  ``ldap3.utils.conv.escape_filter_chars``), so ``*`` or ``)(uid=*`` are
  plain characters, and the bind uses the DN the search returned, never one
  built from input. An empty password is refused before any bind (LDAP
  treats a bind with a DN and no password as an anonymous success).
* A directory that cannot be reached raises :class:`DirectoryUnavailable`;
  callers never fall back to anything else for an LDAP account.
"""

from __future__ import annotations

import logging
import math
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ldap3 import NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from portal.errors import PortalError
from portal.settings import Settings

log = logging.getLogger(__name__)

USER_ATTRIBUTES = ["mail", "displayName", "cn", "memberOf"]


class DirectoryUnavailable(PortalError):
    """The directory did not answer (or TLS failed): LDAP accounts cannot sign in now (503)."""

    code = "directory_unavailable"
    status = 503


@dataclass(frozen=True)
class DirectoryConfig:
    url: str
    user_base: str
    user_filter: str
    bind_dn: str
    bind_password: str
    group_base: str
    group_filter: str
    group_roles: dict[str, str]
    ca_file: str
    timeout: float
    allow_plain: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> DirectoryConfig | None:
        if not settings.ldap_url:
            return None
        return cls(settings.ldap_url, settings.ldap_user_base, settings.ldap_user_filter, settings.ldap_bind_dn,
                   settings.ldap_bind_password, settings.ldap_group_base, settings.ldap_group_filter,
                   dict(settings.ldap_group_roles), settings.ldap_ca_file, settings.ldap_timeout,
                   settings.ldap_allow_plain)

    @property
    def host(self) -> str:
        """Its identity in ``external_identities.issuer``: the host (so a new port or scheme keeps links)."""
        return (urlsplit(self.url).hostname or "").lower()

    @property
    def transport(self) -> str:
        if self.url.startswith("ldaps://"):
            return "LDAPS"
        return "plain (no TLS)" if self.allow_plain else "StartTLS"


@dataclass(frozen=True)
class DirectoryAccount:
    dn: str
    username: str
    email: str | None
    display_name: str
    groups: tuple[str, ...]  # group DNs, lowercased


class _CheckedTls(Tls):  # type: ignore[misc]
    """TLS with the standard library's own host name check (ldap3's uses the deprecated ``ssl.match_hostname``)."""

    def __init__(self, host: str, ca_file: str) -> None:
        super().__init__(validate=ssl.CERT_REQUIRED)
        self._context = ssl.create_default_context(cafile=ca_file or None)
        self._host = host

    def wrap_socket(self, connection: Any, do_handshake: bool = False) -> None:
        connection.socket = self._context.wrap_socket(
            connection.socket, server_side=False, do_handshake_on_connect=do_handshake, server_hostname=self._host
        )


def _server(config: DirectoryConfig) -> Server:
    parts = urlsplit(config.url)
    host = parts.hostname or ""
    secure = parts.scheme == "ldaps"
    return Server(host, port=parts.port or (636 if secure else 389), use_ssl=secure,
                  tls=_CheckedTls(host, config.ca_file), get_info=NONE, connect_timeout=config.timeout)


def _unavailable(config: DirectoryConfig, exc: Exception) -> DirectoryUnavailable:
    log.warning("LDAP directory %s unreachable: %s: %s", config.url, type(exc).__name__, exc)
    return DirectoryUnavailable(
        "The directory is unreachable, so directory accounts cannot sign in right now (local accounts still "
        "can). Try again in a few minutes; if it persists, tell your portal admin "
        "(Admin → Sign-in methods tests the connection)."
    )


def _open(config: DirectoryConfig, user: str | None = None, password: str | None = None) -> tuple[Connection, bool]:
    """A connection with TLS in place, then bound; returns it and whether the bind succeeded."""
    conn = Connection(_server(config), user=user, password=password, auto_bind=False, read_only=True,
                      receive_timeout=max(1, math.ceil(config.timeout)), raise_exceptions=False, auto_referrals=False)
    try:
        conn.open()
        if config.url.startswith("ldap://") and not config.allow_plain and not conn.start_tls():
            raise _unavailable(config, RuntimeError(f"StartTLS refused: {conn.result}"))
        bound = bool(conn.bind())
    except (LDAPException, OSError) as exc:
        _close(conn)
        raise _unavailable(config, exc) from exc
    except DirectoryUnavailable:
        _close(conn)
        raise
    return conn, bound


def _close(conn: Connection) -> None:
    """Close whatever is left of a connection that failed half-way (its socket may be dead already)."""
    try:
        conn.unbind()
    except (LDAPException, OSError):
        pass
    sock = getattr(conn, "socket", None)
    if sock is not None:
        try:
            sock.close()
        except OSError:
            pass


def _service(config: DirectoryConfig) -> Connection:
    conn, bound = _open(config, config.bind_dn or None, config.bind_password or None)
    if not bound:
        description = conn.result.get("description") if isinstance(conn.result, dict) else conn.result
        _close(conn)
        log.error("LDAP service bind as %r failed: %s", config.bind_dn or "(anonymous)", description)
        raise DirectoryUnavailable(
            "The directory refused the portal's own account, so directory accounts cannot sign in right now. "
            "Tell your portal admin (check PORTAL_LDAP_BIND_DN and PORTAL_LDAP_BIND_PASSWORD)."
        )
    return conn


def user_filter(config: DirectoryConfig, username: str) -> str:
    """The search filter for ``username``, escaped: input can never add a filter of its own."""
    return config.user_filter.replace("{username}", escape_filter_chars(username))


def _attribute(entry: dict[str, Any], name: str) -> str:
    value = entry.get(name)
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "")


def _find(conn: Connection, config: DirectoryConfig, username: str) -> tuple[str, dict[str, Any]] | None:
    try:
        conn.search(config.user_base, user_filter(config, username), search_scope=SUBTREE,
                    attributes=USER_ATTRIBUTES, size_limit=2)
    except LDAPException as exc:
        raise _unavailable(config, exc) from exc
    results = [r for r in conn.response or [] if r.get("type") == "searchResEntry"]
    if len(results) != 1:  # none, or ambiguous: never guess which entry is meant
        if len(results) > 1:
            log.warning("LDAP user filter matched several entries for one name; fix PORTAL_LDAP_USER_FILTER")
        return None
    return str(results[0]["dn"]), dict(results[0].get("attributes") or {})


def _groups(conn: Connection, config: DirectoryConfig, dn: str, attributes: dict[str, Any]) -> tuple[str, ...]:
    if not config.group_base:
        member_of = attributes.get("memberOf") or []
        return tuple(sorted(str(g).lower() for g in (member_of if isinstance(member_of, list) else [member_of])))
    try:
        conn.search(config.group_base, config.group_filter.replace("{dn}", escape_filter_chars(dn)),
                    search_scope=SUBTREE, attributes=[])
    except LDAPException as exc:
        raise _unavailable(config, exc) from exc
    return tuple(sorted(str(r["dn"]).lower() for r in conn.response or [] if r.get("type") == "searchResEntry"))


def _account(dn: str, username: str, attributes: dict[str, Any], groups: tuple[str, ...]) -> DirectoryAccount:
    return DirectoryAccount(
        dn=dn, username=username, email=_attribute(attributes, "mail") or None,
        display_name=(_attribute(attributes, "displayName") or _attribute(attributes, "cn"))[:128], groups=groups,
    )


def valid_login_name(username: str) -> bool:
    return 0 < len(username) <= 254 and "\x00" not in username and username == username.strip()


def authenticate(config: DirectoryConfig, username: str, password: str) -> DirectoryAccount | None:
    """The directory account when ``username`` and ``password`` are right; ``None`` when they are not.

    Raises :class:`DirectoryUnavailable` when the directory cannot say.
    """
    if not password or not valid_login_name(username):
        return None
    service = _service(config)
    try:
        found = _find(service, config, username)
        if found is None:
            return None
        dn, attributes = found
        user_conn, bound = _open(config, dn, password)
        try:
            if not bound:
                return None
            groups = _groups(service if config.bind_dn else user_conn, config, dn, attributes)
        finally:
            _close(user_conn)
    finally:
        _close(service)
    return _account(dn, username, attributes, groups)


def find_account(config: DirectoryConfig, username: str) -> DirectoryAccount | None:
    """Look a user up with the service account (admins linking accounts, the configuration test)."""
    if not valid_login_name(username):
        return None
    service = _service(config)
    try:
        found = _find(service, config, username)
        if found is None:
            return None
        dn, attributes = found
        return _account(dn, username, attributes, _groups(service, config, dn, attributes))
    finally:
        _close(service)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    step: str
    message: str


def check(config: DirectoryConfig) -> list[CheckResult]:
    """The admin's configuration test: connect with TLS, bind as the service account, search the user base."""
    results: list[CheckResult] = []
    who = f"the service account {config.bind_dn}" if config.bind_dn else "anonymously"
    try:
        conn, bound = _open(config, config.bind_dn or None, config.bind_password or None)
    except DirectoryUnavailable as exc:
        cause = exc.__cause__ or exc.__context__
        detail = f"{type(cause).__name__}: {cause}" if cause else exc.message
        hint = ("The certificate is not trusted or does not name the host: set PORTAL_LDAP_CA_FILE to the CA "
                "that signed it, and use the host name the certificate names in PORTAL_LDAP_URL."
                if "certif" in detail.lower() or "ssl" in detail.lower()
                else "Check PORTAL_LDAP_URL (host and port) and that the directory is up and reachable from here.")
        return [CheckResult(False, f"connect to {config.url} ({config.transport})", f"{detail}. {hint}")]
    results.append(CheckResult(True, f"connect to {config.url} ({config.transport})", "connected"))
    try:
        if not bound:
            description = conn.result.get("description") if isinstance(conn.result, dict) else conn.result
            results.append(CheckResult(False, f"bind {who}", f"refused ({description}). Check PORTAL_LDAP_BIND_DN "
                                       "and PORTAL_LDAP_BIND_PASSWORD."))
            return results
        results.append(CheckResult(True, f"bind {who}", "accepted"))
        try:
            conn.search(config.user_base, "(objectClass=*)", search_scope=SUBTREE, attributes=[], size_limit=5)
        except LDAPException as exc:
            results.append(CheckResult(False, f"search {config.user_base}", f"{exc}"))
            return results
        description = conn.result.get("description") if isinstance(conn.result, dict) else ""
        if description not in ("success", "sizeLimitExceeded"):
            results.append(CheckResult(False, f"search {config.user_base}",
                                       f"the directory answered {description}. Check PORTAL_LDAP_USER_BASE and "
                                       f"that {who} may read it."))
        else:
            count = sum(1 for r in conn.response or [] if r.get("type") == "searchResEntry")
            results.append(CheckResult(True, f"search {config.user_base}", f"readable ({count} entries seen)"))
    finally:
        _close(conn)
    return results
