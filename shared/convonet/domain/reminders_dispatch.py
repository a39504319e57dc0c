"""What the every-minute reminder tick has to send, and the bookkeeping once it is sent.

Reminders whose time has come go to their owner's phone (SMS or a short call, as the reminder
says); guests booked for tomorrow (restaurant time) get one reminder with their code from
RESERVATION_REMINDER_HOUR on. Calls past their retention date are erased here too: the tick
is the platform's one periodic job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from convonet.db.models import (
    CallRecord,
    CallTranscriptLine,
    Reminder,
    Reservation,
    Restaurant,
    User,
)
from convonet.db.models.restaurant import HANOK_ID
from convonet.domain.restaurant_rules import local

BATCH = 200


@dataclass(frozen=True)
class DueReminder:
    id: str
    text: str
    channel: str
    remind_at: datetime
    phone: str | None
    name: str


@dataclass(frozen=True)
class UpcomingBooking:
    id: str
    code: str
    guest_name: str
    phone: str
    party_size: int
    local_start: datetime
    restaurant: str


def due_reminders(session: Session, now: datetime, limit: int = BATCH) -> list[DueReminder]:
    """Pending reminders due by `now`, oldest first, with their owner's phone."""
    rows = session.execute(
        select(Reminder, User)
        .join(User, User.id == Reminder.owner_id)
        .where(Reminder.status == "pending", Reminder.remind_at <= now)
        .order_by(Reminder.remind_at, Reminder.id)
        .limit(limit)
    ).all()
    return [
        DueReminder(
            id=reminder.id,
            text=reminder.text,
            channel=reminder.channel,
            remind_at=reminder.remind_at,
            phone=user.phone_e164 if user.is_active else None,
            name=user.display_name.split(" ")[0],
        )
        for reminder, user in rows
    ]


def mark_sent(session: Session, reminder_id: str, now: datetime) -> None:
    """Sent (or undeliverable: no phone, opted out): it leaves the pending queue either way."""
    reminder = session.get(Reminder, reminder_id)
    if reminder is not None and reminder.status == "pending":
        reminder.status = "sent"
        reminder.sent_at = now


def bookings_to_remind(session: Session, now: datetime, from_hour: int) -> list[UpcomingBooking]:
    """Confirmed bookings on the restaurant's tomorrow, once its local time is past
    `from_hour`."""
    restaurant = session.get(Restaurant, HANOK_ID)
    if restaurant is None:
        return []
    today = local(now, restaurant.timezone)
    if today.hour < from_hour:
        return []
    tomorrow = (today + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = session.scalars(
        select(Reservation)
        .where(
            Reservation.restaurant_id == restaurant.id,
            Reservation.status == "confirmed",
            Reservation.starts_at >= tomorrow,
            Reservation.starts_at < tomorrow + timedelta(days=1),
        )
        .order_by(Reservation.starts_at, Reservation.id)
    ).all()
    return [
        UpcomingBooking(
            id=r.id,
            code=r.confirmation_code,
            guest_name=r.guest_name,
            phone=r.guest_phone_e164,
            party_size=r.party_size,
            local_start=local(r.starts_at, restaurant.timezone),
            restaurant=restaurant.name,
        )
        for r in rows
    ]


def purge_expired_calls(session: Session, now: datetime) -> int:
    """Erase calls and their transcripts past `retention_until`."""
    expired = select(CallRecord.id).where(CallRecord.retention_until < now)
    session.execute(delete(CallTranscriptLine).where(CallTranscriptLine.call_id.in_(expired)))
    result = session.execute(delete(CallRecord).where(CallRecord.retention_until < now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
