"""Reminders: something to tell the owner at a time (the dispatcher sends pending ones).

Only the owner sees or changes a reminder. A reminder must be set for the future; moving a
sent or cancelled reminder to a new time makes it pending again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from convonet.clock import get_clock
from convonet.db.models import Reminder
from convonet.domain.errors import Invalid, NotFound
from convonet.domain.productivity import Page, check_id, iso, paged, to_utc

ReminderFilter = Literal["pending", "sent", "cancelled", "all"]
_CHANGEABLE = ("text", "remind_at", "importance", "channel", "status")


def reminder_dict(reminder: Reminder) -> dict[str, Any]:
    return {
        "id": reminder.id,
        "text": reminder.text,
        "remind_at": iso(reminder.remind_at),
        "importance": reminder.importance,
        "channel": reminder.channel,
        "status": reminder.status,
        "created_at": iso(reminder.created_at),
    }


def create_reminder(
    session: Session,
    user_id: str,
    *,
    text: str,
    remind_at: datetime,
    timezone: str | None = None,
    importance: str = "medium",
    channel: str = "sms",
) -> dict[str, Any]:
    reminder = Reminder(
        owner_id=user_id,
        text=text,
        remind_at=_future(remind_at, timezone),
        importance=importance,
        channel=channel,
    )
    session.add(reminder)
    session.flush()
    return reminder_dict(reminder)


def list_reminders(
    session: Session,
    user_id: str,
    *,
    status: ReminderFilter = "pending",
    limit: int = 50,
    offset: int = 0,
) -> Page:
    stmt = select(Reminder).where(Reminder.owner_id == user_id)
    if status != "all":
        stmt = stmt.where(Reminder.status == status)
    stmt = stmt.order_by(Reminder.remind_at, Reminder.id)
    return paged(session, stmt, reminder_dict, limit, offset)


def get_reminder(session: Session, user_id: str, reminder_id: str) -> dict[str, Any]:
    return reminder_dict(_owned(session, user_id, reminder_id))


def update_reminder(
    session: Session,
    user_id: str,
    reminder_id: str,
    *,
    timezone: str | None = None,
    **changes: Any,
) -> dict[str, Any]:
    """Apply the given changes; status may only be set to pending or cancelled."""
    reminder = _owned(session, user_id, reminder_id)
    unknown = set(changes) - set(_CHANGEABLE)
    if unknown:
        raise Invalid(f"A reminder has no field {sorted(unknown)[0]}.")
    if any(changes.get(f, "x") is None for f in _CHANGEABLE):
        raise Invalid("Text, time, importance, channel and status cannot be empty.")
    if changes.get("status", "pending") not in ("pending", "cancelled"):
        raise Invalid("A reminder can only be set back to pending or cancelled.")
    if "remind_at" in changes:
        reminder.remind_at = _future(changes.pop("remind_at"), timezone)
        reminder.status = "pending"
        reminder.sent_at = None
    for field, value in changes.items():
        setattr(reminder, field, value)
    session.flush()
    return reminder_dict(reminder)


def delete_reminder(session: Session, user_id: str, reminder_id: str) -> None:
    session.delete(_owned(session, user_id, reminder_id))
    session.flush()


def _owned(session: Session, user_id: str, reminder_id: str) -> Reminder:
    reminder = session.get(Reminder, check_id(reminder_id, "reminder"))
    if reminder is None or reminder.owner_id != user_id:
        raise NotFound("There is no reminder with that id in your list.")
    return reminder


def _future(value: datetime, timezone: str | None) -> datetime:
    when = to_utc(value, timezone, "reminder time")
    if when <= get_clock().now():
        raise Invalid(f"The reminder time {when.isoformat()} is in the past; pick a later time.")
    return when
