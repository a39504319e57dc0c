"""Who a voice session belongs to: PIN, JWT or resume token, and the session's stored state.

- A PIN is checked against the keyed hash in the database. Failures count against the PIN
  source (the client's IP and its connection) and, once a user is known, that user; reaching
  PIN_MAX_FAILURES locks the source for PIN_LOCKOUT_WINDOW_S (`retry_after_s`). There is no
  default PIN: only users' own PINs open a session.
- The server issues the session id. Its state (user, language, providers, the one resume token
  that is currently valid) lives in the StateStore, so a client that dropped can reconnect to
  its conversation on any instance with `authenticate {resume_token}`.
- A resume token is signed, short-lived (VOICE_RESUME_TTL_S), bound to the user and the
  session, and single-use (claimed with create-if-absent); only the newest one issued for a
  session is accepted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from convonet.auth.hmac_jwt import jwt
from convonet.auth.tokens import ALGORITHM, TokenError, decode_user_token
from convonet.clock import get_clock
from convonet.config import get_settings
from convonet.state import get_state_store

SESSIONS = "voice_sessions"
USED_RESUME_TOKENS = "voice_resume_used"
_RESUME_AUDIENCE = "convonet-voice-resume"


class AccessDenied(Exception):
    """Authentication refused; `reason` goes into `auth_failed`."""

    def __init__(self, reason: str, retry_after_s: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Identity:
    user_id: str
    user_name: str
    roles: frozenset[str] = frozenset({"user"})
    team_ids: tuple[str, ...] = ()
    llm_provider: str | None = None
    locale: str = "en"


@dataclass
class SessionState:
    """What a resumed connection needs back (kept in the StateStore)."""

    session_id: str
    user_id: str
    channel: str
    language: str = "en"
    providers: dict[str, str] = field(default_factory=dict)

    def doc(self, resume_jti: str) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "channel": self.channel,
            "language": self.language,
            "providers": dict(self.providers),
            "resume_jti": resume_jti,
        }


def load_identity(user_id: str) -> Identity | None:
    """The active user's name, roles, teams and settings, read fresh from the database."""
    from sqlalchemy import select

    from convonet.db.engine import session_scope
    from convonet.db.models import TeamMembership, User

    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            return None
        teams = session.scalars(
            select(TeamMembership.team_id).where(TeamMembership.user_id == user_id)
        )
        return Identity(
            user_id=user.id,
            user_name=user.display_name,
            roles=frozenset(user.roles or ["user"]),
            team_ids=tuple(sorted(str(t) for t in teams)),
            llm_provider=user.llm_provider,
            locale=user.locale or "en",
        )


def identity_for_pin(pin: str, sources: tuple[str, ...]) -> Identity:
    """The PIN's user, or AccessDenied (`invalid_pin`, `locked` with retry_after_s)."""
    from convonet.auth.users import pin_limiter, user_for_pin

    limiter = pin_limiter()
    _refuse_if_locked(limiter, sources)
    user_id = user_for_pin(pin)
    identity = load_identity(user_id) if user_id else None
    if identity is None:
        locks = [limiter.record_failure(source) for source in sources]
        locked = [lock for lock in locks if lock is not None]
        if locked:
            raise AccessDenied("locked", max(locked))
        raise AccessDenied("invalid_pin")
    _refuse_if_locked(limiter, (f"user:{identity.user_id}",))
    for source in sources:
        limiter.reset(source)
    return identity


def identity_for_token(token: str) -> Identity:
    try:
        claims = decode_user_token(token, "access")
    except TokenError as exc:
        raise AccessDenied(exc.code) from None
    identity = load_identity(claims.sub)
    if identity is None:
        raise AccessDenied("account_disabled")
    return identity


def _refuse_if_locked(limiter: Any, subjects: tuple[str, ...]) -> None:
    waits = [w for w in (limiter.retry_after_s(s) for s in subjects) if w is not None]
    if waits:
        raise AccessDenied("locked", max(waits))


# Session state and resume tokens ----------------------------------------------------------------


def new_session_id() -> str:
    return uuid.uuid4().hex


def save_session(state: SessionState) -> str:
    """Store the session and return a fresh resume token (the only valid one from now on, so
    each call also retires the previous token)."""
    token, jti = _issue_resume_token(state.user_id, state.session_id)
    ttl = get_settings().voice_session_ttl_s
    get_state_store().set(SESSIONS, state.session_id, state.doc(jti), ttl_s=ttl)
    return token


def resume_session(token: str) -> tuple[Identity, SessionState]:
    """The session a resume token names; AccessDenied when forged, expired, used, superseded
    or bound to another user."""
    settings = get_settings()
    try:
        claims = jwt.decode(
            token,
            settings.secret("jwt_secret"),
            algorithms=[ALGORITHM],
            audience=_RESUME_AUDIENCE,
            options={"verify_exp": False, "require": ["exp", "sub", "sid", "jti"]},
        )
    except jwt.PyJWTError:
        raise AccessDenied("invalid_resume_token") from None
    if claims["exp"] <= get_clock().now().timestamp():
        raise AccessDenied("resume_token_expired")
    store = get_state_store()
    if store.get(USED_RESUME_TOKENS, str(claims["jti"])) is not None:
        raise AccessDenied("resume_token_used")
    doc = store.get(SESSIONS, str(claims["sid"]))
    if doc is None or doc.get("user_id") != claims["sub"] or doc.get("resume_jti") != claims["jti"]:
        raise AccessDenied("invalid_resume_token")
    ttl = settings.voice_resume_ttl_s
    if not store.create(USED_RESUME_TOKENS, str(claims["jti"]), {"sid": claims["sid"]}, ttl_s=ttl):
        raise AccessDenied("resume_token_used")
    identity = load_identity(str(claims["sub"]))
    if identity is None:
        raise AccessDenied("account_disabled")
    state = SessionState(
        session_id=str(claims["sid"]),
        user_id=identity.user_id,
        channel=str(doc.get("channel") or "voice"),
        language=str(doc.get("language") or "en"),
        providers={str(k): str(v) for k, v in (doc.get("providers") or {}).items()},
    )
    return identity, state


def _issue_resume_token(user_id: str, session_id: str) -> tuple[str, str]:
    settings = get_settings()
    now = get_clock().now()
    jti = uuid.uuid4().hex
    claims = {
        "iss": "voice_gateway",
        "aud": _RESUME_AUDIENCE,
        "sub": user_id,
        "sid": session_id,
        "jti": jti,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=settings.voice_resume_ttl_s)).timestamp()),
    }
    return jwt.encode(claims, settings.secret("jwt_secret"), algorithm=ALGORITHM), jti
