"""JWTs: user access and refresh tokens, and the short-lived internal service token.

Claims follow ARCHITECTURE §10. Expiry is checked against the injectable clock (not PyJWT's
own `time.time()`), so tests can step time instead of waiting. A service token may also carry
what the issuing service verified about the caller beyond who they are: `phone`, the E.164
number Twilio reported for a signed call, so tools can default to the caller's number.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from convonet.auth.hmac_jwt import jwt
from convonet.clock import get_clock
from convonet.config import get_settings

ALGORITHM = "HS256"
ISSUER = "convonet"
USER_AUDIENCE = "convonet"
SERVICE_AUDIENCE = "convonet-internal"
ROLES = ("user", "agent", "supervisor", "staff", "admin")

TokenType = Literal["access", "refresh"]
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class TokenError(Exception):
    """The token is missing, malformed, tampered, expired or of the wrong kind."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class UserClaims:
    sub: str
    roles: tuple[str, ...]
    team_ids: tuple[str, ...]
    typ: TokenType
    jti: str
    exp: datetime
    family: str | None = None


@dataclass(frozen=True)
class ServiceClaims:
    act: str
    caller: str
    exp: datetime
    phone: str | None = None


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: datetime


def issue_user_token(
    sub: str,
    roles: list[str] | tuple[str, ...],
    team_ids: list[str] | tuple[str, ...],
    typ: TokenType,
    *,
    family: str | None = None,
) -> IssuedToken:
    settings = get_settings()
    ttl = settings.access_token_ttl_s if typ == "access" else settings.refresh_token_ttl_s
    now = get_clock().now()
    jti = uuid.uuid4().hex
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": USER_AUDIENCE,
        "sub": sub,
        "roles": list(roles),
        "team_ids": list(team_ids),
        "typ": typ,
        "jti": jti,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
    }
    if family:
        claims["fam"] = family
    token = jwt.encode(claims, settings.secret("jwt_secret"), algorithm=ALGORITHM)
    return IssuedToken(token, jti, _from_ts(claims["exp"]))


def decode_user_token(token: str, typ: TokenType) -> UserClaims:
    claims = _decode(token, get_settings().secret("jwt_secret"), USER_AUDIENCE)
    if claims.get("typ") != typ:
        raise TokenError("wrong_token_type", f"An {typ} token is required.")
    try:
        return UserClaims(
            sub=str(claims["sub"]),
            roles=tuple(str(r) for r in claims.get("roles", [])),
            team_ids=tuple(str(t) for t in claims.get("team_ids", [])),
            typ=typ,
            jti=str(claims["jti"]),
            exp=_from_ts(claims["exp"]),
            family=claims.get("fam"),
        )
    except (KeyError, TypeError, ValueError):
        raise TokenError("invalid_token", "The token is malformed.") from None


def issue_service_token(act: str, caller: str, *, phone: str | None = None) -> str:
    """A 60-second token a service (voice gateway, Twilio function) sends for a user it verified;
    `phone` is the caller's number when the service verified it (a signed Twilio call)."""
    if phone is not None and not _E164.match(phone):
        raise ValueError(f"not an E.164 number: {phone!r}")
    settings = get_settings()
    now = get_clock().now()
    claims: dict[str, Any] = {
        "iss": caller,
        "aud": SERVICE_AUDIENCE,
        "act": act,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=settings.service_token_ttl_s)).timestamp()),
    }
    if phone is not None:
        claims["phone"] = phone
    return jwt.encode(claims, settings.secret("service_token_secret"), algorithm=ALGORITHM)


def decode_service_token(token: str) -> ServiceClaims:
    claims = _decode(token, get_settings().secret("service_token_secret"), SERVICE_AUDIENCE)
    if not claims.get("act"):
        raise TokenError("invalid_token", "The service token names no user.")
    phone = claims.get("phone")
    if phone is not None and not (isinstance(phone, str) and _E164.match(phone)):
        raise TokenError("invalid_token", "The service token's phone is not an E.164 number.")
    return ServiceClaims(
        act=str(claims["act"]),
        caller=str(claims.get("iss", "")),
        exp=_from_ts(claims["exp"]),
        phone=phone,
    )


def _decode(token: str, secret: str, audience: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            options={"verify_exp": False, "verify_iat": False, "require": ["exp", "aud"]},
        )
    except jwt.InvalidAudienceError:
        raise TokenError("invalid_token", "The token is not meant for this service.") from None
    except jwt.PyJWTError:
        raise TokenError(
            "invalid_token", "The token is malformed or its signature is wrong."
        ) from None
    if not isinstance(claims.get("exp"), int | float):
        raise TokenError("invalid_token", "The token has no valid expiry.")
    if _from_ts(claims["exp"]) <= get_clock().now():
        raise TokenError("token_expired", "The token has expired.")
    return claims


def _from_ts(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)
