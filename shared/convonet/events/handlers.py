"""Idempotent CloudEvent handlers: Pub/Sub delivers at least once, effects happen once.

`handle_once` decodes Eventarc's Pub/Sub envelope into the topic's typed event, then claims
`<consumer>:<messageId>` with StateStore `create()` (atomic on every backend) before running
the handler. A redelivered message finds the claim `done` and is acknowledged without running
again; one still `processing` elsewhere raises `EventInProgressError`, so Eventarc retries it
later instead of dropping it. When the handler raises, the claim is released so the retry runs.
The consumer is part of the key because every subscription receives the same messageId.

    @functions_framework.cloud_event
    @idempotent_event
    def notify(event: ReservationEvent | TransferEvent) -> None: ...
"""

from __future__ import annotations

import base64
import binascii
import functools
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from convonet.clock import get_clock
from convonet.events.schemas import Event, EventDecodeError, MalformedEventError, decode_event
from convonet.state import StateStore, get_state_store

logger = logging.getLogger(__name__)

PROCESSED_EVENTS = "processed_events"
PROCESSED_TTL_S = 7 * 24 * 3600.0
# Longer than the longest event function run (540 s), so a live claim never expires early.
PROCESSING_TTL_S = 600.0

_SOURCE = re.compile(r"^//pubsub\.googleapis\.com/projects/[^/]+/topics/(?P<topic>[^/]+)$")

E = TypeVar("E", bound=Event)
T = TypeVar("T")


class EventInProgressError(RuntimeError):
    """Another delivery of this message is still being handled; retry later."""


@dataclass(frozen=True)
class ReceivedEvent(Generic[E]):
    """A decoded Pub/Sub message with the delivery metadata Eventarc gave it."""

    topic: str
    event: E
    message_id: str
    attributes: Mapping[str, str]
    publish_time: datetime | None
    ordering_key: str | None
    subscription: str | None


def decode_cloud_event(cloud_event: Any) -> ReceivedEvent[Event]:
    """Eventarc's `messagePublished` CloudEvent -> the typed event and its metadata."""
    match = _SOURCE.match(str(cloud_event["source"]))
    if match is None:
        raise MalformedEventError(f"not a Pub/Sub source: {cloud_event['source']!r}")
    topic = match["topic"]
    data = cloud_event.data
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, dict):
        raise MalformedEventError(f"{topic}: CloudEvent data has no Pub/Sub message")
    try:
        raw = base64.b64decode(message.get("data") or "", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedEventError(f"{topic}: message data is not base64: {exc}") from None
    attributes = message.get("attributes") or {}
    try:
        publish_time = datetime.fromisoformat(message["publishTime"])
    except (KeyError, TypeError, ValueError):
        publish_time = None
    return ReceivedEvent(
        topic=topic,
        event=decode_event(topic, raw, attributes),
        message_id=str(message.get("messageId") or cloud_event["id"]),
        attributes=attributes,
        publish_time=publish_time,
        ordering_key=message.get("orderingKey") or None,
        subscription=data.get("subscription"),
    )


def handle_once(
    cloud_event: Any,
    fn: Callable[[Any], T],
    *,
    consumer: str | None = None,
    store: StateStore | None = None,
) -> T | None:
    """Run `fn(typed_event)` unless this consumer already handled the message.

    Returns fn's result, or None for a duplicate or a message that can never decode (logged
    as an error and acknowledged: redelivering it cannot fix it).
    """
    try:
        received = decode_cloud_event(cloud_event)
    except EventDecodeError:
        logger.exception("dropping undecodable message %s", cloud_event["id"])
        return None
    name = consumer or getattr(fn, "__name__", "handler")
    key = f"{name}:{received.message_id}"
    store = store or get_state_store()
    record = {
        "consumer": name,
        "topic": received.topic,
        "message_id": received.message_id,
        "event_id": received.event.event_id,
    }
    started = {**record, "status": "processing", "started_at": get_clock().now()}
    if not store.create(PROCESSED_EVENTS, key, started, ttl_s=PROCESSING_TTL_S):
        existing = store.get(PROCESSED_EVENTS, key)
        if existing is not None and existing.get("status") == "done":
            logger.info("message %s already handled by %s", received.message_id, name)
            return None
        raise EventInProgressError(f"message {received.message_id} is being handled by {name}")
    try:
        result = fn(received.event)
    except BaseException:
        store.delete(PROCESSED_EVENTS, key)
        raise
    done = {**record, "status": "done", "done_at": get_clock().now()}
    store.set(PROCESSED_EVENTS, key, done, ttl_s=PROCESSED_TTL_S)
    return result


def idempotent_event(fn: Callable[[E], object]) -> Callable[[Any], None]:
    """Decorator form of `handle_once` for a CloudEvent function; keeps fn's name."""

    @functools.wraps(fn)
    def handler(cloud_event: Any) -> None:
        handle_once(cloud_event, fn)

    return handler
