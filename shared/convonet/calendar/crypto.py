"""Encryption of stored calendar tokens (Fernet), keyed by the CALENDAR_TOKEN_KEY secret.

The setting may hold several comma-separated keys to rotate: the first encrypts, every one
decrypts. Each key is any string; its SHA-256 is the Fernet key. `cryptography` loads on the
first seal or unseal, not with the workspace function (about 10 ms of its cold start).
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from typing import TYPE_CHECKING

from convonet.calendar import CalendarAuthError
from convonet.config import get_settings

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet


def seal(plain: str) -> str:
    return _fernet(get_settings().secret("calendar_token_key")).encrypt(plain.encode()).decode()


def unseal(sealed: str) -> str:
    """The plain token; CalendarAuthError when no configured key opens it (key rotated out)."""
    from cryptography.fernet import InvalidToken

    try:
        return _fernet(get_settings().secret("calendar_token_key")).decrypt(sealed).decode()
    except InvalidToken:
        raise CalendarAuthError(401, "The stored calendar grant cannot be read.") from None


@lru_cache(maxsize=4)
def _fernet(secret: str) -> MultiFernet:
    from cryptography.fernet import Fernet, MultiFernet

    keys = [k.strip() for k in secret.split(",") if k.strip()]
    return MultiFernet(
        [Fernet(base64.urlsafe_b64encode(hashlib.sha256(k.encode()).digest())) for k in keys]
    )
