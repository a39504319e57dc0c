"""The `call_token` a Twilio `<Connect><Stream>` passes to the voice gateway's /twilio/media.

The twilio_webhook function verifies the caller (PIN, known caller ID), then hands the media
stream a short-lived token naming that user and the call, signed with the service secret, as
the `<Parameter name="call_token">`. The gateway trusts nothing else in the stream's `start`
event: the token must verify, be unexpired and name the same CallSid Twilio reports.
"""

from __future__ import annotations

from datetime import timedelta

from convonet.auth.hmac_jwt import jwt
from convonet.auth.tokens import ALGORITHM, TokenError
from convonet.clock import get_clock
from convonet.config import get_settings

PARAMETER = "call_token"
AUDIENCE = "convonet-media"
_ISSUER = "twilio_webhook"


def issue_stream_token(user_id: str, call_sid: str) -> str:
    """A token for this call's media stream, valid for MEDIA_STREAM_TOKEN_TTL_S."""
    settings = get_settings()
    now = get_clock().now()
    claims = {
        "iss": _ISSUER,
        "aud": AUDIENCE,
        "sub": user_id,
        "call_sid": call_sid,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=settings.media_stream_token_ttl_s)).timestamp()),
    }
    return jwt.encode(claims, settings.secret("service_token_secret"), algorithm=ALGORITHM)


def verify_stream_token(token: str) -> tuple[str, str]:
    """(user id, call sid) of a valid token; TokenError when forged, expired or malformed."""
    try:
        claims = jwt.decode(
            token,
            get_settings().secret("service_token_secret"),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"verify_exp": False, "verify_iat": False, "require": ["exp", "sub"]},
        )
    except jwt.PyJWTError:
        raise TokenError("invalid_token", "The call token is invalid.") from None
    expires = claims.get("exp")
    call_sid = claims.get("call_sid")
    if not isinstance(expires, int | float) or not isinstance(call_sid, str) or not call_sid:
        raise TokenError("invalid_token", "The call token is malformed.")
    if expires <= get_clock().now().timestamp():
        raise TokenError("token_expired", "The call token has expired.")
    return str(claims["sub"]), call_sid
