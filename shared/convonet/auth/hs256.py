"""Compact HS256 JSON Web Tokens: the only kind Convonet issues or accepts.

PyJWT's import loads `cryptography` for asymmetric algorithms Convonet never uses, about a
tenth of a light function's cold start; HMAC-SHA256 needs only the standard library. The
tokens are standard JWS compact serialisations, byte for byte what PyJWT would issue, and
decoding refuses what PyJWT refuses for our options: another algorithm, a wrong signature, a
missing required claim, another audience, a `nbf` still ahead, a non-string `sub` or `jti`.
Expiry stays the caller's check, against the injectable clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

ALGORITHM = "HS256"
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]*$")


class InvalidToken(Exception):
    """Malformed, wrongly signed, not yet valid or missing a required claim."""


class WrongAudience(InvalidToken):
    """Correctly signed, but meant for another audience."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(segment: str) -> bytes:
    if not _SEGMENT.match(segment):
        raise InvalidToken("invalid base64url segment")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken("invalid base64url segment") from None


def _json_object(segment: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(segment))
    except (UnicodeDecodeError, ValueError):
        raise InvalidToken("segment is not JSON") from None
    if not isinstance(value, dict):
        raise InvalidToken("segment is not a JSON object")
    return value


def _signature(signing_input: str, secret: str) -> bytes:
    return hmac.new(secret.encode(), signing_input.encode("ascii"), hashlib.sha256).digest()


_HEADER = _b64encode(
    json.dumps({"alg": ALGORITHM, "typ": "JWT"}, separators=(",", ":"), sort_keys=True).encode()
)


def encode(claims: Mapping[str, Any], secret: str) -> str:
    """A signed token carrying `claims` (JSON values; times as integer timestamps)."""
    payload = _b64encode(json.dumps(dict(claims), separators=(",", ":")).encode())
    signing_input = f"{_HEADER}.{payload}"
    return f"{signing_input}.{_b64encode(_signature(signing_input, secret))}"


def decode(
    token: str, secret: str, *, audience: str, now: float, required: Iterable[str] = ()
) -> dict[str, Any]:
    """The claims of a token signed with `secret` for `audience`, else InvalidToken.

    `now` (a timestamp from the injectable clock) is only compared with `nbf`.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("not a compact JWS")
    header_segment, payload_segment, signature_segment = parts
    header = _json_object(header_segment)
    if header.get("alg") != ALGORITHM or "crit" in header or "b64" in header:
        raise InvalidToken("unsupported token header")
    expected = _signature(f"{header_segment}.{payload_segment}", secret)
    if not hmac.compare_digest(_b64decode(signature_segment), expected):
        raise InvalidToken("signature mismatch")
    claims = _json_object(payload_segment)
    _check_claims(claims, audience, now, ("aud", *required))
    return claims


def _check_claims(
    claims: dict[str, Any], audience: str, now: float, required: Iterable[str]
) -> None:
    missing = [name for name in required if claims.get(name) is None]
    if missing:
        raise InvalidToken(f"missing claims: {', '.join(missing)}")
    not_before = claims.get("nbf")
    if not_before is not None and (not isinstance(not_before, int | float) or not_before > now):
        raise InvalidToken("the token is not valid yet")
    for name in ("sub", "jti"):
        if name in claims and not isinstance(claims[name], str):
            raise InvalidToken(f"{name} must be a string")
    audiences = claims["aud"]
    if isinstance(audiences, str):
        audiences = [audiences]
    if not isinstance(audiences, list) or not all(isinstance(a, str) for a in audiences):
        raise WrongAudience("the token's audience is malformed")
    if audience not in audiences:
        raise WrongAudience("the token is meant for another audience")
