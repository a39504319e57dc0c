"""Idempotent handlers: decode Eventarc's envelope, run once per consumer and message."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime

import pytest
from cloudevents.http import CloudEvent
from convonet.events import CrmSyncEvent, encode_event
from convonet.events.handlers import (
    PROCESSED_EVENTS,
    EventInProgressError,
    decode_cloud_event,
    handle_once,
    idempotent_event,
)
from convonet.state.local import LocalStateStore


def _cloud_event(
    data: bytes,
    *,
    message_id: str = "9101",
    topic: str = "crm-sync",
    attributes: dict[str, str] | None = None,
) -> CloudEvent:
    """Shaped like functions-framework's golden Pub/Sub CloudEvent plus Eventarc's fields."""
    return CloudEvent(
        {
            "type": "google.cloud.pubsub.topic.v1.messagePublished",
            "source": f"//pubsub.googleapis.com/projects/acme-prod/topics/{topic}",
            "id": message_id,
            "specversion": "1.0",
        },
        {
            "message": {
                "data": base64.b64encode(data).decode(),
                "attributes": attributes or {"schema_version": "1"},
                "messageId": message_id,
                "publishTime": "2026-01-05T17:00:00.123Z",
                "orderingKey": "p-1",
            },
            "subscription": "projects/acme-prod/subscriptions/crm_sync-crm-sync",
        },
    )


EVENT = CrmSyncEvent(record_id="p-1", kind="patient")


def test_decode_gives_the_typed_event_and_its_delivery_metadata() -> None:
    received = decode_cloud_event(_cloud_event(encode_event(EVENT)))
    assert received.event == EVENT
    assert received.topic == "crm-sync"
    assert received.message_id == "9101"
    assert received.publish_time == datetime(2026, 1, 5, 17, 0, 0, 123000, tzinfo=UTC)
    assert received.ordering_key == "p-1"
    assert received.subscription == "projects/acme-prod/subscriptions/crm_sync-crm-sync"


def test_a_message_is_handled_once_per_consumer(use_local_state: LocalStateStore) -> None:
    seen: list[tuple[str, CrmSyncEvent]] = []

    def first(event: CrmSyncEvent) -> str:
        seen.append(("first", event))
        return "ok"

    def second(event: CrmSyncEvent) -> None:
        seen.append(("second", event))

    cloud_event = _cloud_event(encode_event(EVENT))
    assert handle_once(cloud_event, first) == "ok"
    assert handle_once(cloud_event, first) is None
    handle_once(cloud_event, second)
    assert seen == [("first", EVENT), ("second", EVENT)]
    done = use_local_state.get(PROCESSED_EVENTS, "first:9101")
    assert done is not None and done["status"] == "done"
    assert done["event_id"] == EVENT.event_id


def test_a_failed_run_releases_its_claim_so_the_retry_runs(
    use_local_state: LocalStateStore,
) -> None:
    attempts: list[int] = []

    @idempotent_event
    def sync(event: CrmSyncEvent) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("SuiteCRM down")

    cloud_event = _cloud_event(encode_event(EVENT))
    with pytest.raises(ConnectionError):
        sync(cloud_event)
    assert use_local_state.get(PROCESSED_EVENTS, "sync:9101") is None
    sync(cloud_event)
    sync(cloud_event)
    assert len(attempts) == 2
    assert sync.__name__ == "sync"


def test_a_message_still_in_progress_elsewhere_is_retried_not_dropped(
    use_local_state: LocalStateStore,
) -> None:
    use_local_state.create(PROCESSED_EVENTS, "sync:9101", {"status": "processing"})
    with pytest.raises(EventInProgressError):
        handle_once(_cloud_event(encode_event(EVENT)), lambda event: None, consumer="sync")


@pytest.mark.parametrize(
    "cloud_event",
    [
        _cloud_event(b"not json"),
        _cloud_event(b'{"schema_version": 7}'),
        _cloud_event(encode_event(EVENT), topic="unknown-topic"),
        CloudEvent(
            {"type": "google.cloud.storage.object.v1.finalized", "source": "//storage/x"}, {}
        ),
    ],
)
def test_an_undecodable_message_is_logged_and_acknowledged(
    cloud_event: CloudEvent, use_local_state: LocalStateStore, caplog: pytest.LogCaptureFixture
) -> None:
    called: list[object] = []
    with caplog.at_level(logging.ERROR):
        assert handle_once(cloud_event, called.append) is None
    assert called == []
    assert "dropping undecodable message" in caplog.text
