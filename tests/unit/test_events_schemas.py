"""Event schemas: one per topic, versioned, and refused loudly when malformed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from convonet.clock import FakeClock
from convonet.events import (
    EVENT_TYPES,
    AgentInteractionEvent,
    CrmSyncEvent,
    Event,
    MalformedEventError,
    RemindersDueEvent,
    ReservationEvent,
    Timings,
    ToolCallRecord,
    TransferEvent,
    UnknownTopicError,
    UnsupportedSchemaVersionError,
    decode_event,
    encode_event,
)
from convonet.events.base import build_message
from convonet.manifest import TOPICS
from pydantic import ValidationError

STARTS = datetime(2026, 1, 9, 19, 0, tzinfo=UTC)


def _samples() -> list[Event]:
    return [
        AgentInteractionEvent(
            interaction_id="i-1",
            session_id="s-1",
            user_id="u-1",
            channel="phone",
            agent="restaurant",
            provider="offline",
            model="rules-v1",
            prompt="book a table for four",
            response="Booked for Friday at 7 pm.",
            status="success",
            tool_calls=(
                ToolCallRecord(
                    name="create_reservation",
                    arguments={"party_size": 4},
                    result={"confirmation_code": "HNK-42"},
                    duration_ms=12.5,
                ),
            ),
            timings=Timings(capture_ms=1, stt_ms=80, llm_first_token_ms=120, total_ms=410),
        ),
        ReservationEvent(
            kind="created",
            reservation_id="r-1",
            confirmation_code="HNK-42",
            guest_phone_e164="+14155550123",
            guest_name="Min-jun Kim",
            starts_at=STARTS,
            party_size=4,
            status="confirmed",
            locale="ko",
        ),
        TransferEvent(
            kind="missed",
            transfer_id="t-1",
            call_sid="CA123",
            department="support",
            extension="2001",
            outcome="no-answer",
        ),
        CrmSyncEvent(record_id="p-9", kind="patient"),
        RemindersDueEvent(scheduled_at=STARTS),
    ]


def test_one_schema_per_topic_in_the_manifest() -> None:
    assert set(EVENT_TYPES) == set(TOPICS)


@pytest.mark.parametrize("event", _samples(), ids=lambda e: e.TOPIC)
def test_every_event_round_trips_through_the_wire_form(event: Event) -> None:
    decoded = decode_event(event.TOPIC, encode_event(event))
    assert decoded == event
    assert type(decoded) is type(event)
    body = json.loads(encode_event(event))
    assert body["schema_version"] == 1
    assert body["event_id"] == event.event_id


def test_events_get_distinct_ids_and_the_clocks_time(clock: FakeClock) -> None:
    first = CrmSyncEvent(record_id="a", kind="note")
    second = CrmSyncEvent(record_id="a", kind="note")
    assert first.event_id != second.event_id
    assert first.occurred_at == clock.now()


def test_the_waterfall_keys_are_the_contract() -> None:
    assert list(Timings.model_fields) == [
        "capture_ms",
        "stt_ms",
        "route_ms",
        "llm_first_token_ms",
        "tools_ms",
        "tts_first_byte_ms",
        "first_audio_ms",
        "total_ms",
    ]


def test_unknown_schema_version_is_refused() -> None:
    body = json.loads(encode_event(CrmSyncEvent(record_id="a", kind="case")))
    body["schema_version"] = 2
    with pytest.raises(UnsupportedSchemaVersionError):
        decode_event("crm-sync", json.dumps(body))
    with pytest.raises(ValidationError):
        CrmSyncEvent(record_id="a", kind="case", schema_version=2)


def test_version_may_come_from_the_attributes_when_the_body_lacks_it() -> None:
    """Cloud Scheduler's fixed body: `{}` with the version in the message attributes."""
    event = decode_event("reminders-due", b"{}", {"schema_version": "1"})
    assert isinstance(event, RemindersDueEvent)
    assert event.scheduled_at is None
    with pytest.raises(MalformedEventError, match="schema_version"):
        decode_event("reminders-due", b"{}")


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"schema_version": 1, "record_id": "a", "kind": "invoice"}',
        b'{"schema_version": 1, "record_id": "a", "kind": "note", "surprise": true}',
        b'{"schema_version": 1, "kind": "note"}',
    ],
)
def test_malformed_data_is_a_typed_error(data: bytes) -> None:
    with pytest.raises(MalformedEventError):
        decode_event("crm-sync", data)


def test_unknown_topic_is_a_typed_error() -> None:
    with pytest.raises(UnknownTopicError):
        decode_event("no-such-topic", b"{}")


@pytest.mark.parametrize(
    "changes",
    [
        {"guest_phone_e164": "415-555-0123"},
        {"starts_at": datetime(2026, 1, 9, 19)},
        {"party_size": 0},
    ],
)
def test_reservation_fields_are_validated(changes: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "kind": "changed",
        "reservation_id": "r",
        "confirmation_code": "C",
        "guest_name": "G",
        "starts_at": STARTS,
        "party_size": 2,
        "status": "confirmed",
    }
    with pytest.raises(ValidationError):
        ReservationEvent.model_validate({**fields, **changes})


def test_message_attributes_describe_the_event() -> None:
    event = TransferEvent(kind="requested", transfer_id="t", department="sales")
    message = build_message("transfer-events", event, ordering_key="CA1", attributes={"k": "v"})
    assert message.attributes == {
        "k": "v",
        "schema_version": "1",
        "event_type": "convonet.TransferEvent.v1",
        "event_id": event.event_id,
        "kind": "requested",
    }
    assert message.ordering_key == "CA1"
    assert message.data == encode_event(event)


def test_an_event_only_goes_to_its_own_topic() -> None:
    with pytest.raises(TypeError):
        build_message("crm-sync", RemindersDueEvent())


@pytest.mark.parametrize("name", ["event_id", "schema_version", "timeout", "googclient_x"])
def test_attributes_the_bus_owns_or_cannot_carry_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="attribute"):
        build_message("reminders-due", RemindersDueEvent(), attributes={name: "x"})
