"""Password hashing with Argon2id (argon2-cffi); parameters upgrade transparently on login.

Parameters are OWASP's recommended Argon2id minimum (19 MiB, 2 passes, 1 lane): strong
against GPU cracking while a login stays cheap on a fraction of a vCPU.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A real hash to verify against when the user is unknown, so timing reveals nothing."""
    return hash_password("convonet-timing-equaliser")
