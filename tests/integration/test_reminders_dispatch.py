"""dispatch_reminders on scheduler ticks (Pub/Sub CloudEvents through functions-framework):
due reminders by SMS or call through the real `twilio` client, tomorrow's guests reminded once,
expired calls erased, and nothing sent twice.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime, timedelta

import pytest
from convonet.clock import FakeClock
from convonet.db.engine import session_scope
from convonet.db.models import CallRecord, CallTranscriptLine, Reminder, User
from convonet.domain.reservations import BookingRequest, create_reservation
from convonet.events import RemindersDueEvent
from convonet.events.base import build_message
from convonet.events.local import FunctionsFrameworkTarget, LocalEventBus, pubsub_cloud_event
from convonet.manifest import by_name
from sqlalchemy import func, select

from tests.fixtures.twilio import LoopbackTwilio
from tests.integration.test_reservations_fixtures import PASSWORD_HASH, seed_hanok

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state", "local_bus")

ANA_PHONE = "+14155550101"
GUEST = "+14155550111"


@functools.cache
def dispatch_function() -> FunctionsFrameworkTarget:
    spec = by_name("dispatch_reminders")
    return FunctionsFrameworkTarget(spec.entry_point, spec.source)


def tick(clock: FakeClock) -> None:
    """One Cloud Scheduler tick: a fresh Pub/Sub message with the scheduler's fixed body."""
    message = build_message(RemindersDueEvent.TOPIC, RemindersDueEvent())
    dispatch_function()(
        pubsub_cloud_event(
            "convonet-test",
            message,
            message_id=uuid.uuid4().hex,
            publish_time=clock.now(),
            subscription="dispatch_reminders",
        )
    )


@pytest.fixture
def ana(migrated_db: str) -> str:
    with session_scope() as session:
        user = User(
            email="ana@example.com",
            password_hash=PASSWORD_HASH,
            display_name="Ana Lee",
            phone_e164=ANA_PHONE,
        )
        session.add(user)
        session.flush()
        return user.id


def remind(owner: str, text: str, at: datetime, channel: str = "sms") -> str:
    with session_scope() as session:
        reminder = Reminder(owner_id=owner, text=text, remind_at=at, channel=channel)
        session.add(reminder)
        session.flush()
        return reminder.id


def statuses() -> dict[str, str]:
    with session_scope() as session:
        return {r.text: r.status for r in session.scalars(select(Reminder))}


def test_due_reminders_go_out_once_by_sms_or_call(
    twilio_api: LoopbackTwilio, clock: FakeClock, ana: str
) -> None:
    now = clock.now()
    remind(ana, "call the bank", now - timedelta(minutes=1))
    remind(ana, "take the pills", now, channel="call")
    remind(ana, "water the plants", now + timedelta(minutes=5))
    tick(clock)
    assert [m["Body"] for m in twilio_api.messages] == ["Convonet reminder: call the bank"]
    [call] = twilio_api.calls
    assert call["To"] == ANA_PHONE
    assert (
        "<Say" in call["Twiml"]
        and "Hi Ana, this is Convonet with your reminder: take the pills" in (call["Twiml"])
    )
    assert statuses() == {
        "call the bank": "sent",
        "take the pills": "sent",
        "water the plants": "pending",
    }
    tick(clock)
    assert len(twilio_api.requests) == 2

    clock.advance(5 * 60)
    tick(clock)
    assert [m["Body"] for m in twilio_api.messages][-1] == "Convonet reminder: water the plants"


def test_a_twilio_outage_leaves_the_reminder_pending_for_the_retry(
    twilio_api: LoopbackTwilio, clock: FakeClock, ana: str
) -> None:
    remind(ana, "call the bank", clock.now())
    twilio_api.fail_next("Messages", 503, "error_unavailable.json")
    with pytest.raises(Exception, match="500"):
        tick(clock)
    assert statuses() == {"call the bank": "pending"}
    tick(clock)
    tick(clock)
    assert statuses() == {"call the bank": "sent"}
    assert len(twilio_api.messages) == 2  # the refused attempt, then the one that went out


def test_tomorrows_guests_get_one_reminder_with_their_code(
    twilio_api: LoopbackTwilio, clock: FakeClock, local_bus: LocalEventBus
) -> None:
    seed_hanok()  # the clock reads Mon 5 Jan 09:00 in Los Angeles
    with session_scope() as session:
        tomorrow = create_reservation(
            session,
            BookingRequest(
                guest_name="Alice Kim",
                guest_phone=GUEST,
                party_size=4,
                starts_at=datetime(2026, 1, 6, 19, 0),
            ),
        ).reservation
        create_reservation(
            session,
            BookingRequest(
                guest_name="Bob Lee",
                guest_phone="+14155550122",
                party_size=2,
                starts_at=datetime(2026, 1, 7, 19, 0),
            ),
        )
    tick(clock)
    assert twilio_api.messages == [], "before RESERVATION_REMINDER_HOUR (10:00) nothing goes"
    clock.advance(3600)
    tick(clock)
    tick(clock)
    assert [(m["To"], m["Body"]) for m in twilio_api.messages] == [
        (
            GUEST,
            f"Hanok: see you tomorrow, 7:00 PM, table for 4. Code {tomorrow.confirmation_code}. "
            "Reply STOP to opt out.",
        )
    ]


def test_calls_past_their_retention_are_erased(clock: FakeClock, ana: str) -> None:
    now = clock.now()
    with session_scope() as session:
        for sid, keep_until in (
            ("CAold", now - timedelta(seconds=1)),
            ("CAnew", now + timedelta(days=1)),
        ):
            record = CallRecord(
                call_sid=sid,
                channel="phone",
                owner_id=ana,
                started_at=now - timedelta(days=90),
                retention_until=keep_until,
            )
            record.lines = [CallTranscriptLine(seq=1, speaker="user", text="hello", at=now)]
            session.add(record)
    tick(clock)
    with session_scope() as session:
        assert list(session.scalars(select(CallRecord.call_sid))) == ["CAnew"]
        assert session.scalar(select(func.count()).select_from(CallTranscriptLine)) == 1
