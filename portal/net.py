"""Outbound HTTP: one client builder, one request helper with retries, and address checks.

Every call BOB makes to another server (the Gerrit and Launchpad importers,
later webhooks) goes through here, so they all behave the same way when the
other side misbehaves:

* :func:`build_client` makes an ``httpx.Client`` with separate connect / read /
  write / pool timeouts, a ``User-Agent`` that names BOB, its version and the
  operator's contact (:func:`user_agent`), and deliberate redirects: followed
  up to :data:`MAX_REDIRECTS` hops, never from https to http, the
  ``Authorization`` header dropped when a hop leaves the origin (httpx), and
  every hop checked by :func:`check_url` when the client guards addresses.
* :func:`request` sends one request and retries it (tenacity) after a
  timeout, a refused or broken connection, a 5xx answer or a 429, with
  exponential backoff and jitter, honouring ``Retry-After`` (delta-seconds or
  an HTTP-date) on 429 and 503 up to :attr:`RetryPolicy.retry_after_max`, so
  a hostile server cannot park a worker for hours. The last failure raises
  :class:`portal.errors.RemoteRequestFailed`, whose message names the URL,
  what happened and what to do next. Bodies are read with a size cap.
* :func:`check_url` refuses what a user-entered URL must not reach: other
  schemes than http(s), and hosts that resolve to loopback, private,
  link-local or other non-public addresses (unless ``http_allow_private``).

Waiting goes through :attr:`RetryPolicy.sleep` and HTTP-dates are read
against :attr:`RetryPolicy.now`, so tests inject both instead of sleeping.
"""

from __future__ import annotations

import ipaddress
import logging
import platform
import re
import socket
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import tenacity
from tenacity.wait import wait_base

from portal import __version__, clock
from portal.errors import AddressNotAllowed, RemoteRequestFailed
from portal.settings import Settings

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0  # seconds; a server that does not accept within this is down for us
MAX_REDIRECTS = 5
MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # decoded body; Gerrit pages and spec files are far smaller
RETRY_AFTER_MAX = 120.0  # seconds we wait at most, whatever Retry-After says
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# 501 (not implemented) and 505 (version not supported) do not get better by asking again.
_PERMANENT_5XX = frozenset({501, 505})
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_DIGITS = re.compile(r"^\d{1,12}$")

Sleep = Callable[[float], None]
Clock = Callable[[], datetime]


def user_agent(contact: str = "") -> str:
    """``BOB/<version> (operator blueprint review portal; +<contact>) httpx/<v> Python/<v>``.

    Upstream admins (OpenDev, Launchpad) ask crawlers to say who they are and
    how to reach them; the contact is the ``http_contact`` setting.
    """
    comment = "operator blueprint review portal" + (f"; +{contact}" if contact else "")
    return f"BOB/{__version__} ({comment}) httpx/{httpx.__version__} Python/{platform.python_version()}"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long :func:`request` retries; every field can be set by tests.

    The n-th retry waits ``min(backoff_max, backoff_initial * 2**(n-1))``
    plus a random jitter in ``[0, jitter]``, or what ``Retry-After`` asks for
    on a 429 / 503, at most ``retry_after_max``.
    """

    retries: int = 3
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    jitter: float = 1.0
    retry_after_max: float = RETRY_AFTER_MAX
    sleep: Sleep = field(default=time.sleep, compare=False)
    now: Clock = field(default=clock.now, compare=False)

    @property
    def attempts(self) -> int:
        return self.retries + 1

    @classmethod
    def from_settings(cls, settings: Settings, **changes: Any) -> RetryPolicy:
        return replace(cls(retries=settings.http_retries), **changes)


def build_client(
    base_url: str = "",
    *,
    timeout: float,
    user_agent: str,
    auth: httpx.Auth | tuple[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    follow_redirects: bool = True,
    max_redirects: int = MAX_REDIRECTS,
    guard_addresses: bool = False,
    allow_private: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """An ``httpx.Client`` for one remote service; close it (``with``) when the run ends.

    ``timeout`` bounds each wait for the server (read, write, a free pooled
    connection); connecting gets at most :data:`CONNECT_TIMEOUT` of it.
    ``guard_addresses`` checks every request and redirect hop with
    :func:`check_url` (for URLs users enter, e.g. webhooks); configured
    sources (the Gerrit URL) are the admin's choice and are not checked.
    """
    hooks_request: list[Callable[[httpx.Request], None]] = []
    if guard_addresses:

        def guard(request: httpx.Request) -> None:
            check_url(str(request.url), allow_private=allow_private)

        hooks_request.append(guard)
    client_headers = {"User-Agent": user_agent}
    client_headers.update(headers or {})
    return httpx.Client(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
        headers=client_headers,
        auth=auth,
        follow_redirects=follow_redirects,
        max_redirects=max_redirects,
        event_hooks={"request": hooks_request, "response": [_refuse_tls_downgrade]},
        transport=transport,
    )


def client_from_settings(
    settings: Settings,
    base_url: str = "",
    *,
    auth: httpx.Auth | tuple[str, str] | None = None,
    guard_addresses: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """:func:`build_client` with the ``http_*`` settings (timeout, contact, private addresses)."""
    return build_client(
        base_url,
        timeout=settings.http_timeout,
        user_agent=user_agent(settings.http_contact),
        auth=auth,
        guard_addresses=guard_addresses,
        allow_private=settings.http_allow_private,
        transport=transport,
    )


class _RedirectRefused(httpx.RequestError):
    """A hop we will not follow (raised in a response hook, turned into RemoteRequestFailed)."""


def _refuse_tls_downgrade(response: httpx.Response) -> None:
    if not response.has_redirect_location:
        return
    target = response.request.url.join(response.headers["Location"])
    if response.request.url.scheme == "https" and target.scheme != "https":
        raise _RedirectRefused(f"redirected from https to {target.scheme} ({_shown(str(target))})",
                               request=response.request)


# --- requests with retries ---------------------------------------------------------------


class _Retryable(Exception):
    """This attempt failed in a way another attempt may not: tenacity retries on it."""

    def __init__(self, reason: str, detail: str, *, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.status = status
        self.retry_after = retry_after


class _Wait(wait_base):
    """``Retry-After`` when the server sent one (capped), else exponential backoff with jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.backoff = tenacity.wait_exponential(multiplier=policy.backoff_initial, max=policy.backoff_max)
        self.jitter = tenacity.wait_random(0, policy.jitter) if policy.jitter > 0 else tenacity.wait_none()

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, _Retryable) and error.retry_after is not None:
            return min(error.retry_after, self.policy.retry_after_max)
        return float(self.backoff(retry_state) + self.jitter(retry_state))


def request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    policy: RetryPolicy,
    params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    content: bytes | None = None,
    allow_status: Collection[int] = (),
    idempotent: bool | None = None,
    max_bytes: int = MAX_RESPONSE_BYTES,
    advice: str | None = None,
) -> httpx.Response:
    """Send a request, retrying what may pass on another try; return a read 2xx/3xx response.

    A status in ``allow_status`` (e.g. 404 for "no such file at this patch
    set") is returned too. Anything else raises
    :class:`~portal.errors.RemoteRequestFailed`: at once for an answer that
    will not change (400, 401, 403, 404…), after ``policy.retries`` retries
    for timeouts, connection failures, 5xx and 429. Only idempotent methods
    are retried unless ``idempotent=True``. ``advice`` replaces the generic
    "what to do next" of the error message (e.g. "Check PORTAL_GERRIT_URL").
    """
    method = method.upper()
    retry = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
    attempts = policy.attempts if retry else 1
    tries = 0

    def attempt() -> httpx.Response:
        nonlocal tries
        tries += 1
        built = client.build_request(method, url, params=params, headers=headers, json=json, content=content)
        return _send_once(client, built, policy=policy, allow_status=allow_status, max_bytes=max_bytes,
                          advice=advice)

    def log_retry(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        log.warning("%s %s: %s; retry %d of %d in %.1f s", method, _shown(str(_full_url(client, url))),
                    error, state.attempt_number, attempts - 1, wait)

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts),
        wait=_Wait(policy),
        retry=tenacity.retry_if_exception_type(_Retryable),
        sleep=policy.sleep,
        before_sleep=log_retry,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except RemoteRequestFailed as final:  # an answer that will not change, perhaps after retried ones
        final.attempts = tries
        raise
    except _Retryable as failure:
        full = str(_full_url(client, url))
        raise RemoteRequestFailed(
            _failure_message(method, full, failure, tries, policy, advice),
            url=_shown(full), method=method, reason=failure.reason, attempts=tries, upstream_status=failure.status,
        ) from failure.__cause__


def get(client: httpx.Client, url: str, *, policy: RetryPolicy, **kwargs: Any) -> httpx.Response:
    """:func:`request` with GET."""
    return request(client, "GET", url, policy=policy, **kwargs)


def _send_once(
    client: httpx.Client,
    built: httpx.Request,
    *,
    policy: RetryPolicy,
    allow_status: Collection[int],
    max_bytes: int,
    advice: str | None,
) -> httpx.Response:
    """One attempt: a read response, :class:`_Retryable`, or :class:`RemoteRequestFailed` for good."""
    try:
        response = client.send(built, stream=True)
    except httpx.TimeoutException as exc:
        raise _Retryable("timeout", _timeout_detail(client, exc)) from exc
    except httpx.ConnectError as exc:
        reason, detail = _connect_detail(built.url, exc)
        raise _Retryable(reason, detail) from exc
    except httpx.RemoteProtocolError as exc:
        raise _Retryable("closed", f"the server closed the connection without a complete answer ({exc})") from exc
    except (httpx.ReadError, httpx.WriteError, httpx.CloseError, httpx.ProxyError) as exc:
        raise _Retryable("network", f"the connection broke ({exc or type(exc).__name__})") from exc
    except _RedirectRefused as exc:
        raise _final(built, "redirect", f"{exc}; BOB does not follow a redirect that drops TLS",
                     advice or "Use the https address the server should be reached at.") from exc
    except httpx.TooManyRedirects as exc:
        raise _final(built, "redirect", f"more than {client.max_redirects} redirects",
                     advice or "The URL probably loops; use the final address.") from exc
    except httpx.UnsupportedProtocol as exc:
        raise _final(built, "url", f"{exc}", advice or "BOB speaks http:// and https:// only; fix the URL.") from exc
    try:
        status = response.status_code
        if status not in allow_status and ((status >= 500 and status not in _PERMANENT_5XX) or status == 429):
            retry_after = (
                parse_retry_after(response.headers.get("Retry-After"), policy.now())
                if status in _RETRY_AFTER_STATUSES else None
            )
            asked = _asked(response.headers["Retry-After"]) if retry_after is not None else ""
            raise _Retryable("status", f"the server answered {_status_text(response)}{asked}", status=status,
                             retry_after=retry_after)
        body = _read_capped(response, max_bytes, built, advice)
    except httpx.TimeoutException as exc:  # the body stopped arriving
        raise _Retryable("timeout", _timeout_detail(client, exc)) from exc
    except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
        raise _Retryable("closed", f"the connection broke while reading the answer ({exc})") from exc
    except httpx.DecodingError as exc:  # e.g. a truncated gzip body
        raise _Retryable("network", f"the answer could not be decoded ({exc})") from exc
    finally:
        response.close()
    if status >= 400 and status not in allow_status:
        raise _final(built, "status", f"the server answered {_status_text(response)}",
                     advice or _advice_for_status(status), status=status)
    return _with_body(response, body)


def _read_capped(response: httpx.Response, max_bytes: int, built: httpx.Request, advice: str | None) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _final(built, "too_large", f"the answer is {int(declared)} bytes, more than the {max_bytes} BOB reads",
                     advice or "Ask for a smaller page (a lower page size setting).", status=response.status_code)
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise _final(built, "too_large", f"the answer is larger than the {max_bytes} bytes BOB reads",
                         advice or "Ask for a smaller page (a lower page size setting).",
                         status=response.status_code)
        chunks.append(chunk)
    return b"".join(chunks)


def _with_body(response: httpx.Response, body: bytes) -> httpx.Response:
    """A read copy of a streamed response (the body is already decoded, so its encoding header goes)."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in {"content-encoding",
                                                                                      "content-length"}]
    return httpx.Response(
        response.status_code, headers=headers, content=body, request=response.request,
        history=response.history, extensions=response.extensions,
    )


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date); ``None`` if absent or bad."""
    if value is None:
        return None
    text = value.strip()
    if _DIGITS.match(text):
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _asked(header: str) -> str:
    text = header.strip()
    return f" and asked to wait {text} s" if _DIGITS.match(text) else f" and asked to retry at {text}"


def _final(built: httpx.Request, reason: str, detail: str, advice: str, *, status: int | None = None
           ) -> RemoteRequestFailed:
    shown = _shown(str(built.url))
    return RemoteRequestFailed(f"{built.method} {shown} failed: {detail}. {advice}", url=shown,
                               method=built.method, reason=reason, attempts=1, upstream_status=status)


def _failure_message(method: str, url: str, failure: _Retryable, tries: int, policy: RetryPolicy,
                     advice: str | None) -> str:
    times = "once" if tries == 1 else f"{tries} times"
    waited = ""
    if failure.retry_after is not None and failure.retry_after > policy.retry_after_max:
        waited = f" (BOB waits at most {policy.retry_after_max:g} s between tries)"
    next_step = advice or {
        "status": "The service is down or overloaded; run the same command again later.",
        "timeout": "Check that the server is reachable from this host, or raise PORTAL_HTTP_TIMEOUT.",
        "refused": "Check the URL (host and port) and that the service is running.",
        "unresolved": "Check the host name in the URL and this host's DNS.",
    }.get(failure.reason, "Check the URL and the network, then run the same command again.")
    return f"{method} {_shown(url)} failed ({times}): {failure.detail}{waited}. {next_step}"


def _timeout_detail(client: httpx.Client, exc: httpx.TimeoutException) -> str:
    timeout = client.timeout
    if isinstance(exc, httpx.ConnectTimeout):
        return f"could not connect within {timeout.connect:g} s (connect timeout)"
    if isinstance(exc, httpx.PoolTimeout):
        return f"no free connection within {timeout.pool:g} s (pool timeout)"
    if isinstance(exc, httpx.WriteTimeout):
        return f"could not send the request within {timeout.write:g} s (write timeout)"
    return f"no answer within {timeout.read:g} s (read timeout)"


def _connect_detail(url: httpx.URL, exc: httpx.ConnectError) -> tuple[str, str]:
    text = str(exc)
    lowered = text.lower()
    where = f"{url.host}:{url.port or (443 if url.scheme == 'https' else 80)}"
    if "refused" in lowered or "errno 111" in lowered:
        return "refused", f"connection refused: nothing listens at {where}"
    if "name or service not known" in lowered or "name resolution" in lowered or "nodename" in lowered:
        return "unresolved", f"the host name {url.host} could not be resolved"
    return "network", f"could not connect to {where} ({text or type(exc).__name__})"


def _status_text(response: httpx.Response) -> str:
    return f"{response.status_code} {response.reason_phrase}".strip()


def _advice_for_status(status: int) -> str:
    if status in (401, 403):
        return "Check the credentials in the settings and that the account may read this."
    if status == 404:
        return "Check the URL and the names in it (repository, project)."
    return "Check the URL and the request; repeating it unchanged will not help."


def _full_url(client: httpx.Client, url: str) -> httpx.URL:
    return client.base_url.join(url) if client.base_url else httpx.URL(url)


def _shown(url: str) -> str:
    """The URL without its user and password, for messages and logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return parts._replace(netloc=netloc).geturl()


# --- address checks ----------------------------------------------------------------------

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse a URL BOB must not call for a user: not http(s), no host, or a non-public address.

    The host is resolved (literal IPs, ``localhost`` and ``/etc/hosts`` need
    no DNS) and every address it resolves to must be public, unless
    ``allow_private``. A name resolved again at connect time could point
    elsewhere (DNS rebinding); callers that must close that gap connect to
    the checked address themselves.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise AddressNotAllowed(
            f"{_shown(url)} is not an http(s) URL ({scheme or 'no scheme'}); BOB only calls http:// and https:// "
            "addresses. Enter a URL that starts with https://.",
            fields={"url": "not an http(s) URL"},
        )
    host = parts.hostname
    if not host:
        raise AddressNotAllowed(f"{_shown(url)} has no host name. Enter a full URL such as https://example.org/hook.",
                                fields={"url": "no host"})
    if allow_private:
        return
    try:
        port = parts.port
    except ValueError as exc:
        raise AddressNotAllowed(f"{_shown(url)} has an invalid port. Enter a port from 1 to 65535.",
                                fields={"url": "invalid port"}) from exc
    for address in _resolve(host, port or (443 if scheme == "https" else 80), url):
        kind = _non_public_kind(address)
        if kind:
            raise AddressNotAllowed(
                f"{_shown(url)} points at {address}, a {kind} address; BOB does not call this host or private "
                "networks for URLs users enter. Use a public address, or have the admin set "
                "PORTAL_HTTP_ALLOW_PRIVATE=true if this portal must reach its own network.",
                fields={"url": f"{kind} address"},
            )


def resolve_host(host: str, port: int, url: str) -> list[_Address]:
    """Every address ``host`` resolves to, once (a literal IP is itself); :class:`AddressNotAllowed` if none.

    Public for callers that connect to the checked address themselves
    (``portal.alerts.ssrf``, webhooks), so the name is never resolved again.
    """
    return _resolve(host, port, url)


def non_public_kind(address: _Address) -> str:
    """'' for a public unicast address, else what it is ("loopback", "private", …) for a message."""
    return _non_public_kind(address)


def _resolve(host: str, port: int, url: str) -> list[_Address]:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressNotAllowed(f"The host name of {_shown(url)} cannot be resolved ({exc}). Check the URL.",
                                fields={"url": "host not found"}) from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def _non_public_kind(address: _Address) -> str:
    """'' for a public unicast address, else what it is (for the message)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _non_public_kind(address.ipv4_mapped)
    if address.is_loopback:
        return "loopback"
    if address.is_unspecified:
        return "unspecified"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "reserved (non-public)"
    return ""
