"""Agent interactions as the monitor stores them, with their latency waterfall.

`record_interaction` stores each `AgentInteractionEvent` in `agent_interactions/<id>` (kept
MONITOR_RETENTION_S) and adds it to hourly counters sharded over MONITOR_COUNTER_SHARDS
documents (`monitor_counters/<hour>|<shard>`), so concurrent turns never contend on one
document. Voice channels add their part of the waterfall (capture, STT, TTS, first audio) by
interaction id with `merge_voice_timing`, before or after the agent's record arrives; a barge-in
marks the interaction interrupted. Light: no LangGraph, no LLM SDKs.

Transfers to a human are shown beside the turns: `store_transfer` keeps each TransferEvent
(requested, completed, missed) as a record of agent `human_transfer`, with a status by outcome
(a missed one is `timeout` for no answer, else `failed`). They are not agent turns, so they
are not added to the turn counters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from convonet.clock import get_clock
from convonet.config import get_settings
from convonet.events.schemas import AgentInteractionEvent, Timings, TransferEvent
from convonet.state import StateStore, get_state_store

INTERACTIONS = "agent_interactions"
COUNTERS = "monitor_counters"
# The monitor's domain for transfer records (the agent's own `transfer` domain asks for them).
TRANSFER_AGENT = "human_transfer"
WATERFALL_KEYS = tuple(Timings.model_fields)
_AGENT_PART = ("route_ms", "llm_first_token_ms", "tools_ms", "total_ms")


def store_interaction(event: AgentInteractionEvent, store: StateStore | None = None) -> None:
    """Store the interaction (keeping any voice timing already merged) and count it."""
    store = store or get_state_store()
    record = _record(event)
    ttl = get_settings().monitor_retention_s

    def combine(existing: dict[str, Any] | None) -> dict[str, Any]:
        merged = {**(existing or {}), **record, **_expiry(ttl)}
        if (existing or {}).get("interrupted"):
            merged["status"] = "interrupted"
        return merged

    store.transact(INTERACTIONS, event.interaction_id, combine)
    _count(store, event)


def store_transfer(event: TransferEvent, store: StateStore | None = None) -> None:
    """One step of a transfer, keyed by transfer and step, so a redelivery rewrites it."""
    key = f"transfer-{event.transfer_id}-{event.kind}"
    record: dict[str, Any] = {
        "interaction_id": key,
        "event_id": event.event_id,
        "session_id": event.call_sid or event.transfer_id,
        "user_id": event.user_id,
        "user_name": None,
        "channel": "phone" if event.call_sid else "voice",
        "agent": TRANSFER_AGENT,
        "provider": "twilio" if event.call_sid else "sip",
        "model": event.extension or "",
        "prompt": event.reason or "",
        "response": _transfer_summary(event),
        "status": _transfer_status(event),
        "error": event.outcome if event.kind == "missed" else None,
        "tool_calls": [],
        "tool_call_count": 0,
        "timings": {},
        "duration_ms": 0.0,
        "input_tokens": 0,
        "output_tokens": 0,
        "occurred_at": event.occurred_at,
        "transfer": {
            "transfer_id": event.transfer_id,
            "kind": event.kind,
            "department": event.department,
            "extension": event.extension,
            "outcome": event.outcome,
        },
    }
    ttl = get_settings().monitor_retention_s
    (store or get_state_store()).set(INTERACTIONS, key, record, ttl_s=ttl)


def _transfer_status(event: TransferEvent) -> str:
    if event.kind != "missed":
        return "success"
    return "timeout" if event.outcome == "no-answer" else "failed"


def _transfer_summary(event: TransferEvent) -> str:
    where = f"{event.department} (extension {event.extension or 'unknown'})"
    if event.kind == "requested":
        return f"Transfer to {where} requested."
    if event.kind == "completed":
        return f"Transfer to {where} connected."
    return f"Transfer to {where} missed ({event.outcome or 'failed'}); a callback was requested."


def merge_voice_timing(
    interaction_id: str, waterfall: Mapping[str, float | None], store: StateStore | None = None
) -> None:
    """Add a voice channel's part of the waterfall to an interaction (unknown keys refused)."""
    unknown = set(waterfall) - set(WATERFALL_KEYS)
    if unknown:
        raise ValueError(f"unknown waterfall keys: {sorted(unknown)}")
    values = {k: float(v) for k, v in waterfall.items() if v is not None}
    ttl = get_settings().monitor_retention_s

    def combine(existing: dict[str, Any] | None) -> dict[str, Any]:
        current = dict((existing or {}).get("voice_timings") or {})
        return {**(existing or {}), "voice_timings": {**current, **values}, **_expiry(ttl)}

    (store or get_state_store()).transact(INTERACTIONS, interaction_id, combine)


def mark_interrupted(interaction_id: str, heard_text: str, store: StateStore | None = None) -> None:
    """The user barged in: only `heard_text` of the answer was heard."""
    ttl = get_settings().monitor_retention_s

    def combine(existing: dict[str, Any] | None) -> dict[str, Any]:
        marked = {"interrupted": True, "heard_text": heard_text, **_expiry(ttl)}
        if existing is not None and "occurred_at" in existing:
            marked["status"] = "interrupted"
        return {**(existing or {}), **marked}

    (store or get_state_store()).transact(INTERACTIONS, interaction_id, combine)


def waterfall(doc: Mapping[str, Any]) -> dict[str, float | None]:
    """The interaction's latency waterfall: the agent's keys, then the voice channel's."""
    merged = {**(doc.get("timings") or {}), **(doc.get("voice_timings") or {})}
    return {key: merged.get(key) for key in WATERFALL_KEYS}


def hour_bucket(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _record(event: AgentInteractionEvent) -> dict[str, Any]:
    timings = event.timings.model_dump()
    return {
        "interaction_id": event.interaction_id,
        "event_id": event.event_id,
        "session_id": event.session_id,
        "user_id": event.user_id,
        "user_name": event.user_name,
        "channel": event.channel,
        "agent": event.agent,
        "provider": event.provider,
        "model": event.model,
        "prompt": event.prompt,
        "response": event.response,
        "status": event.status,
        "error": event.error,
        "tool_calls": [call.model_dump(mode="json") for call in event.tool_calls],
        "tool_call_count": len(event.tool_calls),
        "timings": {k: timings[k] for k in _AGENT_PART if timings.get(k) is not None},
        "duration_ms": event.timings.total_ms or 0.0,
        "input_tokens": event.usage.input_tokens,
        "output_tokens": event.usage.output_tokens,
        "occurred_at": event.occurred_at,
    }


def _count(store: StateStore, event: AgentInteractionEvent) -> None:
    """Add the interaction to its hour's counters, on a shard chosen by its id (a redelivery
    that got past the idempotency claim lands on the same shard)."""
    shards = max(1, get_settings().monitor_counter_shards)
    digest = hashlib.sha256(event.interaction_id.encode()).digest()
    hour = hour_bucket(event.occurred_at)
    key = f"{hour.isoformat()}|{digest[0] % shards}"
    ttl = get_settings().monitor_retention_s
    store.merge(COUNTERS, key, {"hour": hour, **_expiry(ttl)})
    failed = event.status in ("failed", "timeout")
    increments: dict[str, int | float] = {
        "total": 1,
        f"provider__{_field(event.provider)}": 1,
        f"domain__{_field(event.agent)}": 1,
        f"status__{event.status}": 1,
        "errors": int(failed),
        "tool_calls": len(event.tool_calls),
        "duration_ms_sum": event.timings.total_ms or 0.0,
        "input_tokens": event.usage.input_tokens,
        "output_tokens": event.usage.output_tokens,
    }
    for name, amount in increments.items():
        if amount:
            store.increment(COUNTERS, key, name, amount)


def _field(value: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in value.lower())[:40] or "none"


def _expiry(ttl_s: float) -> dict[str, Any]:
    from convonet.state.base import EXPIRES_FIELD

    return {EXPIRES_FIELD: get_clock().now() + timedelta(seconds=ttl_s)}
