"""Random tokens for sessions and API access; only their SHA-256 is ever stored."""

from __future__ import annotations

import hashlib
import secrets

API_TOKEN_PREFIX = "bob_"  # noqa: S105 (a public marker, not a secret)


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
