"""The local bus delivers Eventarc's exact CloudEvent through functions-framework itself."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cloudevents.http import CloudEvent
from convonet.clock import FakeClock
from convonet.config import Settings
from convonet.events import (
    CrmSyncEvent,
    ReservationEvent,
    TransferEvent,
    encode_event,
    get_event_bus,
    set_event_bus,
)
from convonet.events.handlers import PROCESSED_EVENTS
from convonet.events.local import LocalEventBus, rfc3339, wire_local_bus_from_manifest
from convonet.manifest import event_functions
from convonet.state.local import LocalStateStore

from tests.fixtures.events import SCENARIOS, scenario_target

RESERVATION = ReservationEvent(
    kind="cancelled",
    reservation_id="r-7",
    confirmation_code="HNK-7",
    guest_phone_e164="+821012345678",
    guest_name="Seo-yeon Park",
    starts_at=datetime(2026, 1, 9, 19, tzinfo=UTC),
    party_size=2,
    status="cancelled",
    locale="ko",
)


def test_a_published_event_reaches_its_function_with_the_exact_eventarc_envelope(
    local_bus: LocalEventBus, use_local_state: LocalStateStore, clock: FakeClock
) -> None:
    local_bus.subscribe(
        "reservation-events", scenario_target("envelope", "scenario_capture_envelope")
    )
    message_id = local_bus.publish(
        "reservation-events", RESERVATION, ordering_key="r-7", attributes={"origin": "voice"}
    )
    assert local_bus.drain()
    captured = use_local_state.get("scenario_envelopes", message_id)
    assert captured is not None
    published_at = rfc3339(clock.now())
    assert captured["attributes"] == {
        "specversion": "1.0",
        "type": "google.cloud.pubsub.topic.v1.messagePublished",
        "source": "//pubsub.googleapis.com/projects/convonet-local/topics/reservation-events",
        "id": message_id,
        "time": published_at,
        "datacontenttype": "application/json",
    }
    message = captured["data"]["message"]
    assert base64.b64decode(message.pop("data")) == encode_event(RESERVATION)
    assert message == {
        "attributes": {
            "origin": "voice",
            "schema_version": "1",
            "event_type": "convonet.ReservationEvent.v1",
            "event_id": RESERVATION.event_id,
            "kind": "cancelled",
        },
        "messageId": message_id,
        "publishTime": published_at,
        "orderingKey": "r-7",
    }
    assert captured["data"]["subscription"] == (
        "projects/convonet-local/subscriptions/scenario_capture_envelope-reservation-events"
    )
    assert message_id.isdigit()
    assert local_bus.dead_letters == []


def test_the_configured_project_names_source_and_subscription(
    configure: Callable[..., Settings],
) -> None:
    configure(GCP_PROJECT="acme-dev")
    set_event_bus(None)
    bus = get_event_bus()
    received: list[CloudEvent] = []
    try:
        assert isinstance(bus, LocalEventBus)
        bus.subscribe("crm-sync", received.append, name="crm_sync")
        bus.publish("crm-sync", CrmSyncEvent(record_id="n-1", kind="note"))
        assert bus.drain()
    finally:
        set_event_bus(None)
        bus.close()
    [event] = received
    assert event["source"] == "//pubsub.googleapis.com/projects/acme-dev/topics/crm-sync"
    assert event.data["subscription"] == "projects/acme-dev/subscriptions/crm_sync-crm-sync"


def test_a_redelivered_message_is_processed_once(
    local_bus: LocalEventBus, use_local_state: LocalStateStore
) -> None:
    target = scenario_target("once", "scenario_count_once")

    def at_least_once(cloud_event: CloudEvent) -> None:
        """Pub/Sub may deliver a message twice: post the same CloudEvent again."""
        target(cloud_event)
        target(cloud_event)

    local_bus.subscribe("reservation-events", at_least_once, name="scenario_count_once")
    message_id = local_bus.publish("reservation-events", RESERVATION)
    assert local_bus.drain()
    counts = use_local_state.get("scenario_counts", RESERVATION.event_id)
    assert counts is not None and counts["handled"] == 1
    done = use_local_state.get(PROCESSED_EVENTS, f"scenario_count_once:{message_id}")
    assert done is not None and done["status"] == "done"


def test_a_failing_handler_is_retried_and_its_claim_released(
    local_bus: LocalEventBus, use_local_state: LocalStateStore
) -> None:
    local_bus.subscribe("transfer-events", scenario_target("flaky", "scenario_flaky_once"))
    event = TransferEvent(kind="missed", transfer_id="t-1", department="support")
    local_bus.publish("transfer-events", event)
    assert local_bus.drain()
    counts = use_local_state.get("scenario_counts", event.event_id)
    assert counts is not None and counts["attempts"] == 2 and counts["handled"] == 1
    assert local_bus.dead_letters == []


def test_a_handler_that_keeps_failing_ends_in_the_dead_letters(
    local_bus: LocalEventBus, use_local_state: LocalStateStore
) -> None:
    local_bus.subscribe("crm-sync", scenario_target("broken", "scenario_always_fails"))
    message_id = local_bus.publish("crm-sync", CrmSyncEvent(record_id="c-1", kind="case"))
    assert local_bus.drain()
    [letter] = local_bus.dead_letters
    assert letter.attempts == 3
    assert letter.subscription.name == "scenario_always_fails"
    assert letter.cloud_event["id"] == message_id
    assert "answered 500" in letter.error


def test_retries_wait_their_backoff_on_the_injected_clock(clock: FakeClock) -> None:
    attempts: list[str] = []

    def fails_once(cloud_event: CloudEvent) -> None:
        attempts.append(cloud_event["id"])
        if len(attempts) == 1:
            raise RuntimeError("transient")

    bus = LocalEventBus(retry_backoff_s=30.0, clock=clock)
    try:
        bus.subscribe("crm-sync", fails_once)
        bus.publish("crm-sync", CrmSyncEvent(record_id="c", kind="note"))
        assert not bus.drain(timeout=0.3), "the retry waits 30 s on the clock"
        assert len(attempts) == 1
        clock.advance(30)
        assert bus.drain()
        assert len(attempts) == 2 and attempts[0] == attempts[1]
    finally:
        bus.close()


def test_every_subscription_gets_the_message_under_its_own_name(local_bus: LocalEventBus) -> None:
    got: dict[str, CloudEvent] = {}
    local_bus.subscribe("crm-sync", lambda e: got.__setitem__("a", e), name="fn_a")
    local_bus.subscribe("crm-sync", lambda e: got.__setitem__("b", e), name="fn_b")
    local_bus.subscribe("reminders-due", lambda e: got.__setitem__("other", e), name="fn_c")
    message_id = local_bus.publish("crm-sync", CrmSyncEvent(record_id="x", kind="meeting"))
    assert local_bus.drain()
    assert set(got) == {"a", "b"}
    assert got["a"]["id"] == got["b"]["id"] == message_id
    assert got["a"].data["subscription"].endswith("/fn_a-crm-sync")
    assert got["b"].data["subscription"].endswith("/fn_b-crm-sync")


def test_publish_returns_before_the_handler_runs(local_bus: LocalEventBus) -> None:
    release, finished = threading.Event(), threading.Event()

    def slow(cloud_event: CloudEvent) -> None:
        release.wait(10)
        finished.set()

    local_bus.subscribe("crm-sync", slow)
    local_bus.publish("crm-sync", CrmSyncEvent(record_id="x", kind="note"))
    assert not finished.is_set()
    release.set()
    assert local_bus.drain()
    assert finished.is_set()


@dataclass(frozen=True)
class _Spec:
    name: str
    source: Path
    topics: tuple[str, ...]

    @property
    def entry_point(self) -> str:
        return self.name


def test_wiring_subscribes_each_event_function_to_its_topics(
    local_bus: LocalEventBus, use_local_state: LocalStateStore
) -> None:
    specs = [
        _Spec("scenario_count_once", SCENARIOS / "once" / "main.py", ("reservation-events",)),
        _Spec(
            "scenario_capture_envelope",
            SCENARIOS / "envelope" / "main.py",
            ("crm-sync", "reservation-events"),
        ),
        _Spec("not_written_yet", SCENARIOS / "missing" / "main.py", ("crm-sync",)),
    ]
    subscriptions = wire_local_bus_from_manifest(local_bus, specs)
    assert [(s.name, s.topic) for s in subscriptions] == [
        ("scenario_count_once", "reservation-events"),
        ("scenario_capture_envelope", "crm-sync"),
        ("scenario_capture_envelope", "reservation-events"),
    ]
    message_id = local_bus.publish("reservation-events", RESERVATION)
    assert local_bus.drain()
    assert local_bus.dead_letters == []
    assert use_local_state.get("scenario_counts", RESERVATION.event_id) == {"handled": 1}
    assert use_local_state.get("scenario_envelopes", message_id) is not None


def test_wiring_from_the_manifest_covers_every_written_event_function() -> None:
    bus = LocalEventBus()
    try:
        subscriptions = wire_local_bus_from_manifest(bus)
    finally:
        bus.close()
    expected = {
        (spec.name, topic)
        for spec in event_functions()
        if spec.source.exists()
        for topic in spec.topics
    }
    assert {(s.name, s.topic) for s in subscriptions} == expected


def test_a_closed_bus_refuses_to_publish() -> None:
    bus = LocalEventBus()
    bus.close()
    with pytest.raises(RuntimeError, match="closed"):
        bus.publish("crm-sync", CrmSyncEvent(record_id="x", kind="note"))
