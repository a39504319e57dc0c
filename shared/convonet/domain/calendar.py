"""Calendar events, the Google Calendar connection and sync.

Events always live in our database; when the owner has connected Google Calendar every change
is mirrored at once, and when Google cannot be reached the change is kept and marked for the
next sync (`local_only` / `dirty` / `deleted` tombstones) - a caller never loses an edit to
an outage. Without a connection (or with no OAuth client configured) the local calendar is
used: events are real but marked not synced. Only the owner sees or changes an event.

Connecting is an OAuth authorization-code flow: `start_connection` signs a short-lived
single-use `state` naming the user; `finish_connection` (the redirect target, which carries
no bearer token) trusts only that state. Tokens are stored encrypted and can be revoked.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from convonet.auth.hmac_jwt import jwt
from convonet.calendar import (
    CalendarAuthError,
    CalendarBackend,
    CalendarError,
    EventData,
    RemoteEvent,
)
from convonet.calendar.crypto import seal, unseal
from convonet.calendar.google import GoogleCalendar, GoogleOAuth
from convonet.calendar.local import LocalCalendar
from convonet.clock import get_clock
from convonet.config import get_settings
from convonet.db.models import CalendarConnection, CalendarEvent, User
from convonet.domain.errors import Conflict, Invalid, NotFound, Unavailable
from convonet.domain.productivity import Page, check_id, iso, paged, to_utc
from convonet.state import get_state_store

log = logging.getLogger("convonet.calendar")

STATE_AUDIENCE = "convonet-calendar-oauth"
STATE_COLLECTION = "calendar_oauth_states"
TOKEN_EARLY_REFRESH_S = 60
MAX_EVENT_DAYS = 366
_CHANGEABLE = ("title", "description", "location", "starts_at", "ends_at")
_PENDING = ("local_only", "dirty", "deleted")
T = TypeVar("T")


def event_dict(event: CalendarEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "title": event.title,
        "description": event.description,
        "location": event.location,
        "starts_at": iso(event.starts_at),
        "ends_at": iso(event.ends_at),
        "synced": event.sync_state == "synced",
        "sync_state": event.sync_state,
    }


# Events ------------------------------------------------------------------------------------


def create_event(
    session: Session,
    user_id: str,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    timezone: str | None = None,
    description: str | None = None,
    location: str | None = None,
) -> dict[str, Any]:
    event = CalendarEvent(
        owner_id=user_id,
        title=title,
        description=description,
        location=location,
        sync_state="local_only",
    )
    _set_times(event, to_utc(starts_at, timezone, "start"), to_utc(ends_at, timezone, "end"))
    session.add(event)
    session.flush()
    remote = _Remote(session, user_id)
    _push(remote, event)
    session.flush()
    return remote.annotate(event_dict(event))


def list_events(
    session: Session,
    user_id: str,
    *,
    after: datetime | None = None,
    before: datetime | None = None,
    timezone: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """Events not yet over at `after` (default now) and starting before `before`, in order."""
    start = to_utc(after, timezone, "after time") if after else get_clock().now()
    stmt = select(CalendarEvent).where(
        CalendarEvent.owner_id == user_id,
        CalendarEvent.sync_state != "deleted",
        CalendarEvent.ends_at > start,
    )
    if before:
        stmt = stmt.where(CalendarEvent.starts_at < to_utc(before, timezone, "before time"))
    stmt = stmt.order_by(CalendarEvent.starts_at, CalendarEvent.id)
    return paged(session, stmt, event_dict, limit, offset)


def get_event(session: Session, user_id: str, event_id: str) -> dict[str, Any]:
    return event_dict(_owned(session, user_id, event_id))


def update_event(
    session: Session, user_id: str, event_id: str, *, timezone: str | None = None, **changes: Any
) -> dict[str, Any]:
    event = _owned(session, user_id, event_id)
    unknown = set(changes) - set(_CHANGEABLE)
    if unknown:
        raise Invalid(f"An event has no field {sorted(unknown)[0]}.")
    if any(changes.get(f, "x") is None for f in ("title", "starts_at", "ends_at")):
        raise Invalid("An event needs a title, a start and an end.")
    starts = changes.pop("starts_at", None)
    ends = changes.pop("ends_at", None)
    _set_times(
        event,
        to_utc(starts, timezone, "start") if starts else event.starts_at,
        to_utc(ends, timezone, "end") if ends else event.ends_at,
    )
    for field, value in changes.items():
        setattr(event, field, value)
    remote = _Remote(session, user_id)
    _push(remote, event)
    session.flush()
    return remote.annotate(event_dict(event))


def delete_event(session: Session, user_id: str, event_id: str) -> None:
    """Delete the event here and in Google Calendar (or leave a tombstone for the next sync)."""
    event = _owned(session, user_id, event_id)
    remote = _Remote(session, user_id)
    gone = event.google_event_id is None or _remove(remote, event.google_event_id)
    if gone:
        session.delete(event)
    else:
        event.sync_state = "deleted"
    session.flush()


def sync_calendar(session: Session, user_id: str) -> dict[str, Any]:
    """Push pending changes to Google Calendar, then pull its events around today.

    Never raises for Google's failures after it starts: what was mirrored stays recorded
    (raising would roll back the ids of events Google already has, and duplicate them).
    """
    remote = _Remote(session, user_id)
    if not remote.backend.synced:
        kept = _count(session, user_id, ("local_only", "dirty", "synced"))
        return {
            "connected": False,
            "local_events": kept,
            "message": f"Google Calendar is not connected; your {kept} events are kept in "
            "Convonet. Connect it in the workspace settings to sync.",
        }
    pushed = 0
    for event in _events(session, user_id, ("local_only", "dirty")):
        _push(remote, event)
        pushed += event.sync_state == "synced"
    removed = 0
    for event in _events(session, user_id, ("deleted",)):
        if event.google_event_id is None or _remove(remote, event.google_event_id):
            session.delete(event)
            removed += 1
    pulled, dropped = _pull(session, user_id, remote)
    session.flush()
    return remote.annotate(
        {
            "connected": remote.connection is not None,
            "sent_to_google": pushed,
            "deleted_in_google": removed,
            "received_from_google": pulled,
            "removed_here": dropped,
        }
    )


# Connection --------------------------------------------------------------------------------


def connection_status(session: Session, user_id: str, *, probe: bool = False) -> dict[str, Any]:
    """Whether Google Calendar is set up and connected; `probe` also tries the grant."""
    connection = _active_connection(session, user_id)
    status: dict[str, Any] = {
        "provider": "google",
        "configured": GoogleOAuth().configured,
        "connected": connection is not None,
        "connected_at": iso(connection.connected_at) if connection else None,
        "scope": connection.scope if connection else None,
        "pending_changes": _count(session, user_id, _PENDING),
    }
    if probe and connection is not None and status["configured"]:
        remote = _Remote(session, user_id)
        now = get_clock().now()
        remote.run(lambda b: b.list(now, now + timedelta(hours=1)))
        status["working"] = remote.problem is None
        status["connected"] = remote.connection is not None
        remote.annotate(status)
    return status


def start_connection(user_id: str, redirect_uri: str) -> dict[str, Any]:
    """The Google consent URL to send the user to, with a signed single-use state."""
    oauth = GoogleOAuth()
    if not oauth.configured:
        raise Unavailable(
            "Google Calendar is not set up on this server; your events are kept in Convonet.",
            "calendar_not_configured",
        )
    settings = get_settings()
    now = get_clock().now()
    ttl = settings.calendar_oauth_state_ttl_s
    state = jwt.encode(
        {
            "aud": STATE_AUDIENCE,
            "sub": user_id,
            "nonce": uuid.uuid4().hex,
            "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        },
        settings.secret("jwt_secret"),
        algorithm="HS256",
    )
    return {"authorization_url": oauth.authorization_url(state, redirect_uri), "expires_in": ttl}


def finish_connection(
    session: Session, *, state: str, code: str, redirect_uri: str
) -> dict[str, Any]:
    """Complete the flow Google redirected back from; the state alone names the user."""
    user_id, nonce = _verify_state(state)
    if session.get(User, user_id) is None:
        raise Invalid("The account that started this connection no longer exists.")
    ttl = get_settings().calendar_oauth_state_ttl_s
    if not get_state_store().create(STATE_COLLECTION, nonce, {"user_id": user_id}, ttl_s=ttl):
        raise Conflict("This calendar connection link was already used; start again.")
    try:
        tokens = GoogleOAuth().exchange_code(code, redirect_uri)
    except CalendarAuthError:
        raise Invalid(
            "Google did not accept the authorization code; start the connection again.",
            "invalid_grant",
        ) from None
    except CalendarError as exc:
        raise Unavailable(f"Google could not complete the connection: {exc.message}") from None
    now = get_clock().now()
    connection = session.scalar(
        select(CalendarConnection).where(CalendarConnection.user_id == user_id)
    )
    if tokens.refresh_token is None and (connection is None or connection.revoked_at):
        raise Invalid("Google did not grant offline access; start the connection again.")
    if connection is None:
        connection = CalendarConnection(user_id=user_id, provider="google", connected_at=now)
        session.add(connection)
    if tokens.refresh_token:
        connection.encrypted_refresh_token = seal(tokens.refresh_token)
    connection.encrypted_access_token = seal(tokens.access_token)
    connection.token_expires_at = now + timedelta(seconds=tokens.expires_in)
    connection.scope = tokens.scope
    connection.connected_at = now
    connection.revoked_at = None
    session.flush()
    return connection_status(session, user_id)


def disconnect(session: Session, user_id: str) -> None:
    """Revoke the grant at Google (best effort) and forget the tokens."""
    connection = _active_connection(session, user_id)
    if connection is None:
        raise NotFound("Google Calendar is not connected.")
    try:
        GoogleOAuth().revoke(unseal(connection.encrypted_refresh_token))
    except CalendarError as exc:
        log.warning("calendar grant revocation failed: %s", exc.message)
    _forget_tokens(connection)
    session.flush()


# Internals ---------------------------------------------------------------------------------


class _Remote:
    """The user's calendar backend for one operation, and what went wrong with it.

    After the first failure no further remote call is made in this operation; an auth failure
    (grant revoked at Google) also disconnects the user locally.
    """

    def __init__(self, session: Session, user_id: str) -> None:
        self.connection = _active_connection(session, user_id)
        self.problem: str | None = None
        self.backend: CalendarBackend = LocalCalendar()
        if self.connection is not None and GoogleOAuth().configured:
            self.backend = GoogleCalendar(self._access_token)

    def run(self, call: Callable[[CalendarBackend], T]) -> T | None:
        if self.problem is not None:
            return None
        try:
            return call(self.backend)
        except CalendarAuthError:
            if self.connection is not None:
                _forget_tokens(self.connection)
                self.connection = None
            self.problem = "Google Calendar access was revoked; connect it again to sync."
        except CalendarError as exc:
            self.problem = f"Google Calendar is unavailable ({exc.message}); it will sync later."
        return None

    def annotate(self, result: dict[str, Any]) -> dict[str, Any]:
        if self.problem is not None:
            result["sync_note"] = self.problem
        return result

    def _access_token(self, force_refresh: bool) -> str:
        connection = self.connection
        if connection is None:
            raise CalendarAuthError(401, "Google Calendar is not connected.")
        now = get_clock().now()
        fresh_until = now + timedelta(seconds=TOKEN_EARLY_REFRESH_S)
        expires = connection.token_expires_at
        if (
            not force_refresh
            and connection.encrypted_access_token
            and expires
            and expires > fresh_until
        ):
            return unseal(connection.encrypted_access_token)
        tokens = GoogleOAuth().refresh(unseal(connection.encrypted_refresh_token))
        connection.encrypted_access_token = seal(tokens.access_token)
        connection.token_expires_at = now + timedelta(seconds=tokens.expires_in)
        if tokens.refresh_token:
            connection.encrypted_refresh_token = seal(tokens.refresh_token)
        return tokens.access_token


def _push(remote: _Remote, event: CalendarEvent) -> None:
    """Mirror the event; on any failure mark it for the next sync."""
    remote_id = remote.run(lambda b: _upsert(b, event)) if remote.backend.synced else None
    if remote_id:
        event.google_event_id = remote_id
        event.sync_state = "synced"
    else:
        event.sync_state = "dirty" if event.google_event_id else "local_only"


def _upsert(backend: CalendarBackend, event: CalendarEvent) -> str | None:
    data = _data(event)
    if event.google_event_id:
        try:
            backend.patch(event.google_event_id, data)
            return event.google_event_id
        except CalendarError as exc:
            if not exc.gone or isinstance(exc, CalendarAuthError):
                raise
    return backend.insert(data)


def _remove(remote: _Remote, remote_id: str) -> bool:
    """True when the remote copy is gone (deleted now, or already)."""
    if not remote.backend.synced:
        return False

    def delete(backend: CalendarBackend) -> bool:
        try:
            backend.delete(remote_id)
        except CalendarError as exc:
            if not exc.gone or isinstance(exc, CalendarAuthError):
                raise
        return True

    return bool(remote.run(delete))


def _pull(session: Session, user_id: str, remote: _Remote) -> tuple[int, int]:
    now = get_clock().now()
    days = timedelta(days=get_settings().calendar_sync_days)
    found: list[RemoteEvent] = remote.run(lambda b: b.list(now - days, now + days)) or []
    pulled = dropped = 0
    for item in found:
        local = session.scalar(
            select(CalendarEvent).where(
                CalendarEvent.owner_id == user_id, CalendarEvent.google_event_id == item.id
            )
        )
        if item.data is None:
            if local is not None and local.sync_state == "synced":
                session.delete(local)
                dropped += 1
            continue
        if local is None:
            local = CalendarEvent(owner_id=user_id, google_event_id=item.id)
            session.add(local)
        elif local.sync_state != "synced":
            continue  # our pending edit wins; it is pushed on the next sync
        local.title = item.data.title
        local.description = item.data.description
        local.location = item.data.location
        local.starts_at, local.ends_at = item.data.starts_at, item.data.ends_at
        local.sync_state = "synced"
        pulled += 1
    return pulled, dropped


def _set_times(event: CalendarEvent, starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise Invalid("An event must end after it starts.")
    if ends_at - starts_at > timedelta(days=MAX_EVENT_DAYS):
        raise Invalid(f"An event cannot last more than {MAX_EVENT_DAYS} days.")
    event.starts_at, event.ends_at = starts_at, ends_at


def _data(event: CalendarEvent) -> EventData:
    return EventData(
        title=event.title,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        description=event.description,
        location=event.location,
    )


def _owned(session: Session, user_id: str, event_id: str) -> CalendarEvent:
    event = session.get(CalendarEvent, check_id(event_id, "event"))
    if event is None or event.owner_id != user_id or event.sync_state == "deleted":
        raise NotFound("There is no calendar event with that id in your calendar.")
    return event


def _events(session: Session, user_id: str, states: tuple[str, ...]) -> list[CalendarEvent]:
    return list(
        session.scalars(
            select(CalendarEvent)
            .where(CalendarEvent.owner_id == user_id, CalendarEvent.sync_state.in_(states))
            .order_by(CalendarEvent.starts_at, CalendarEvent.id)
        )
    )


def _count(session: Session, user_id: str, states: tuple[str, ...]) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                CalendarEvent.owner_id == user_id, CalendarEvent.sync_state.in_(states)
            )
        )
        or 0
    )


def _active_connection(session: Session, user_id: str) -> CalendarConnection | None:
    return session.scalar(
        select(CalendarConnection).where(
            CalendarConnection.user_id == user_id, CalendarConnection.revoked_at.is_(None)
        )
    )


def _forget_tokens(connection: CalendarConnection) -> None:
    connection.revoked_at = get_clock().now()
    connection.encrypted_refresh_token = ""
    connection.encrypted_access_token = None
    connection.token_expires_at = None


def _verify_state(state: str) -> tuple[str, str]:
    invalid = Invalid(
        "The calendar connection link is invalid or has expired; start again.", "invalid_state"
    )
    try:
        claims = jwt.decode(
            state,
            get_settings().secret("jwt_secret"),
            algorithms=["HS256"],
            audience=STATE_AUDIENCE,
            options={"verify_exp": False, "require": ["exp", "sub", "nonce"]},
        )
    except jwt.PyJWTError:
        raise invalid from None
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= get_clock().now().timestamp():
        raise invalid
    return str(claims["sub"]), str(claims["nonce"])
