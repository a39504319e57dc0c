"""The outbox: failed publishes wait, leave once each, in key order, on every StateStore."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from convonet.clock import FakeClock
from convonet.events import CrmSyncEvent, EventPublishError
from convonet.events.base import OutgoingMessage, build_message
from convonet.events.outbox import OUTBOX_CLAIMS, Outbox
from convonet.state import StateStore

RETRY_S = 10.0


def _message(record_id: str, ordering_key: str | None = None) -> OutgoingMessage:
    event = CrmSyncEvent(record_id=record_id, kind="note")
    return build_message("crm-sync", event, ordering_key=ordering_key)


class Broker:
    """Stands in for the broker at the outbox's `send` seam: records or refuses each message."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.down = False
        self._lock = threading.Lock()

    def send(self, message: OutgoingMessage) -> str:
        if self.down:
            raise EventPublishError("broker down")
        with self._lock:
            self.sent.append(message.event_id)
            return str(len(self.sent))


@pytest.fixture
def outbox(state_store: StateStore, clock: FakeClock) -> Outbox:
    return Outbox(state_store, retry_s=RETRY_S)


def test_a_kept_message_waits_for_its_retry_time_then_leaves_once(
    outbox: Outbox, clock: FakeClock
) -> None:
    broker, message = Broker(), _message("a")
    outbox.add(message, "UNAVAILABLE")
    assert outbox.flush(broker.send) == 0
    clock.advance(RETRY_S)
    assert outbox.flush(broker.send) == 1
    assert broker.sent == [message.event_id]
    assert outbox.pending() == []
    assert outbox.flush(broker.send) == 0


def test_each_failure_doubles_the_wait(outbox: Outbox, clock: FakeClock) -> None:
    broker, message = Broker(), _message("a")
    outbox.add(message, "UNAVAILABLE")
    broker.down = True
    clock.advance(RETRY_S)
    assert outbox.flush(broker.send) == 0
    [(key, doc)] = outbox.pending()
    assert key == message.event_id
    assert doc["attempts"] == 2
    assert (doc["next_attempt_at"] - clock.now()).total_seconds() == 2 * RETRY_S
    assert doc["last_error"] == "broker down"
    broker.down = False
    clock.advance(RETRY_S)
    assert outbox.flush(broker.send) == 0
    clock.advance(RETRY_S)
    assert outbox.flush(broker.send) == 1


def test_a_flush_stops_at_the_first_failure(outbox: Outbox, clock: FakeClock) -> None:
    calls: list[str] = []

    def refuse(message: OutgoingMessage) -> str:
        calls.append(message.event_id)
        raise EventPublishError("down")

    for name in "abc":
        outbox.add(_message(name), "down")
    clock.advance(RETRY_S)
    assert outbox.flush(refuse) == 0
    assert len(calls) == 1


def test_messages_with_one_ordering_key_leave_in_order(outbox: Outbox, clock: FakeClock) -> None:
    broker = Broker()
    first, second, other = _message("1", "k"), _message("2", "k"), _message("3", "j")
    outbox.add(first, "down")
    outbox.add(second, "queued", failed=False)
    outbox.add(other, "down")
    assert outbox.has_pending("k") and not outbox.has_pending("z")
    assert outbox.flush(broker.send) == 0, "the second waits for the first, which is not due"
    clock.advance(RETRY_S)
    assert outbox.flush(broker.send) == 3
    assert broker.sent == [first.event_id, second.event_id, other.event_id]


def test_a_claimed_message_is_not_sent_by_another_flusher(
    state_store: StateStore, clock: FakeClock
) -> None:
    one, two = Outbox(state_store, retry_s=RETRY_S), Outbox(state_store, retry_s=RETRY_S)
    broker, message = Broker(), _message("a")
    one.add(message, "down")
    clock.advance(RETRY_S)
    nested: list[int] = []

    def send_while_another_flushes(msg: OutgoingMessage) -> str:
        nested.append(two.flush(broker.send))
        return broker.send(msg)

    assert one.flush(send_while_another_flushes) == 1
    assert nested == [0]
    assert broker.sent == [message.event_id]
    assert state_store.get(OUTBOX_CLAIMS, message.event_id) is None


def test_concurrent_flushers_deliver_every_message_exactly_once(
    state_store: StateStore, clock: FakeClock
) -> None:
    outbox = Outbox(state_store, retry_s=RETRY_S)
    messages = [_message(str(n)) for n in range(12)]
    for message in messages:
        outbox.add(message, "down")
    clock.advance(RETRY_S)
    broker = Broker()
    start = threading.Barrier(6)

    def flusher() -> None:
        start.wait()
        Outbox(state_store, retry_s=RETRY_S).flush(broker.send)

    threads = [threading.Thread(target=flusher) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(broker.sent) == Counter(m.event_id for m in messages)
    assert outbox.pending() == []
