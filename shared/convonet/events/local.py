"""In-process EventBus (the embedded default): Eventarc's delivery, without a cloud.

A publish builds the exact CloudEvent Eventarc would POST for a Pub/Sub message and queues
it for every subscribed function. A worker thread delivers it, so a publish never delays the
request that made it. `FunctionsFrameworkTarget` posts the event to the function through
functions-framework's own app in binary content mode, so the decorated production handler
runs as deployed. A failed delivery is retried with exponential backoff a bounded number of
times, then kept in `dead_letters` (Eventarc's retry policy plus a dead-letter topic).
"""

from __future__ import annotations

import base64
import heapq
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from cloudevents.http import CloudEvent

from convonet.clock import Clock, get_clock
from convonet.events.base import OutgoingMessage, build_message
from convonet.events.schemas import Event

logger = logging.getLogger(__name__)

PUBSUB_EVENT_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"
LOCAL_PROJECT = "convonet-local"
# The longest a worker waits before re-reading the (possibly fake) clock.
_IDLE_POLL_S = 0.05

CloudEventHandler = Callable[[CloudEvent], object]


class DeliveryError(RuntimeError):
    """A function answered a delivery with an error status (Eventarc would retry it)."""


class EventFunction(Protocol):
    """What wiring needs of a manifest entry (`convonet.manifest.FunctionSpec`)."""

    @property
    def name(self) -> str: ...

    @property
    def entry_point(self) -> str: ...

    @property
    def source(self) -> Path: ...

    @property
    def topics(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Subscription:
    topic: str
    name: str
    handler: CloudEventHandler


@dataclass(frozen=True)
class DeadLetter:
    subscription: Subscription
    cloud_event: CloudEvent
    attempts: int
    error: str


@dataclass(order=True)
class _Delivery:
    due: float
    seq: int
    subscription: Subscription = field(compare=False)
    cloud_event: CloudEvent = field(compare=False)
    attempts: int = field(default=0, compare=False)


def rfc3339(moment: datetime) -> str:
    """Pub/Sub's publishTime form: UTC with a `Z`."""
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def pubsub_cloud_event(
    project: str,
    message: OutgoingMessage,
    *,
    message_id: str,
    publish_time: datetime,
    subscription: str,
) -> CloudEvent:
    """The CloudEvent Eventarc delivers for a Pub/Sub message to one subscription."""
    body: dict[str, Any] = {
        "data": base64.b64encode(message.data).decode("ascii"),
        "attributes": dict(message.attributes),
        "messageId": message_id,
        "publishTime": rfc3339(publish_time),
    }
    if message.ordering_key:
        body["orderingKey"] = message.ordering_key
    return CloudEvent(
        {
            "type": PUBSUB_EVENT_TYPE,
            "source": f"//pubsub.googleapis.com/projects/{project}/topics/{message.topic}",
            "id": message_id,
            "time": rfc3339(publish_time),
            "datacontenttype": "application/json",
        },
        {
            "message": body,
            "subscription": f"projects/{project}/subscriptions/{subscription}",
        },
    )


class FunctionsFrameworkTarget:
    """A CloudEvent function loaded by functions-framework; each event is POSTed to its app."""

    def __init__(self, entry_point: str, source: str | Path) -> None:
        self.name = entry_point
        self._source = str(source)
        self._app: Any = None
        self._lock = threading.Lock()

    def __call__(self, cloud_event: CloudEvent) -> None:
        from cloudevents.conversion import to_binary

        headers, body = to_binary(cloud_event)
        response = self._client().post("/", headers=headers, data=body)
        if response.status_code >= 300:
            detail = response.get_data(as_text=True)[:500]
            raise DeliveryError(f"{self.name} answered {response.status_code}: {detail}")

    def _client(self) -> Any:
        with self._lock:
            if self._app is None:
                import functions_framework

                self._app = functions_framework.create_app(
                    target=self.name, source=self._source, signature_type="cloudevent"
                )
            return self._app.test_client()


class LocalEventBus:
    def __init__(
        self,
        project: str | None = None,
        *,
        max_attempts: int = 5,
        retry_backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        clock: Clock | None = None,
    ) -> None:
        self.project = project or LOCAL_PROJECT
        self.dead_letters: list[DeadLetter] = []
        self._max_attempts = max_attempts
        self._retry_backoff_s = retry_backoff_s
        self._max_backoff_s = max_backoff_s
        self._clock = clock
        self._subscriptions: dict[str, list[Subscription]] = {}
        self._queue: list[_Delivery] = []
        self._in_flight = 0
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._worker: threading.Thread | None = None
        self._closed = False

    def subscribe(
        self, topic: str, handler: CloudEventHandler, *, name: str | None = None
    ) -> Subscription:
        """Deliver the topic's messages to `handler`; `name` names the subscription's function."""
        fn_name = name or getattr(handler, "name", None) or getattr(handler, "__name__", "")
        if not fn_name:
            raise ValueError("a subscription needs a function name")
        subscription = Subscription(topic, fn_name, handler)
        with self._cv:
            self._subscriptions.setdefault(topic, []).append(subscription)
        return subscription

    def publish(
        self,
        topic: str,
        event: Event,
        *,
        ordering_key: str | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> str:
        message = build_message(topic, event, ordering_key=ordering_key, attributes=attributes)
        message_id = str(uuid.uuid4().int % 10**16)
        publish_time = self._now().now()
        with self._cv:
            if self._closed:
                raise RuntimeError("the event bus is closed")
            for subscription in self._subscriptions.get(topic, ()):
                cloud_event = pubsub_cloud_event(
                    self.project,
                    message,
                    message_id=message_id,
                    publish_time=publish_time,
                    subscription=f"{subscription.name}-{topic}",
                )
                self._push(_Delivery(self._now().monotonic(), 0, subscription, cloud_event))
            self._ensure_worker()
        return message_id

    def flush_outbox(self) -> int:
        """Nothing to flush: an in-process publish cannot fail to reach the broker."""
        return 0

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery (and retry) is done; False on timeout (tests)."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while self._queue or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cv.wait(min(remaining, _IDLE_POLL_S))
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Deliver what is queued (up to `timeout`), then stop the worker."""
        self.drain(timeout)
        with self._cv:
            self._closed = True
            self._cv.notify_all()
            worker = self._worker
        if worker is not None:
            worker.join(timeout)

    def _now(self) -> Clock:
        return self._clock or get_clock()

    def _push(self, delivery: _Delivery) -> None:
        delivery.seq = next(self._seq)
        heapq.heappush(self._queue, delivery)
        self._cv.notify_all()

    def _ensure_worker(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(
                target=self._run, name="convonet-local-event-bus", daemon=True
            )
            self._worker.start()

    def _run(self) -> None:
        while True:
            with self._cv:
                delivery = self._next_due()
                if delivery is None:
                    return
                self._in_flight += 1
            try:
                self._deliver(delivery)
            finally:
                with self._cv:
                    self._in_flight -= 1
                    self._cv.notify_all()

    def _next_due(self) -> _Delivery | None:
        """Pop the next delivery that is due, waiting for it; None once closed."""
        while not self._closed:
            if self._queue:
                wait = self._queue[0].due - self._now().monotonic()
                if wait <= 0:
                    return heapq.heappop(self._queue)
                self._cv.wait(min(wait, _IDLE_POLL_S))
            else:
                self._cv.wait()
        return None

    def _deliver(self, delivery: _Delivery) -> None:
        subscription = delivery.subscription
        try:
            subscription.handler(delivery.cloud_event)
        except Exception as exc:
            delivery.attempts += 1
            if delivery.attempts >= self._max_attempts:
                self._dead_letter(delivery, exc)
                return
            backoff = min(self._retry_backoff_s * 2 ** (delivery.attempts - 1), self._max_backoff_s)
            logger.warning(
                "delivery of message %s to %s failed (attempt %d, retry in %.1f s): %s",
                delivery.cloud_event["id"],
                subscription.name,
                delivery.attempts,
                backoff,
                exc,
            )
            delivery.due = self._now().monotonic() + backoff
            with self._cv:
                self._push(delivery)

    def _dead_letter(self, delivery: _Delivery, exc: Exception) -> None:
        letter = DeadLetter(
            delivery.subscription, delivery.cloud_event, delivery.attempts, repr(exc)
        )
        with self._cv:
            self.dead_letters.append(letter)
        logger.error(
            "message %s to %s dead-lettered after %d attempts: %r",
            delivery.cloud_event["id"],
            delivery.subscription.name,
            delivery.attempts,
            exc,
        )


def wire_local_bus_from_manifest(
    bus: LocalEventBus, functions: Iterable[EventFunction] | None = None
) -> list[Subscription]:
    """Subscribe every event function of the manifest to its topics, through functions-framework.

    A function whose main.py does not exist yet is skipped with a warning, not wired to fail.
    """
    if functions is None:
        from convonet.manifest import event_functions

        functions = event_functions()
    subscriptions = []
    for spec in functions:
        if not spec.source.exists():
            logger.warning("event function %s has no main.py yet; not subscribed", spec.name)
            continue
        target = FunctionsFrameworkTarget(spec.entry_point, spec.source)
        for topic in spec.topics:
            subscriptions.append(bus.subscribe(topic, target, name=spec.name))
    return subscriptions
