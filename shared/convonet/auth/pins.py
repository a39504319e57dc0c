"""Voice PINs: stored as a keyed hash (HMAC-SHA256 with a server secret).

A keyed hash, unlike a salted KDF, gives the same digest for the same PIN, so the browser can
sign in by PIN alone (a unique-indexed lookup) while a database leak reveals no PIN without the
secret, which lives in Secret Manager.
"""

from __future__ import annotations

import hashlib
import hmac
import re

PIN_PATTERN = re.compile(r"^\d{4,8}$")


def is_valid_pin(pin: str) -> bool:
    return bool(PIN_PATTERN.match(pin))


def pin_digest(pin: str, secret: str) -> str:
    return hmac.new(secret.encode(), f"voice-pin:{pin}".encode(), hashlib.sha256).hexdigest()


def pin_matches(pin: str, digest: str, secret: str) -> bool:
    return hmac.compare_digest(pin_digest(pin, secret), digest)
