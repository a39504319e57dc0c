"""Typed, versioned event schemas: one model per Pub/Sub topic.

Publishers and handlers share these models so a message is checked on both sides of the
wire. Every event carries `schema_version` (bumped on any incompatible change; a consumer
refuses versions it does not know rather than guess) and `event_id` (the publisher's id,
stable across outbox retries). `EVENT_TYPES` is the registry from topic to model.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from convonet.clock import utcnow

E164_PATTERN = r"^\+[1-9]\d{6,14}$"


class EventDecodeError(ValueError):
    """A message cannot be turned into a typed event; redelivering it will not help."""


class UnknownTopicError(EventDecodeError):
    """No schema is registered for the topic."""


class UnsupportedSchemaVersionError(EventDecodeError):
    """The message's schema_version is not one this code understands."""


class MalformedEventError(EventDecodeError):
    """The payload is not JSON or does not match the topic's schema."""


def _new_event_id() -> str:
    return uuid.uuid4().hex


class Event(BaseModel):
    """Base of every event: identity, version and time of the fact it reports."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    TOPIC: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1
    event_id: str = Field(default_factory=_new_event_id, min_length=1, max_length=128)
    occurred_at: AwareDatetime = Field(default_factory=utcnow)

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value != cls.SCHEMA_VERSION:
            raise ValueError(f"{cls.__name__} is version {cls.SCHEMA_VERSION}, got {value}")
        return value

    @classmethod
    def event_type(cls) -> str:
        """The `event_type` attribute, e.g. `convonet.ReservationEvent.v1`."""
        return f"convonet.{cls.__name__}.v{cls.SCHEMA_VERSION}"


class ToolCallRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    tool_id: str | None = None
    arguments: dict[str, Any] = Field(default_factory=dict)
    result: Any = None
    error: str | None = None
    status: Literal["success", "failed", "timeout"] = "success"
    duration_ms: float = Field(ge=0)


class Timings(BaseModel):
    """The latency waterfall (ms); keys a turn did not have (no voice, no tool) stay None."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    capture_ms: float | None = Field(default=None, ge=0)
    stt_ms: float | None = Field(default=None, ge=0)
    route_ms: float | None = Field(default=None, ge=0)
    llm_first_token_ms: float | None = Field(default=None, ge=0)
    tools_ms: float | None = Field(default=None, ge=0)
    tts_first_byte_ms: float | None = Field(default=None, ge=0)
    first_audio_ms: float | None = Field(default=None, ge=0)
    total_ms: float | None = Field(default=None, ge=0)


class TokenUsage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)


class AgentInteractionEvent(Event):
    """One assistant turn, for the agent monitor (`record_interaction`)."""

    TOPIC: ClassVar[str] = "agent-interactions"

    interaction_id: str
    session_id: str
    user_id: str | None = None
    user_name: str | None = None
    channel: Literal["web", "voice", "phone", "api", "mcp"]
    agent: str
    provider: str
    model: str
    prompt: str
    response: str
    status: Literal["success", "failed", "timeout", "interrupted"]
    error: str | None = None
    tool_calls: tuple[ToolCallRecord, ...] = ()
    timings: Timings = Field(default_factory=Timings)
    usage: TokenUsage = Field(default_factory=TokenUsage)


class ReservationEvent(Event):
    """A Hanok reservation changed; `notify` texts the guest."""

    TOPIC: ClassVar[str] = "reservation-events"

    kind: Literal["created", "changed", "cancelled", "waitlist_promoted"]
    reservation_id: str
    confirmation_code: str
    guest_phone_e164: str | None = Field(default=None, pattern=E164_PATTERN)
    guest_name: str
    starts_at: AwareDatetime
    party_size: int = Field(ge=1)
    status: str
    locale: str = "en"


class TransferEvent(Event):
    """A caller asked for, reached or missed a human agent."""

    TOPIC: ClassVar[str] = "transfer-events"

    kind: Literal["requested", "completed", "missed"]
    transfer_id: str
    call_sid: str | None = None
    user_id: str | None = None
    department: str
    extension: str | None = None
    reason: str | None = None
    outcome: str | None = None


class CrmSyncEvent(Event):
    """A CRM record written locally that `crm_sync` must push to SuiteCRM."""

    TOPIC: ClassVar[str] = "crm-sync"

    record_id: str
    kind: Literal["patient", "meeting", "case", "note"]


class RemindersDueEvent(Event):
    """Cloud Scheduler's tick; its fixed body carries no time, so `scheduled_at` may be None."""

    TOPIC: ClassVar[str] = "reminders-due"

    scheduled_at: AwareDatetime | None = None


EVENT_TYPES: Mapping[str, type[Event]] = {
    model.TOPIC: model
    for model in (
        AgentInteractionEvent,
        ReservationEvent,
        TransferEvent,
        CrmSyncEvent,
        RemindersDueEvent,
    )
}


def model_for(topic: str) -> type[Event]:
    try:
        return EVENT_TYPES[topic]
    except KeyError:
        raise UnknownTopicError(f"no event schema for topic {topic!r}") from None


def encode_event(event: Event) -> bytes:
    """The message body: the event as compact UTF-8 JSON."""
    return event.model_dump_json().encode("utf-8")


def decode_event(
    topic: str, data: bytes | str, attributes: Mapping[str, str] | None = None
) -> Event:
    """Parse a message body into the topic's model, refusing unknown versions and bad data.

    `schema_version` comes from the body, or from the message attribute when the body lacks
    it (a Cloud Scheduler job's fixed body may).
    """
    model = model_for(topic)
    try:
        payload = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedEventError(f"{topic}: message data is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise MalformedEventError(f"{topic}: message data is not a JSON object")
    version = payload.get("schema_version", (attributes or {}).get("schema_version"))
    if version is None:
        raise MalformedEventError(f"{topic}: message carries no schema_version")
    if str(version) != str(model.SCHEMA_VERSION):
        raise UnsupportedSchemaVersionError(
            f"{topic}: schema_version {version!r} is not supported "
            f"(this code reads {model.SCHEMA_VERSION})"
        )
    payload["schema_version"] = model.SCHEMA_VERSION
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise MalformedEventError(f"{topic}: {exc}") from None
