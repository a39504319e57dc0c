"""The outbox: events whose publish failed wait in the StateStore until the broker is back.

A request that publishes must not fail (or lose the event) because Pub/Sub blipped, so the
message is kept as a document in the `outbox` collection with its attempt count and next
attempt time (from the injectable clock). `Outbox.flush` re-publishes what is due. Each entry
is claimed with `create()` in `outbox_claims` (the one write every backend makes atomic)
before it is sent, and re-read after the claim, so two flushers never send it twice.
Messages with an ordering key leave in order: only the oldest pending one for a key is sent.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from convonet.clock import Clock, get_clock
from convonet.events.base import EventPublishError, OutgoingMessage
from convonet.state.base import Document, StateStore

logger = logging.getLogger(__name__)

OUTBOX = "outbox"
OUTBOX_CLAIMS = "outbox_claims"

_sequence = itertools.count()


class Outbox:
    def __init__(
        self,
        store: StateStore,
        *,
        retry_s: float,
        max_backoff_s: float = 3600.0,
        claim_ttl_s: float = 120.0,
        clock: Clock | None = None,
    ) -> None:
        self._store = store
        self.retry_s = retry_s
        self._max_backoff_s = max_backoff_s
        self._claim_ttl_s = claim_ttl_s
        self._clock = clock

    @property
    def clock(self) -> Clock:
        return self._clock or get_clock()

    def add(self, message: OutgoingMessage, error: str, *, failed: bool = True) -> None:
        """Keep a message for later; `failed=False` queues it, due at once, behind its key."""
        now = self.clock.now()
        self._store.set(
            OUTBOX,
            message.event_id,
            {
                "topic": message.topic,
                "data": message.data.decode("utf-8"),
                "attributes": dict(message.attributes),
                "ordering_key": message.ordering_key,
                "event_id": message.event_id,
                "attempts": 1 if failed else 0,
                "created_at": now,
                "seq": f"{now:%Y%m%dT%H%M%S.%f}-{next(_sequence):012d}",
                "next_attempt_at": now + timedelta(seconds=self.retry_s if failed else 0),
                "last_error": error,
            },
        )

    def has_pending(self, ordering_key: str) -> bool:
        """Whether a message with this key waits here (a newer one must queue behind it)."""
        return bool(
            self._store.query(OUTBOX, where=[("ordering_key", "==", ordering_key)], limit=1)
        )

    def pending(self) -> list[tuple[str, Document]]:
        """Every kept message, oldest first (for operators and tests)."""
        return self._store.query(OUTBOX, order_by="seq")

    def flush(self, send: Callable[[OutgoingMessage], str], *, limit: int = 100) -> int:
        """Send what is due; stop at the first failure (the broker is likely still down).

        Returns the number of messages delivered and removed.
        """
        due = self._store.query(
            OUTBOX,
            where=[("next_attempt_at", "<=", self.clock.now())],
            order_by="next_attempt_at",
            limit=limit,
        )
        due.sort(key=lambda item: str(item[1].get("seq", "")))
        delivered = 0
        blocked: set[str] = set()
        for key, doc in due:
            ordering_key = doc.get("ordering_key")
            if ordering_key in blocked:
                continue
            if ordering_key and not self._is_oldest_for_key(key, ordering_key):
                blocked.add(ordering_key)
                continue
            outcome = self._send_claimed(key, send)
            if outcome is None:
                continue
            if not outcome:
                break
            delivered += 1
        return delivered

    def _is_oldest_for_key(self, key: str, ordering_key: str) -> bool:
        head = self._store.query(
            OUTBOX, where=[("ordering_key", "==", ordering_key)], order_by="seq", limit=1
        )
        return bool(head) and head[0][0] == key

    def _send_claimed(self, key: str, send: Callable[[OutgoingMessage], str]) -> bool | None:
        """Claim, re-check and send one entry: True sent, False failed, None not ours to send."""
        claim = {"token": uuid.uuid4().hex, "claimed_at": self.clock.now()}
        if not self._store.create(OUTBOX_CLAIMS, key, claim, ttl_s=self._claim_ttl_s):
            return None
        try:
            current = self._store.get(OUTBOX, key)
            if current is None or current["next_attempt_at"] > self.clock.now():
                return None
            try:
                message_id = send(_message(current))
            except EventPublishError as exc:
                self._reschedule(key, current, str(exc))
                return False
            self._store.delete(OUTBOX, key)
            logger.info(
                "outbox delivered %s to %s as message %s after %d failed attempt(s)",
                key,
                current["topic"],
                message_id,
                current.get("attempts", 0),
            )
            return True
        finally:
            self._store.delete(OUTBOX_CLAIMS, key)

    def _reschedule(self, key: str, doc: Document, error: str) -> None:
        attempts = int(doc.get("attempts", 0)) + 1
        delay = min(self.retry_s * 2 ** max(attempts - 1, 0), self._max_backoff_s)
        self._store.merge(
            OUTBOX,
            key,
            {
                "attempts": attempts,
                "next_attempt_at": self.clock.now() + timedelta(seconds=delay),
                "last_error": error,
            },
        )
        logger.warning(
            "outbox publish of %s to %s failed (attempt %d, next in %.0f s): %s",
            key,
            doc["topic"],
            attempts,
            delay,
            error,
        )


def _message(doc: dict[str, Any]) -> OutgoingMessage:
    return OutgoingMessage(
        topic=doc["topic"],
        data=doc["data"].encode("utf-8"),
        attributes=dict(doc.get("attributes") or {}),
        ordering_key=doc.get("ordering_key"),
        event_id=doc["event_id"],
    )
