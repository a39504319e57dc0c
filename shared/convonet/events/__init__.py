"""EventBus port, typed event schemas and the configured bus (Pub/Sub or in-process).

Importing this package loads neither google-cloud-pubsub nor functions-framework; the
adapter that needs them imports them on first use.
"""

from __future__ import annotations

import threading

from convonet.events.base import EventBus, EventPublishError
from convonet.events.schemas import (
    EVENT_TYPES,
    AgentInteractionEvent,
    CrmSyncEvent,
    Event,
    EventDecodeError,
    MalformedEventError,
    RemindersDueEvent,
    ReservationEvent,
    Timings,
    TokenUsage,
    ToolCallRecord,
    TransferEvent,
    UnknownTopicError,
    UnsupportedSchemaVersionError,
    decode_event,
    encode_event,
)

__all__ = [
    "EVENT_TYPES",
    "AgentInteractionEvent",
    "CrmSyncEvent",
    "Event",
    "EventBus",
    "EventDecodeError",
    "EventPublishError",
    "MalformedEventError",
    "RemindersDueEvent",
    "ReservationEvent",
    "Timings",
    "TokenUsage",
    "ToolCallRecord",
    "TransferEvent",
    "UnknownTopicError",
    "UnsupportedSchemaVersionError",
    "decode_event",
    "encode_event",
    "flush_outbox",
    "get_event_bus",
    "set_event_bus",
]

_bus: EventBus | None = None
_lock = threading.Lock()


def get_event_bus() -> EventBus:
    """The process-wide bus for the configured backend, created on first use."""
    global _bus
    with _lock:
        if _bus is None:
            _bus = _build_bus()
        return _bus


def set_event_bus(bus: EventBus | None) -> EventBus | None:
    """Install a bus (tests, the dev server); None resets to the configured one.

    Returns the previous bus so the caller can close or restore it.
    """
    global _bus
    with _lock:
        previous, _bus = _bus, bus
        return previous


def flush_outbox() -> int:
    """Re-publish events whose publish failed earlier (the dev server calls this periodically)."""
    return get_event_bus().flush_outbox()


def _build_bus() -> EventBus:
    from convonet.config import get_settings

    settings = get_settings()
    if settings.event_backend == "pubsub":
        from convonet.events.outbox import Outbox
        from convonet.events.pubsub import PubSubEventBus
        from convonet.state import get_state_store

        if not settings.gcp_project:
            from convonet.config import ConfigError

            raise ConfigError("EVENT_BACKEND=pubsub needs GCP_PROJECT")
        return PubSubEventBus(
            settings.gcp_project,
            outbox=Outbox(get_state_store(), retry_s=settings.outbox_retry_s),
        )
    from convonet.events.local import LocalEventBus

    return LocalEventBus(settings.gcp_project)
