"""The last line of defence for a turn's `agent-interactions` event: an in-process retry queue.

A publish that Pub/Sub refuses goes to the outbox; the outbox lives in the StateStore, so when
both are down at once the bus raises `EventPublishError`. The event is then held here (bounded,
oldest dropped with an error log when full) and published again, oldest first, before the
next turn's event, so a short outage of both costs no monitor record. What is held is lost
only if the instance dies before either comes back; handlers de-duplicate on `event_id`, so a
publish that is repeated after an unclear failure is harmless.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

from convonet.events import Event, EventPublishError, get_event_bus

log = logging.getLogger(__name__)

MAX_PENDING = 1000


class PendingEvents:
    def __init__(self, limit: int = MAX_PENDING) -> None:
        self._limit = limit
        self._events: deque[tuple[str, Event]] = deque()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)

    def publish(self, topic: str, event: Event) -> None:
        """Publish after whatever is still held; hold this one too if the bus refuses it."""
        self.retry()
        try:
            get_event_bus().publish(topic, event)
        except EventPublishError as exc:
            self._hold(topic, event, exc)

    def retry(self) -> int:
        """Publish held events oldest first, stopping at the first refusal; returns how many."""
        delivered = 0
        while True:
            with self._lock:
                if not self._events:
                    return delivered
                topic, event = self._events.popleft()
            try:
                get_event_bus().publish(topic, event)
            except EventPublishError as exc:
                with self._lock:
                    self._events.appendleft((topic, event))
                log.warning("held event %s still unpublished: %s", event.event_id, exc)
                return delivered
            delivered += 1

    def clear(self) -> None:
        with self._lock:
            self._events.clear()

    def _hold(self, topic: str, event: Event, error: Exception) -> None:
        with self._lock:
            if len(self._events) >= self._limit:
                dropped = self._events.popleft()[1]
                log.error("pending events full: event %s dropped", dropped.event_id)
            self._events.append((topic, event))
        log.warning("event %s held in process until the bus is back: %s", event.event_id, error)


pending_events = PendingEvents()
