"""Calendar port: where a user's calendar events are mirrored.

`google.py` syncs through the Google Calendar API v3 with the user's OAuth token; `local.py`
keeps events only in our own database (marked not synced), so `make dev` works with no
account. The domain (convonet.domain.calendar) picks one per user and never sees HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class EventData:
    title: str
    starts_at: datetime
    ends_at: datetime
    description: str | None = None
    location: str | None = None


@dataclass(frozen=True)
class RemoteEvent:
    """An event as the remote calendar has it; `data` is None when it was cancelled."""

    id: str
    data: EventData | None


class CalendarError(Exception):
    """The remote calendar refused or failed; `status` is its HTTP status (0: unreachable)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    @property
    def gone(self) -> bool:
        return self.status in (404, 410)


class CalendarAuthError(CalendarError):
    """The user's grant no longer works (revoked or expired refresh token): reconnect."""


class CalendarBackend(Protocol):
    synced: bool

    def insert(self, event: EventData) -> str | None:
        """Create the event remotely; its remote id (None when nothing is mirrored)."""

    def patch(self, remote_id: str, event: EventData) -> None: ...

    def delete(self, remote_id: str) -> None: ...

    def list(self, time_min: datetime, time_max: datetime) -> list[RemoteEvent]: ...
