"""Pub/Sub adapter of the EventBus (production): google-cloud-pubsub's PublisherClient.

The client is imported and built on first publish, so functions that never publish pay
nothing. Message ordering is enabled on the client so an ordering key can be given; with
ordering on, the library would retry a failed publish forever, so each publish is one
bounded attempt (`retry=None`, `timeout_s`) and the outbox does the retrying instead: a
request never hangs on Pub/Sub and a failed event is kept, not lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from convonet.clock import Clock, get_clock
from convonet.events.base import EventPublishError, OutgoingMessage, build_message
from convonet.events.outbox import Outbox
from convonet.events.schemas import Event
from convonet.state.base import StateStoreError

logger = logging.getLogger(__name__)

OUTBOX_ID_PREFIX = "outbox:"


class PubSubEventBus:
    def __init__(
        self,
        project: str,
        *,
        outbox: Outbox | None = None,
        timeout_s: float = 10.0,
        clock: Clock | None = None,
    ) -> None:
        if not project:
            raise ValueError("Pub/Sub needs GCP_PROJECT")
        self.project = project
        self.outbox = outbox
        self._timeout_s = timeout_s
        self._clock = clock
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._next_flush_at = float("-inf")

    def topic_path(self, topic: str) -> str:
        return f"projects/{self.project}/topics/{topic}"

    def publish(
        self,
        topic: str,
        event: Event,
        *,
        ordering_key: str | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> str:
        message = build_message(topic, event, ordering_key=ordering_key, attributes=attributes)
        if self._queued_behind_key(message):
            return OUTBOX_ID_PREFIX + message.event_id
        try:
            message_id = self._send(message)
        except EventPublishError as exc:
            self._keep(message, str(exc))
            return OUTBOX_ID_PREFIX + message.event_id
        self._flush_if_due()
        return message_id

    def flush_outbox(self) -> int:
        """Re-publish the outbox's due events now."""
        if self.outbox is None:
            return 0
        self._next_flush_at = self._now() + self.outbox.retry_s
        return self.outbox.flush(self._send)

    def close(self) -> None:
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.stop()
            client.transport.close()

    def _queued_behind_key(self, message: OutgoingMessage) -> bool:
        """Keep key order: while an older message with this key waits, queue this one too."""
        if self.outbox is None or not message.ordering_key:
            return False
        try:
            if not self.outbox.has_pending(message.ordering_key):
                return False
            self.outbox.add(message, "queued behind an older message with its key", failed=False)
        except StateStoreError as exc:
            raise EventPublishError(f"outbox unavailable for {message.event_id}: {exc}") from exc
        self.flush_outbox()
        return True

    def _keep(self, message: OutgoingMessage, error: str) -> None:
        if self.outbox is None:
            raise EventPublishError(error)
        try:
            self.outbox.add(message, error)
        except StateStoreError as exc:
            raise EventPublishError(f"{error}; and the outbox failed too: {exc}") from exc
        logger.warning(
            "publish of %s to %s failed; kept in the outbox: %s",
            message.event_id,
            message.topic,
            error,
        )

    def _flush_if_due(self) -> None:
        """After a good publish the broker is up: flush, at most once per retry interval."""
        if self.outbox is None or self._now() < self._next_flush_at:
            return
        try:
            self.flush_outbox()
        except StateStoreError:
            logger.exception("outbox flush failed")

    def _send(self, message: OutgoingMessage) -> str:
        from google.api_core.exceptions import GoogleAPIError

        client = self._publisher()
        path = self.topic_path(message.topic)
        try:
            future = client.publish(
                path,
                message.data,
                ordering_key=message.ordering_key or "",
                retry=None,
                timeout=self._timeout_s,
                **message.attributes,
            )
            return str(future.result(timeout=self._timeout_s))
        except (GoogleAPIError, TimeoutError, RuntimeError) as exc:
            if message.ordering_key:
                client.resume_publish(path, message.ordering_key)
            code = getattr(exc, "grpc_status_code", None)
            reason = code.name if code is not None else type(exc).__name__
            raise EventPublishError(f"publish to {path} failed: {reason}: {exc}") from exc

    def _publisher(self) -> Any:
        with self._client_lock:
            if self._client is None:
                from google.cloud.pubsub_v1 import PublisherClient, types

                self._client = PublisherClient(
                    batch_settings=types.BatchSettings(max_latency=0.001),
                    publisher_options=types.PublisherOptions(enable_message_ordering=True),
                )
            return self._client

    def _now(self) -> float:
        return (self._clock or get_clock()).monotonic()
