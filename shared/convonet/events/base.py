"""The EventBus port: publish typed events to a topic, whatever carries them.

Production publishes to Pub/Sub (Eventarc then delivers a CloudEvent to each subscribed
function); the embedded default delivers that same CloudEvent in-process. Both build the
message here, so the body and attributes are identical on either bus.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from convonet.events.schemas import Event, encode_event, model_for

RESERVED_ATTRIBUTES = frozenset({"schema_version", "event_type", "event_id"})
# Keyword names of PublisherClient.publish; attributes travel as its keyword arguments.
_UNCARRIABLE_ATTRIBUTES = frozenset({"topic", "data", "ordering_key", "retry", "timeout"})


class EventPublishError(RuntimeError):
    """The event could not be handed to the broker (and could not be kept for later)."""


@dataclass(frozen=True)
class OutgoingMessage:
    """A message as it goes on the wire: JSON body, string attributes, optional ordering key."""

    topic: str
    data: bytes
    attributes: dict[str, str] = field(default_factory=dict)
    ordering_key: str | None = None
    event_id: str = ""


class EventBus(Protocol):
    def publish(
        self,
        topic: str,
        event: Event,
        *,
        ordering_key: str | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> str:
        """Publish and return the broker's message id.

        A Pub/Sub publish that fails is kept in the outbox and its id is then
        `outbox:<event_id>`; the event is delivered when the outbox is flushed.
        """

    def flush_outbox(self) -> int:
        """Re-publish events kept after failed publishes; returns how many were delivered."""

    def close(self) -> None:
        """Release clients and threads (flushing what is pending first)."""


def build_message(
    topic: str,
    event: Event,
    *,
    ordering_key: str | None = None,
    attributes: Mapping[str, str] | None = None,
) -> OutgoingMessage:
    """Check the event belongs on the topic and build its body and attributes.

    Attributes carry `schema_version`, `event_type`, `event_id` and, for events with a
    `kind`, the kind, so subscriptions can filter without decoding the body.
    """
    model = model_for(topic)
    if type(event) is not model:
        raise TypeError(f"topic {topic!r} carries {model.__name__}, not {type(event).__name__}")
    extra = dict(attributes or {})
    clash = RESERVED_ATTRIBUTES & extra.keys()
    if clash:
        raise ValueError(f"attributes {sorted(clash)} are set by the bus")
    bad = [k for k in extra if k in _UNCARRIABLE_ATTRIBUTES or k.startswith("goog")]
    if bad:
        raise ValueError(f"attribute names {sorted(bad)} cannot be carried")
    attrs = {
        **extra,
        "schema_version": str(event.schema_version),
        "event_type": model.event_type(),
        "event_id": event.event_id,
    }
    kind = getattr(event, "kind", None)
    if isinstance(kind, str):
        attrs.setdefault("kind", kind)
    return OutgoingMessage(
        topic=topic,
        data=encode_event(event),
        attributes=attrs,
        ordering_key=ordering_key or None,
        event_id=event.event_id,
    )
