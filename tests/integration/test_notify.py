"""notify, delivered as Eventarc delivers it (functions-framework, Pub/Sub CloudEvents), texting
through the real `twilio` client to a loopback Twilio answering with recorded payloads: booking
texts, missed-transfer texts, STOP/START, redeliveries, Twilio errors.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from convonet.clock import FakeClock
from convonet.events import Event, ReservationEvent, TransferEvent
from convonet.events.base import build_message
from convonet.events.local import FunctionsFrameworkTarget, pubsub_cloud_event
from convonet.manifest import by_name
from convonet.state import get_state_store
from convonet.telephony.simulator import CallSimulator
from convonet.telephony.transfer import CONTEXT

from tests.fixtures.twilio import ACCOUNT_SID, FROM_NUMBER, LoopbackTwilio
from tests.integration.test_reservations_fixtures import seed_hanok

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state", "clock")

GUEST = "+14155550111"
SATURDAY_7PM = datetime(2026, 1, 11, 3, 0, tzinfo=UTC)  # Sat 10 Jan 19:00 in Los Angeles


@pytest.fixture(autouse=True)
def hanok(migrated_db: str) -> None:
    seed_hanok()


@functools.cache
def notify_function() -> FunctionsFrameworkTarget:
    """Loaded once per module, as one warm instance of the function."""
    spec = by_name("notify")
    return FunctionsFrameworkTarget(spec.entry_point, spec.source)


def deliver(event: Event, message_id: str, clock: FakeClock) -> None:
    """One Pub/Sub delivery of `event` to notify, through functions-framework."""
    message = build_message(event.TOPIC, event)
    cloud_event = pubsub_cloud_event(
        "convonet-test",
        message,
        message_id=message_id,
        publish_time=clock.now(),
        subscription="notify",
    )
    notify_function()(cloud_event)


def booked(kind: str = "created", status: str = "confirmed", **fields: object) -> ReservationEvent:
    values: dict[str, object] = {
        "kind": kind,
        "reservation_id": "res-1",
        "confirmation_code": "HNK-7Q2X",
        "guest_phone_e164": GUEST,
        "guest_name": "Alice Kim",
        "starts_at": SATURDAY_7PM,
        "party_size": 4,
        "status": status,
        **fields,
    }
    return ReservationEvent.model_validate(values)


def test_booking_texts_carry_the_code_and_local_time(
    twilio_api: LoopbackTwilio, clock: FakeClock
) -> None:
    deliver(booked(), "m1", clock)
    deliver(booked("changed", party_size=6), "m2", clock)
    deliver(booked("cancelled", status="cancelled"), "m3", clock)
    deliver(booked("created", status="waitlisted"), "m4", clock)
    bodies = [m["Body"] for m in twilio_api.messages]
    assert bodies == [
        "Hanok: your table for 4 on Sat Jan 10 at 7:00 PM is booked. Code HNK-7Q2X.",
        "Hanok: your booking HNK-7Q2X is now for 6 on Sat Jan 10 at 7:00 PM.",
        "Hanok: your booking HNK-7Q2X for Sat Jan 10 at 7:00 PM is cancelled.",
        "Hanok: you're on the waitlist for 4 on Sat Jan 10 at 7:00 PM. Code HNK-7Q2X.",
    ]
    first = twilio_api.requests[0]
    assert first.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert (twilio_api.messages[0]["To"], twilio_api.messages[0]["From"]) == (GUEST, FROM_NUMBER)
    assert first.authorization.startswith("Basic ")


def test_a_redelivered_or_republished_event_texts_once(
    twilio_api: LoopbackTwilio, clock: FakeClock
) -> None:
    event = booked()
    deliver(event, "m1", clock)
    deliver(event, "m1", clock)  # Pub/Sub redelivery: same message id
    deliver(event, "m9", clock)  # the outbox published it again: new message, same event id
    assert len(twilio_api.messages) == 1


def test_stop_and_start_by_sms(
    twilio_api: LoopbackTwilio, clock: FakeClock, make_call: Callable[..., CallSimulator]
) -> None:
    guest = make_call(GUEST)
    assert guest.text_message("STOP").status == 200
    deliver(booked(), "m1", clock)
    assert twilio_api.messages == []
    assert guest.text_message("start").status == 200
    deliver(booked("changed"), "m2", clock)
    assert len(twilio_api.messages) == 1


def test_twilio_says_unsubscribed_so_we_stop_too(
    twilio_api: LoopbackTwilio, clock: FakeClock
) -> None:
    twilio_api.fail_next("Messages", 400, "error_unsubscribed.json")
    deliver(booked(), "m1", clock)
    deliver(booked("changed"), "m2", clock)
    assert len(twilio_api.messages) == 1, "after 21610 the number is opted out"


def test_a_twilio_outage_is_retried_and_sends_once(
    twilio_api: LoopbackTwilio, clock: FakeClock
) -> None:
    twilio_api.fail_next("Messages", 500, "error_unavailable.json")
    with pytest.raises(Exception, match="500"):
        deliver(booked(), "m1", clock)
    deliver(booked(), "m1", clock)  # Eventarc retries the failed delivery
    deliver(booked(), "m1", clock)
    assert len(twilio_api.messages) == 2
    assert twilio_api.messages[0] == twilio_api.messages[1]


def test_nothing_is_sent_without_a_twilio_account(clock: FakeClock) -> None:
    deliver(booked(), "m1", clock)  # no TWILIO_ACCOUNT_SID: logged, acknowledged


def test_a_missed_transfer_tells_the_caller_about_the_callback(
    twilio_api: LoopbackTwilio, clock: FakeClock
) -> None:
    get_state_store().set(
        CONTEXT, "t" * 32, {"transfer_id": "t" * 32, "caller_phone": GUEST, "department": "sales"}
    )
    missed = TransferEvent(
        kind="missed", transfer_id="t" * 32, department="sales", outcome="no-answer"
    )
    deliver(TransferEvent(kind="requested", transfer_id="t" * 32, department="sales"), "m1", clock)
    deliver(missed, "m2", clock)
    deliver(missed, "m2", clock)
    assert [m["Body"] for m in twilio_api.messages] == [
        "Convonet: sorry we missed you. Someone from sales will call you back at this number."
    ]
