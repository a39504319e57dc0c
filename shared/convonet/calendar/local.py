"""The local calendar: events live only in our database, marked not synced (`local_only`)."""

from __future__ import annotations

from datetime import datetime

from convonet.calendar import EventData, RemoteEvent


class LocalCalendar:
    """Mirrors nothing: the database row is the event, and there is nothing remote to pull."""

    synced = False

    def insert(self, event: EventData) -> str | None:
        return None

    def patch(self, remote_id: str, event: EventData) -> None:
        return None

    def delete(self, remote_id: str) -> None:
        return None

    def list(self, time_min: datetime, time_max: datetime) -> list[RemoteEvent]:
        return []
