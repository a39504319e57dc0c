"""Accounts: registration, password login with lockout, refresh-token rotation, voice PINs.

Login answers the same failure for an unknown email and a wrong password, and spends the same
hashing time on both. Refresh tokens are single-use: each refresh rotates the pair, and a
refresh token presented twice revokes its whole family (a stolen token stops working).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from convonet.auth import passwords, pins
from convonet.auth.lockout import AttemptLimiter
from convonet.auth.tokens import TokenError, decode_user_token, issue_user_token
from convonet.clock import get_clock
from convonet.config import get_settings
from convonet.state import get_state_store

REFRESH_COLLECTION = "refresh_tokens"

ErrorKind = Literal["invalid", "unauthorized", "conflict", "locked", "not_found"]


class AccountError(Exception):
    def __init__(self, kind: ErrorKind, code: str, message: str, retry_after_s: int = 0) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int


@dataclass(frozen=True)
class Profile:
    id: str
    email: str
    display_name: str
    phone_e164: str | None
    roles: tuple[str, ...]
    team_ids: tuple[str, ...]
    has_voice_pin: bool
    agent_extension: str | None
    locale: str


def login_limiter() -> AttemptLimiter:
    s = get_settings()
    return AttemptLimiter("login", s.login_max_failures, s.login_lockout_window_s)


def pin_limiter() -> AttemptLimiter:
    s = get_settings()
    return AttemptLimiter("voice-pin", s.pin_max_failures, s.pin_lockout_window_s)


def register(email: str, password: str, display_name: str, phone_e164: str | None) -> TokenPair:
    from convonet.db.engine import session_scope
    from convonet.db.models import User

    user_id = str(uuid.uuid4())
    try:
        with session_scope() as session:
            session.add(
                User(
                    id=user_id,
                    email=email.lower(),
                    password_hash=passwords.hash_password(password),
                    display_name=display_name,
                    phone_e164=phone_e164,
                    roles=["user"],
                    is_active=True,
                )
            )
    except IntegrityError:
        raise AccountError(
            "conflict", "account_exists", "An account with that email or phone already exists."
        ) from None
    return _issue_pair(user_id, ["user"], [], family=None)


def login(email: str, password: str) -> TokenPair:
    from convonet.db.engine import session_scope
    from convonet.db.models import User

    limiter = login_limiter()
    subject = email.lower()
    retry = limiter.retry_after_s(subject)
    if retry is not None:
        raise _locked(retry)
    with session_scope() as session:
        user = session.scalar(select(User).where(User.email == subject))
        stored_hash = user.password_hash if user is not None else passwords.dummy_hash()
        valid = passwords.verify_password(stored_hash, password)
        if user is None or not valid or not user.is_active:
            locked_for = limiter.record_failure(subject)
            if locked_for is not None:
                raise _locked(locked_for)
            raise AccountError("unauthorized", "invalid_credentials", "Email or password is wrong.")
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
        user.last_login_at = get_clock().now()
        user_id, roles = user.id, list(user.roles or [])
        team_ids = _team_ids(session, user_id)
    limiter.reset(subject)
    return _issue_pair(user_id, roles, team_ids, family=None)


def refresh(refresh_token: str) -> TokenPair:
    try:
        claims = decode_user_token(refresh_token, "refresh")
    except TokenError as exc:
        raise AccountError("unauthorized", exc.code, exc.message) from None
    store = get_state_store()
    previous: dict[str, str] = {}

    def consume(doc: dict[str, object] | None) -> dict[str, object] | None:
        previous["state"] = str(doc.get("state")) if doc else "missing"
        if doc is None or doc.get("state") != "active":
            return doc
        return {**doc, "state": "used"}

    store.transact(REFRESH_COLLECTION, claims.jti, consume)
    family = claims.family or claims.jti
    if previous["state"] != "active":
        if previous["state"] == "used":
            revoke_family(family)
        raise AccountError("unauthorized", "refresh_token_revoked", "Sign in again.")
    identity = load_identity(claims.sub)
    if identity is None:
        revoke_family(family)
        raise AccountError("unauthorized", "account_disabled", "Sign in again.")
    roles, team_ids = identity
    return _issue_pair(claims.sub, list(roles), list(team_ids), family=family)


def logout(refresh_token: str) -> None:
    """Revoke the refresh token's family; an invalid token is already as good as logged out."""
    try:
        claims = decode_user_token(refresh_token, "refresh")
    except TokenError:
        return
    revoke_family(claims.family or claims.jti)


def revoke_family(family: str) -> None:
    store = get_state_store()
    for key, doc in store.query(REFRESH_COLLECTION, where=[("family", "==", family)]):
        store.merge(REFRESH_COLLECTION, key, {**doc, "state": "revoked"})


def profile(user_id: str) -> Profile:
    """The user's profile, read on the read-only engine (it writes nothing)."""
    from convonet.db.engine import read

    return read(lambda session: _profile(session, user_id))


def _profile(session: Session, user_id: str) -> Profile:
    from convonet.db.models import User

    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise AccountError("not_found", "account_not_found", "This account no longer exists.")
    return Profile(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        phone_e164=user.phone_e164,
        roles=tuple(user.roles or []),
        team_ids=tuple(_team_ids(session, user.id)),
        has_voice_pin=user.voice_pin_hash is not None,
        agent_extension=user.agent_extension,
        locale=user.locale,
    )


def set_voice_pin(user_id: str, password: str, pin: str) -> None:
    """Set or change the voice PIN, after re-checking the password (rate-limited per user)."""
    from convonet.db.engine import session_scope
    from convonet.db.models import User

    limiter = AttemptLimiter("pin-change", *_limits())
    retry = limiter.retry_after_s(user_id)
    if retry is not None:
        raise _locked(retry)
    if not pins.is_valid_pin(pin):
        raise AccountError("invalid", "invalid_pin", "A voice PIN is 4 to 8 digits.")
    digest = pins.pin_digest(pin, get_settings().secret("pin_hash_secret"))
    try:
        with session_scope() as session:
            user = session.get(User, user_id)
            if user is None or not user.is_active:
                raise AccountError(
                    "not_found", "account_not_found", "This account no longer exists."
                )
            if not passwords.verify_password(user.password_hash, password):
                locked_for = limiter.record_failure(user_id)
                if locked_for is not None:
                    raise _locked(locked_for)
                raise AccountError("unauthorized", "invalid_credentials", "The password is wrong.")
            user.voice_pin_hash = digest
    except IntegrityError:
        # PINs are unique (the browser signs in by PIN alone). Refusals count as failures so
        # this endpoint cannot be used to discover other people's PINs.
        limiter.record_failure(user_id)
        raise AccountError(
            "conflict", "pin_unavailable", "That PIN cannot be used; choose a different one."
        ) from None
    limiter.reset(user_id)


def user_for_pin(pin: str) -> str | None:
    """The id of the active user with this voice PIN, or None. Callers apply `pin_limiter()`."""
    from convonet.db.engine import session_scope
    from convonet.db.models import User

    if not pins.is_valid_pin(pin):
        return None
    digest = pins.pin_digest(pin, get_settings().secret("pin_hash_secret"))
    with session_scope() as session:
        user = session.scalar(select(User).where(User.voice_pin_hash == digest))
        return user.id if user is not None and user.is_active else None


def load_identity(user_id: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(roles, team ids) of an active user, read fresh from the database."""
    from convonet.db.engine import session_scope
    from convonet.db.models import User

    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            return None
        return tuple(user.roles or []), tuple(_team_ids(session, user_id))


def _team_ids(session: Session, user_id: str) -> list[str]:
    from convonet.db.models import TeamMembership

    rows = session.scalars(select(TeamMembership.team_id).where(TeamMembership.user_id == user_id))
    return sorted(str(r) for r in rows)


def _issue_pair(
    user_id: str, roles: list[str], team_ids: list[str], *, family: str | None
) -> TokenPair:
    settings = get_settings()
    access = issue_user_token(user_id, roles, team_ids, "access")
    refresh_family = family or uuid.uuid4().hex
    refresh_token = issue_user_token(user_id, roles, team_ids, "refresh", family=refresh_family)
    get_state_store().set(
        REFRESH_COLLECTION,
        refresh_token.jti,
        {"user_id": user_id, "family": refresh_family, "state": "active"},
        ttl_s=settings.refresh_token_ttl_s,
    )
    return TokenPair(
        access.token, refresh_token.token, settings.access_token_ttl_s, settings.refresh_token_ttl_s
    )


def _limits() -> tuple[int, int]:
    s = get_settings()
    return s.login_max_failures, s.login_lockout_window_s


def _locked(retry_after_s: int) -> AccountError:
    return AccountError(
        "locked", "too_many_attempts", "Too many failed attempts; try again later.", retry_after_s
    )
