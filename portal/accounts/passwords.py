"""Password hashing with argon2id (argon2-cffi), rehashed when parameters change."""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from portal.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 256

# RFC 9106 low-memory profile (argon2id, 64 MiB, t=3, p=4): above OWASP's minimum.
_PRODUCTION = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
# Tests hash hundreds of passwords; the cheapest profile keeps them fast.
_TESTING = PasswordHasher.from_parameters(profiles.CHEAPEST)


def hasher(testing: bool = False) -> PasswordHasher:
    return _TESTING if testing else _PRODUCTION


def check_policy(password: str, *, username: str = "") -> None:
    """Reject passwords a sysadmin would call weak, saying exactly why."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"The password is too short: use at least {MIN_LENGTH} characters.", {"password": "too short"}
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"The password is too long: use at most {MAX_LENGTH} characters.", {"password": "too long"})
    if username and password.lower() == username.lower():
        raise InvalidInput("The password must not be the user name.", {"password": "same as user name"})


def hash_password(password: str, *, testing: bool = False) -> str:
    return hasher(testing).hash(password)


def verify_password(stored_hash: str | None, password: str, *, testing: bool = False) -> bool:
    if not stored_hash:
        return False
    try:
        return hasher(testing).verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, *, testing: bool = False) -> bool:
    return hasher(testing).check_needs_rehash(stored_hash)
