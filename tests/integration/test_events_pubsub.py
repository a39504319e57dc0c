"""The Pub/Sub adapter checked at the wire: a real gRPC Publisher on loopback receives
the PublishRequests google-cloud-pubsub sends; a failing publisher leaves events in the outbox."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from convonet.clock import FakeClock
from convonet.config import Settings
from convonet.events import (
    EventPublishError,
    ReservationEvent,
    TransferEvent,
    encode_event,
    get_event_bus,
    set_event_bus,
)
from convonet.events.outbox import OUTBOX, Outbox
from convonet.events.pubsub import OUTBOX_ID_PREFIX, PubSubEventBus
from convonet.state.local import LocalStateStore

from tests.fixtures.events import OUTBOX_RETRY_S, PUBSUB_TEST_PROJECT, FakePublisherServer

TOPIC_PATH = f"projects/{PUBSUB_TEST_PROJECT}/topics/reservation-events"


def _reservation(code: str = "HNK-42") -> ReservationEvent:
    return ReservationEvent(
        kind="created",
        reservation_id=f"r-{code}",
        confirmation_code=code,
        guest_phone_e164="+14155550123",
        guest_name="Min-jun Kim",
        starts_at=datetime(2026, 1, 9, 19, tzinfo=UTC),
        party_size=4,
        status="confirmed",
    )


def _delivered_event_ids(server: FakePublisherServer) -> list[str]:
    return [m.attributes["event_id"] for r in server.delivered for m in r.messages]


def test_publish_sends_topic_data_attributes_and_ordering_key(
    pubsub_bus: PubSubEventBus, pubsub_server: FakePublisherServer
) -> None:
    event = _reservation()
    message_id = pubsub_bus.publish(
        "reservation-events", event, ordering_key="r-HNK-42", attributes={"origin": "web"}
    )
    assert message_id == "1"
    [request] = pubsub_server.requests
    assert request.topic == TOPIC_PATH
    [message] = request.messages
    assert message.data == encode_event(event)
    assert json.loads(message.data)["confirmation_code"] == "HNK-42"
    assert dict(message.attributes) == {
        "origin": "web",
        "schema_version": "1",
        "event_type": "convonet.ReservationEvent.v1",
        "event_id": event.event_id,
        "kind": "created",
    }
    assert message.ordering_key == "r-HNK-42"


def test_publish_without_ordering_key_sends_none(
    pubsub_bus: PubSubEventBus, pubsub_server: FakePublisherServer
) -> None:
    pubsub_bus.publish(
        "transfer-events", TransferEvent(kind="requested", transfer_id="t", department="support")
    )
    [request] = pubsub_server.requests
    assert request.topic == f"projects/{PUBSUB_TEST_PROJECT}/topics/transfer-events"
    assert request.messages[0].ordering_key == ""


@pytest.mark.parametrize("status", [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL])
def test_a_failed_publish_waits_in_the_outbox_and_a_later_flush_delivers_it_once(
    status: grpc.StatusCode,
    pubsub_bus: PubSubEventBus,
    pubsub_server: FakePublisherServer,
    use_local_state: LocalStateStore,
    clock: FakeClock,
) -> None:
    event = _reservation()
    pubsub_server.fail_with = status
    assert pubsub_bus.publish("reservation-events", event) == OUTBOX_ID_PREFIX + event.event_id
    assert len(pubsub_server.requests) == 1 and pubsub_server.delivered == []
    kept = use_local_state.get(OUTBOX, event.event_id)
    assert kept is not None
    assert kept["topic"] == "reservation-events"
    assert kept["attempts"] == 1
    assert kept["next_attempt_at"] == clock.now() + _seconds(OUTBOX_RETRY_S)
    assert status.name in kept["last_error"]

    pubsub_server.fail_with = None
    assert pubsub_bus.flush_outbox() == 0, "not due yet"
    clock.advance(OUTBOX_RETRY_S)
    assert pubsub_bus.flush_outbox() == 1
    assert pubsub_bus.flush_outbox() == 0
    assert _delivered_event_ids(pubsub_server) == [event.event_id]
    [request] = pubsub_server.delivered
    assert request.topic == TOPIC_PATH
    assert request.messages[0].data == encode_event(event)
    assert use_local_state.get(OUTBOX, event.event_id) is None


def test_the_next_publish_flushes_the_outbox(
    pubsub_bus: PubSubEventBus, pubsub_server: FakePublisherServer, clock: FakeClock
) -> None:
    kept, fresh = _reservation("A"), _reservation("B")
    pubsub_server.fail_with = grpc.StatusCode.UNAVAILABLE
    pubsub_bus.publish("reservation-events", kept)
    pubsub_server.fail_with = None
    clock.advance(OUTBOX_RETRY_S)
    pubsub_bus.publish("reservation-events", fresh)
    assert _delivered_event_ids(pubsub_server) == [fresh.event_id, kept.event_id]


def test_a_message_keeps_its_place_behind_a_kept_message_with_its_key(
    pubsub_bus: PubSubEventBus, pubsub_server: FakePublisherServer, clock: FakeClock
) -> None:
    created, changed = _reservation(), _reservation().model_copy(update={"kind": "changed"})
    changed = ReservationEvent.model_validate({**changed.model_dump(), "event_id": "e-2"})
    pubsub_server.fail_with = grpc.StatusCode.UNAVAILABLE
    pubsub_bus.publish("reservation-events", created, ordering_key="r-1")
    pubsub_server.fail_with = None
    assert pubsub_bus.publish("reservation-events", changed, ordering_key="r-1") == "outbox:e-2"
    assert pubsub_server.delivered == [], "the change must not overtake the creation"
    clock.advance(OUTBOX_RETRY_S)
    assert pubsub_bus.flush_outbox() == 2
    assert _delivered_event_ids(pubsub_server) == [created.event_id, "e-2"]
    assert [r.messages[0].ordering_key for r in pubsub_server.delivered] == ["r-1", "r-1"]


def test_without_an_outbox_a_failed_publish_raises(
    pubsub_server: FakePublisherServer, clock: FakeClock
) -> None:
    bus = PubSubEventBus(PUBSUB_TEST_PROJECT, timeout_s=5.0)
    pubsub_server.fail_with = grpc.StatusCode.UNAVAILABLE
    try:
        with pytest.raises(EventPublishError, match="UNAVAILABLE|Unavailable"):
            bus.publish("reservation-events", _reservation())
    finally:
        bus.close()


def test_settings_choose_the_pubsub_bus_with_an_outbox(
    configure: Callable[..., Settings],
    pubsub_server: FakePublisherServer,
    use_local_state: LocalStateStore,
) -> None:
    configure(EVENT_BACKEND="pubsub", GCP_PROJECT="acme-prod", OUTBOX_RETRY_S=5)
    set_event_bus(None)
    try:
        bus = get_event_bus()
        assert isinstance(bus, PubSubEventBus)
        assert bus.project == "acme-prod"
        assert isinstance(bus.outbox, Outbox) and bus.outbox.retry_s == 5
        bus.publish("reservation-events", _reservation())
        assert pubsub_server.requests[0].topic == "projects/acme-prod/topics/reservation-events"
    finally:
        bus.close()
        set_event_bus(None)


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
