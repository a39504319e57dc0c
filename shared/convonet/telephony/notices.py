"""What people are told by text or call: booking notices, missed transfers, reminders.

`notify` calls `reservation_notice` and `transfer_notice` for its events; `dispatch_reminders`
calls `dispatch_due` on each scheduler tick. Every message has a stable claim key (event id,
reminder id and time, reservation id), so redeliveries and overlapping ticks send it once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from convonet.clock import get_clock
from convonet.config import get_settings
from convonet.db.engine import session_scope
from convonet.domain import reminders_dispatch
from convonet.domain.reservations import get_restaurant
from convonet.domain.restaurant_rules import local
from convonet.events import ReservationEvent, TransferEvent
from convonet.telephony import sms
from convonet.telephony.sms import Delivery
from convonet.telephony.transfer import load_transfer_context

log = logging.getLogger(__name__)

_RESERVATION_TEXTS = {
    "created": "{restaurant}: your table for {party} on {when} is booked. Code {code}.",
    "changed": "{restaurant}: your booking {code} is now for {party} on {when}.",
    "cancelled": "{restaurant}: your booking {code} for {when} is cancelled.",
    "waitlist_promoted": (
        "{restaurant}: good news, a table opened up. Your booking {code} for {party} on {when} "
        "is confirmed."
    ),
}
_WAITLISTED = "{restaurant}: you're on the waitlist for {party} on {when}. Code {code}."
_MISSED_TRANSFER = (
    "Convonet: sorry we missed you. Someone from {department} will call you back at this number."
)
_REMINDER_SMS = "Convonet reminder: {text}"
_REMINDER_CALL = "Hi {name}, this is Convonet with your reminder: {text}. Goodbye."
_BOOKING_REMINDER = (
    "{restaurant}: see you tomorrow, {when}, table for {party}. Code {code}. Reply STOP to opt out."
)


@dataclass(frozen=True)
class TickReport:
    reminders: int
    bookings: int
    calls_erased: int


def reservation_notice(event: ReservationEvent) -> Delivery | None:
    if event.guest_phone_e164 is None:
        return None
    with session_scope() as session:
        restaurant = get_restaurant(session)
        name, timezone = restaurant.name, restaurant.timezone
    template = _RESERVATION_TEXTS[event.kind]
    if event.kind == "created" and event.status == "waitlisted":
        template = _WAITLISTED
    text = template.format(
        restaurant=name,
        party=event.party_size,
        when=_when(local(event.starts_at, timezone)),
        code=event.confirmation_code,
    )
    return sms.send_text(f"reservation:{event.event_id}", event.guest_phone_e164, text)


def transfer_notice(event: TransferEvent) -> Delivery | None:
    """A missed transfer: tell the caller they will be called back."""
    if event.kind != "missed":
        return None
    context = load_transfer_context(event.transfer_id) or {}
    phone = context.get("caller_phone")
    if not phone:
        return None
    text = _MISSED_TRANSFER.format(department=event.department)
    return sms.send_text(f"transfer-missed:{event.transfer_id}", str(phone), text)


def dispatch_due() -> TickReport:
    """One scheduler tick: due reminders, tomorrow's bookings, expired calls."""
    now = get_clock().now()
    return TickReport(_send_reminders(now), _remind_bookings(now), _erase_calls(now))


def _send_reminders(now: datetime) -> int:
    with session_scope() as session:
        due = reminders_dispatch.due_reminders(session, now)
    for reminder in due:
        claim = f"reminder:{reminder.id}:{reminder.remind_at.isoformat()}"
        if reminder.phone is None:
            log.info("reminder %s has no phone to go to", reminder.id)
        elif reminder.channel == "call":
            text = _REMINDER_CALL.format(name=reminder.name, text=reminder.text)
            sms.call_and_say(claim, reminder.phone, text)
        else:
            sms.send_text(claim, reminder.phone, _REMINDER_SMS.format(text=reminder.text))
        with session_scope() as session:
            reminders_dispatch.mark_sent(session, reminder.id, now)
    return len(due)


def _remind_bookings(now: datetime) -> int:
    with session_scope() as session:
        bookings = reminders_dispatch.bookings_to_remind(
            session, now, get_settings().reservation_reminder_hour
        )
    sent = 0
    for booking in bookings:
        text = _BOOKING_REMINDER.format(
            restaurant=booking.restaurant,
            when=booking.local_start.strftime("%-I:%M %p"),
            party=booking.party_size,
            code=booking.code,
        )
        if sms.send_text(f"booking-reminder:{booking.id}", booking.phone, text) == "sent":
            sent += 1
    return sent


def _erase_calls(now: datetime) -> int:
    with session_scope() as session:
        return reminders_dispatch.purge_expired_calls(session, now)


def _when(moment: datetime) -> str:
    return moment.strftime("%a %b %-d at %-I:%M %p")
