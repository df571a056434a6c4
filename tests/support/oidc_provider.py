"""A real OpenID Connect provider on 127.0.0.1: the ``oidc-provider-mock`` package, plus what tests need.

``oidc-provider-mock`` (Thomas Scholtes, github.com/geigerzaehler/oidc-provider-mock,
MIT, releases since 2025; built on authlib's server side) serves discovery,
JWKS, an authorization form (type a ``sub``, press "Authorize"), the token
endpoint and ``PUT /users/<sub>`` to set a user's claims. On top of it, in
the same Flask app:

* **PKCE is enforced** as Keycloak does: the ``code_challenge`` sent to the
  authorization endpoint is remembered per issued code and the token
  request must bring the matching ``code_verifier`` (S256), else
  ``invalid_grant``. The mock alone accepts any verifier.
* **Misbehaviour on demand** (``provider.tamper = ...``): ``"other-key"``
  re-signs the ID token with a key the JWKS does not hold (same ``kid``);
  ``"expired"`` re-signs it with the real key but an ``exp`` an hour ago.

Use :func:`sign_in_at_provider` to do what a user does at the provider's
form, over real HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import flask
import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

with warnings.catch_warnings():
    # The mock imports authlib.jose, which authlib now marks deprecated (in favour of joserfc).
    warnings.simplefilter("ignore", DeprecationWarning)
    import oidc_provider_mock

CLIENT_ID = "bob-portal"
CLIENT_SECRET = "bob-client-secret"  # noqa: S105 (a throwaway test provider)


@dataclass
class Provider:
    url: str
    tamper: str | None = None
    challenges: dict[str, str] = field(default_factory=dict)  # code -> code_challenge
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def settings(self, **changes: object) -> dict[str, object]:
        """Settings overrides for BOB to use this provider."""
        return {"oidc_issuer": self.url, "oidc_client_id": CLIENT_ID, "oidc_client_secret": CLIENT_SECRET,
                "oidc_allow_http": True} | changes

    def set_user(self, sub: str, **claims: Any) -> None:
        """The claims the provider puts in this user's ID token (over its own HTTP API)."""
        response = httpx.put(f"{self.url}/users/{sub}", json=claims)
        assert response.status_code == 204, response.text


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _build_app(provider: Provider) -> flask.Flask:
    app = flask.Flask("oidc_provider_mock")  # its templates (the authorization form) live in that package
    app.secret_key = "test-provider"  # noqa: S105
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        oidc_provider_mock.init_app(app, require_nonce=True)

    @app.before_request
    def enforce_pkce() -> Any:
        request = flask.request
        if request.path != "/oauth2/token" or request.form.get("grant_type") != "authorization_code":
            return None
        provider.token_requests.append(dict(request.form))
        challenge = provider.challenges.pop(request.form.get("code", ""), None)
        verifier = request.form.get("code_verifier", "")
        if challenge is None or not verifier or _s256(verifier) != challenge:
            return flask.jsonify(error="invalid_grant", error_description="PKCE verification failed"), 400
        return None

    @app.after_request
    def remember_and_tamper(response: flask.Response) -> flask.Response:
        request = flask.request
        if request.path == "/oauth2/authorize" and request.method == "POST" and response.status_code == 302:
            code = parse_qs(urlsplit(response.headers["Location"]).query).get("code", [""])[0]
            if code and request.args.get("code_challenge_method") == "S256":
                provider.challenges[code] = request.args.get("code_challenge", "")
        if request.path == "/oauth2/token" and response.status_code == 200 and provider.tamper:
            body = response.get_json()
            response.set_data(flask.json.dumps(body | {"id_token": _tampered(body["id_token"], provider.tamper)}))
        return response

    return app


def _tampered(id_token: str, how: str) -> str:
    storage = flask.g.oidc_provider_mock_storage
    real = RSAKey.import_key(storage.jwk.as_dict(is_private=True))
    header_b64, payload_b64, _ = id_token.split(".")
    header = flask.json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    claims = flask.json.loads(base64.urlsafe_b64decode(payload_b64 + "=" * (-len(payload_b64) % 4)))
    kid = header.get("kid") or real.kid
    if how == "other-key":
        key = RSAKey.generate_key(2048, parameters={"kid": kid} if kid else None)
    elif how == "expired":
        key = real
        claims |= {"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}
    else:
        raise ValueError(how)
    return jwt.encode({"alg": header["alg"]} | ({"kid": kid} if kid else {}), claims, key)


@contextmanager
def running_provider() -> Iterator[Provider]:
    provider = Provider(url="")
    server = make_server("127.0.0.1", 0, _build_app(provider), threaded=True)
    provider.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def sign_in_at_provider(authorize_url: str, sub: str) -> str:
    """What the user does at the provider: submit the form as ``sub``; returns the redirect back to BOB."""
    response = httpx.post(authorize_url, data={"sub": sub})
    assert response.status_code == 302, response.text
    return response.headers["Location"]
