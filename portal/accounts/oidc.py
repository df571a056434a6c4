"""OpenID Connect sign-in: the authorization code flow with PKCE, state and nonce, verified ID tokens.

No Flask here: the web layer keeps the :class:`PendingSignIn` of a browser
in its session between :func:`begin` and :func:`finish`. authlib builds the
protocol messages (authorization URL, PKCE challenge, token request) and
validates the ID token's claims (issuer, audience, expiry with leeway,
nonce, ``azp``, ``at_hash``); joserfc (authlib's own JOSE library, which
authlib now delegates to) checks the signature against the provider's
JWKS. HTTP goes through :mod:`portal.net` (timeouts, User-Agent; the token
request is never retried: a code is single-use).

Every refusal is an :class:`OidcRefused` whose message tells the user what
to do; the technical reason goes to the log (never a token or a secret).
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from portal import net
from portal.clock import now
from portal.errors import AuthenticationRequired, PortalError, RemoteRequestFailed
from portal.settings import Settings

log = logging.getLogger(__name__)

PENDING_MAX_AGE = 600  # seconds a browser may spend at the provider
CLOCK_SKEW_LEEWAY = 120  # seconds of clock difference tolerated on exp, iat and nbf
METADATA_TTL = 3600
JWKS_MIN_REFRESH = 60  # an unknown key id refetches the JWKS at most this often
SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]


class OidcRefused(AuthenticationRequired):
    """The sign-in was not accepted; the message says what to do next."""


class ProviderUnavailable(PortalError):
    """The provider could not be reached or answered nonsense (502)."""

    code = "upstream_error"
    status = 502


@dataclass(frozen=True)
class ProviderConfig:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    roles_claim: str
    group_roles: dict[str, str]

    @classmethod
    def from_settings(cls, settings: Settings) -> ProviderConfig | None:
        if not settings.oidc_issuer:
            return None
        return cls(settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret,
                   settings.oidc_scopes, settings.oidc_roles_claim, dict(settings.oidc_group_roles))

    @property
    def name(self) -> str:
        """What the login button calls the provider: its host."""
        return urlsplit(self.issuer).hostname or self.issuer


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    code_challenge_methods: tuple[str, ...]


@dataclass
class PendingSignIn:
    """What one browser's sign-in must match when it comes back; kept in that browser's session only."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    started_at: float
    purpose: str = "login"  # or "link": add the identity to the signed-in account ``user_id``
    user_id: int | None = None
    next_url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> PendingSignIn | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(**data)
        except TypeError:
            return None


@dataclass(frozen=True)
class VerifiedClaims:
    """The ID token's claims once every check passed."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str
    preferred_username: str
    groups: tuple[str, ...] | None  # None: no roles claim configured
    claims: dict[str, Any] = field(repr=False)


@dataclass
class _Cache:
    lock: threading.Lock = field(default_factory=threading.Lock)
    metadata: dict[str, tuple[float, Metadata]] = field(default_factory=dict)
    jwks: dict[str, tuple[float, KeySet]] = field(default_factory=dict)


_cache = _Cache()


def forget_cached_provider() -> None:
    """Drop cached discovery documents and keys (tests; an admin's configuration test)."""
    with _cache.lock:
        _cache.metadata.clear()
        _cache.jwks.clear()


def http_client(settings: Settings) -> httpx.Client:
    return net.client_from_settings(settings)


def _policy(settings: Settings) -> net.RetryPolicy:
    return net.RetryPolicy.from_settings(settings, retries=min(settings.http_retries, 1))


def _get_json(client: httpx.Client, settings: Settings, url: str, what: str) -> dict[str, Any]:
    try:
        response = net.get(client, url, policy=_policy(settings),
                           advice=f"Check PORTAL_OIDC_ISSUER and that the provider is up ({what}).")
    except RemoteRequestFailed as exc:
        raise ProviderUnavailable(f"The sign-in provider could not be reached: {exc.message}") from exc
    try:
        data = response.json()
    except ValueError as exc:
        raise ProviderUnavailable(f"The sign-in provider's {what} at {url} is not JSON. "
                                  "Check PORTAL_OIDC_ISSUER.") from exc
    if not isinstance(data, dict):
        raise ProviderUnavailable(f"The sign-in provider's {what} at {url} is not a JSON object.")
    return data


def discover(config: ProviderConfig, client: httpx.Client, settings: Settings) -> Metadata:
    """The provider's endpoints from ``<issuer>/.well-known/openid-configuration`` (cached for an hour)."""
    with _cache.lock:
        cached = _cache.metadata.get(config.issuer)
    if cached is not None and time.monotonic() - cached[0] < METADATA_TTL:
        return cached[1]
    url = config.issuer.rstrip("/") + "/.well-known/openid-configuration"
    data = _get_json(client, settings, url, "discovery document")
    if data.get("issuer") != config.issuer:
        raise ProviderUnavailable(
            f"The discovery document at {url} names the issuer {data.get('issuer')!r}, not {config.issuer!r}. "
            "Set PORTAL_OIDC_ISSUER to exactly the issuer the provider names (trailing slash included)."
        )
    missing = [key for key in ("authorization_endpoint", "token_endpoint", "jwks_uri")
               if not isinstance(data.get(key), str)]
    if missing:
        raise ProviderUnavailable(f"The discovery document at {url} lacks {', '.join(missing)}; "
                                  "is PORTAL_OIDC_ISSUER an OpenID Connect provider?")
    metadata = Metadata(
        issuer=config.issuer,
        authorization_endpoint=data["authorization_endpoint"],
        token_endpoint=data["token_endpoint"],
        jwks_uri=data["jwks_uri"],
        code_challenge_methods=tuple(str(m) for m in data.get("code_challenge_methods_supported") or ()),
    )
    with _cache.lock:
        _cache.metadata[config.issuer] = (time.monotonic(), metadata)
    return metadata


def _keys(metadata: Metadata, client: httpx.Client, settings: Settings, *, refresh: bool = False) -> KeySet:
    with _cache.lock:
        cached = _cache.jwks.get(metadata.jwks_uri)
    age = time.monotonic() - cached[0] if cached is not None else None
    if cached is not None and age is not None and (not refresh or age < JWKS_MIN_REFRESH) and age < METADATA_TTL:
        return cached[1]
    data = _get_json(client, settings, metadata.jwks_uri, "key set (JWKS)")
    try:
        keys = KeySet.import_key_set(data)  # type: ignore[arg-type]
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise ProviderUnavailable(f"The sign-in provider's key set at {metadata.jwks_uri} cannot be read "
                                  f"({exc}).") from exc
    with _cache.lock:
        _cache.jwks[metadata.jwks_uri] = (time.monotonic(), keys)
    return keys


def begin(
    config: ProviderConfig,
    client: httpx.Client,
    settings: Settings,
    *,
    redirect_uri: str,
    purpose: str = "login",
    user_id: int | None = None,
    next_url: str | None = None,
) -> tuple[str, PendingSignIn]:
    """The provider URL to send the browser to, and what its return must match."""
    metadata = discover(config, client, settings)
    pending = PendingSignIn(
        state=generate_token(43), nonce=generate_token(43), code_verifier=generate_token(64),
        redirect_uri=redirect_uri, started_at=now().timestamp(), purpose=purpose, user_id=user_id,
        next_url=next_url,
    )
    url = prepare_grant_uri(
        metadata.authorization_endpoint, config.client_id, "code", redirect_uri=redirect_uri,
        scope=config.scopes, state=pending.state, nonce=pending.nonce,
        code_challenge=create_s256_code_challenge(pending.code_verifier), code_challenge_method="S256",
    )
    return url, pending


def _refused(message: str, reason: str) -> OidcRefused:
    log.warning("OpenID Connect sign-in refused: %s", reason)
    return OidcRefused(message)


AGAIN = "Start again from the login page."


def check_state(pending: PendingSignIn | None, args: Mapping[str, str]) -> PendingSignIn:
    """The pending sign-in this answer belongs to, or a refusal (forged, replayed or stale answers)."""
    state = args.get("state", "")
    if pending is None:
        raise _refused(f"This sign-in answer does not belong to a sign-in started in this browser (or was "
                       f"already used). {AGAIN}", "no pending sign-in in this session")
    if not state or not hmac.compare_digest(state.encode(), pending.state.encode()):
        raise _refused(f"This sign-in answer does not match the sign-in started in this browser. {AGAIN}",
                       "state mismatch")
    if now().timestamp() - pending.started_at > PENDING_MAX_AGE:
        raise _refused(f"The sign-in took longer than {PENDING_MAX_AGE // 60} minutes. {AGAIN}", "pending expired")
    if args.get("error"):
        detail = str(args.get("error_description") or args["error"])[:200]
        raise _refused(f"The sign-in provider did not sign you in ({detail}). {AGAIN}",
                       f"provider error {args['error']!r}")
    if not args.get("code"):
        raise _refused(f"The sign-in provider sent no authorization code. {AGAIN}", "no code")
    return pending


def finish(
    config: ProviderConfig,
    client: httpx.Client,
    settings: Settings,
    pending: PendingSignIn,
    code: str,
) -> VerifiedClaims:
    """Exchange the code (with the PKCE verifier) and verify the ID token; the caller ran :func:`check_state`."""
    metadata = discover(config, client, settings)
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": pending.redirect_uri,
            "code_verifier": pending.code_verifier, "client_id": config.client_id}
    auth = (config.client_id, config.client_secret) if config.client_secret else None
    try:
        response = client.post(metadata.token_endpoint, data=body, auth=auth or httpx.USE_CLIENT_DEFAULT,
                               headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(f"The sign-in provider's token endpoint {metadata.token_endpoint} could not "
                                  f"be reached ({type(exc).__name__}). Try again in a minute.") from exc
    try:
        tokens = response.json()
    except ValueError:
        tokens = {}
    if response.status_code != 200 or not isinstance(tokens, dict) or not isinstance(tokens.get("id_token"), str):
        error = tokens.get("error") if isinstance(tokens, dict) else None
        raise _refused(f"The sign-in provider refused to complete this sign-in (the link may have been used "
                       f"already). {AGAIN}", f"token endpoint answered {response.status_code} {error!r}")
    return verify_id_token(config, client, settings, metadata, tokens["id_token"], pending.nonce,
                           access_token=tokens.get("access_token"))


def verify_id_token(
    config: ProviderConfig,
    client: httpx.Client,
    settings: Settings,
    metadata: Metadata,
    id_token: str,
    nonce: str,
    *,
    access_token: object = None,
) -> VerifiedClaims:
    """Signature (JWKS, refetched once for an unknown key id), then claims with :data:`CLOCK_SKEW_LEEWAY`."""
    try:
        try:
            token = jwt.decode(id_token, _keys(metadata, client, settings), algorithms=SIGNING_ALGORITHMS)
        except (JoseError, ValueError):  # perhaps a rotated key: fetch the key set again (rate-limited)
            token = jwt.decode(id_token, _keys(metadata, client, settings, refresh=True),
                               algorithms=SIGNING_ALGORITHMS)
    except (JoseError, ValueError) as exc:
        raise _refused(f"The sign-in provider's answer could not be verified (its signature does not match "
                       f"the provider's keys). {AGAIN}", f"ID token signature: {type(exc).__name__}: {exc}") from exc
    params = {"nonce": nonce, "client_id": config.client_id}
    if isinstance(access_token, str):
        params["access_token"] = access_token
    claims = CodeIDToken(
        token.claims, token.header,
        options={"iss": {"essential": True, "value": config.issuer},
                 "aud": {"essential": True, "value": config.client_id}},
        params=params,
    )
    try:
        claims.validate(now=int(now().timestamp()), leeway=CLOCK_SKEW_LEEWAY)
    except JoseError as exc:
        what = getattr(exc, "claim", "") or str(exc)
        hint = ("it has expired: check that this server's clock is right"
                if "exp" in str(what) or "expired" in str(exc).lower() else f"claim {what} is wrong")
        raise _refused(f"The sign-in provider's answer was not accepted ({hint}). {AGAIN}",
                       f"ID token claims: {type(exc).__name__}: {exc}") from exc
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise _refused(f"The sign-in provider sent no usable subject. {AGAIN}", "sub missing or too long")
    email = claims.get("email")
    return VerifiedClaims(
        issuer=config.issuer,
        subject=subject,
        email=email if isinstance(email, str) and email else None,
        email_verified=claims.get("email_verified") is True,
        name=str(claims.get("name") or "")[:128],
        preferred_username=str(claims.get("preferred_username") or "")[:64],
        groups=_groups(claims, config.roles_claim) if config.roles_claim else None,
        claims=dict(claims),
    )


def _groups(claims: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """The roles claim as a list of strings; a dotted name reaches into objects (Keycloak: realm_access.roles)."""
    value: Any = claims
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, str | int))
    return ()


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    step: str
    message: str


def check(config: ProviderConfig, client: httpx.Client, settings: Settings) -> list[CheckResult]:
    """The admin's configuration test: discovery, issuer, keys, PKCE support (nothing cached is trusted)."""
    forget_cached_provider()
    url = config.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        metadata = discover(config, client, settings)
    except ProviderUnavailable as exc:
        return [CheckResult(False, f"discovery at {url}", exc.message)]
    results = [CheckResult(True, f"discovery at {url}",
                           f"issuer matches; authorization at {metadata.authorization_endpoint}, "
                           f"tokens at {metadata.token_endpoint}")]
    try:
        keys = _keys(metadata, client, settings)
    except ProviderUnavailable as exc:
        results.append(CheckResult(False, f"keys at {metadata.jwks_uri}", exc.message))
        return results
    count = len(keys.keys)
    results.append(CheckResult(count > 0, f"keys at {metadata.jwks_uri}",
                               f"{count} signing key(s)" if count else "no keys: ID tokens cannot be verified"))
    if metadata.code_challenge_methods and "S256" not in metadata.code_challenge_methods:
        results.append(CheckResult(False, "PKCE", "the provider does not list S256 in "
                                   "code_challenge_methods_supported; enable PKCE (S256) for BOB's client there"))
    else:
        results.append(CheckResult(True, "PKCE", "S256 code challenges are sent with every sign-in"))
    return results
