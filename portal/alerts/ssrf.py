"""Where a webhook may go: check a user's URL and pin the one address it is delivered to.

A webhook URL is typed by a user, so it must not make BOB call its own host,
the cloud's metadata service (169.254.169.254) or the private network
behind it. Checking the name and then letting the HTTP client resolve it
again would leave a DNS-rebinding gap (a name that answers a public address
to the check and 127.0.0.1 to the connect), so :func:`pin` resolves the
host exactly once, checks every address, and returns a :class:`Pinned`
target whose :meth:`Pinned.request_url` names the checked IP; the sender
keeps the name in the ``Host`` header and as the TLS server name (SNI and
certificate check), see ``portal.alerts.webhook``.

Literal IPs in other spellings (``2130706433``, ``0177.0.0.1``,
``[::ffff:127.0.0.1]``) reach the system resolver, which reads them the
way the C library does, and are refused like the dotted form.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from portal import net
from portal.errors import AddressNotAllowed
from portal.settings import Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOW_HTTP = "PORTAL_WEBHOOK_ALLOW_HTTP"
ALLOW_PRIVATE = "PORTAL_WEBHOOK_ALLOW_PRIVATE"
MAX_URL_LENGTH = 2000  # Subscription.webhook_url


@dataclass(frozen=True)
class Pinned:
    """A checked webhook URL and the one address BOB connects to for it."""

    url: str  # as the user entered it (trimmed)
    scheme: str
    host: str  # the name, for the Host header and TLS (SNI, certificate)
    port: int
    target: str  # path and query
    address: Address

    def request_url(self) -> httpx.URL:
        """The URL with its host replaced by the checked address: nothing resolves the name again."""
        shown = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return httpx.URL(f"{self.scheme}://{shown}:{self.port}{self.target}")

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return shown if self.port == default else f"{shown}:{self.port}"


def validate_webhook_url(url: str, settings: Settings) -> str:
    """The URL, trimmed, if BOB may POST to it; else :class:`AddressNotAllowed` saying what to do.

    For the subscription form and API: the same checks as a delivery
    (scheme, host, every address the name resolves to now).
    """
    return pin(url, settings).url


def pin(url: str, settings: Settings) -> Pinned:
    """Check ``url`` against the webhook rules and resolve its host once; the result is what to connect to."""
    text = url.strip()
    if not text:
        raise _refused("Enter the URL BOB should POST to, such as https://hooks.example.org/bob.", "missing")
    if len(text) > MAX_URL_LENGTH:
        raise _refused(f"The URL is longer than {MAX_URL_LENGTH} characters; use a shorter one.", "too long")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "http" and not settings.webhook_allow_http:
        raise _refused(
            f"http:// is not allowed; use https:// or ask an admin to set {ALLOW_HTTP}=true "
            "(the payload and its signature would cross the network in clear).",
            "http not allowed",
        )
    if scheme not in ("http", "https"):
        raise _refused(f"A webhook URL starts with https://; {text!r} does not. Enter an https:// URL.", "not https")
    if parts.username is not None or parts.password is not None:
        raise _refused("Put no user name or password in the URL; BOB signs each request instead (X-BOB-Signature).",
                       "credentials in URL")
    host = parts.hostname
    if not host:
        raise _refused(f"{text!r} has no host name. Enter a full URL such as https://hooks.example.org/bob.",
                       "no host")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise _refused(f"The host name in {text!r} is not a valid international name ({exc}).",
                           "invalid host") from exc
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise _refused(f"{text!r} is not a valid URL ({exc}). Check the port (1 to 65535) and the host.",
                       "invalid") from exc
    addresses = net.resolve_host(host, port, text)
    if not addresses:
        raise _refused(f"The host name {host} resolves to no address. Check the URL.", "host not found")
    if not settings.webhook_allow_private:
        for address in addresses:
            kind = net.non_public_kind(address)
            if kind:
                raise _refused(
                    f"{host} points at {address}, a {kind} address; BOB does not send webhooks to itself or to "
                    f"private networks. Use a public address, or ask an admin to set {ALLOW_PRIVATE}=true "
                    "if the receiver runs on this network.",
                    f"{kind} address",
                )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    pinned = Pinned(url=text, scheme=scheme, host=host, port=port, target=target, address=addresses[0])
    try:
        pinned.request_url()
    except httpx.InvalidURL as exc:
        raise _refused(f"{text!r} is not a valid URL ({exc}). Check the path and the query.", "invalid") from exc
    return pinned


def _refused(message: str, field: str) -> AddressNotAllowed:
    return AddressNotAllowed(message, fields={"url": field})
