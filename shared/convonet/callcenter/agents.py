"""Agent states and call events, validated as one state machine and kept in the StateStore.

States: logged_out -> (login) not_ready <-> ready; a call rings while the agent is logged in and
not on a call, `answer` puts the agent on_call, `drop` / `transfer` / `wrap-up` end the call into
wrap_up, and `ready` / `not_ready` / `logout` leave wrap-up (which counts the call as handled).
Anything else is a Conflict (409) and changes nothing. Every change is one read-modify-write
of `call_center_agents/<user id>`; the call's events go to `call_center_calls/<call id>` and
the time spent in each state to the agent's daily metrics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from convonet.callcenter import metrics
from convonet.clock import get_clock
from convonet.config import get_settings
from convonet.domain.errors import Conflict
from convonet.state import Document, get_state_store
from convonet.state.base import EXPIRES_FIELD

AGENTS = "call_center_agents"
CALLS = "call_center_calls"

AgentState = Literal["logged_out", "ready", "not_ready", "on_call", "wrap_up"]
CallEventType = Literal["ringing", "answer", "drop", "hold", "unhold", "transfer"]
TransferMode = Literal["blind", "attended"]

_LABELS = {
    "logged_out": "logged out",
    "ready": "ready",
    "not_ready": "not ready",
    "on_call": "on a call",
    "wrap_up": "in wrap-up",
}
# action -> (states it may start from, state it leads to)
_MOVES: dict[str, tuple[frozenset[str], AgentState]] = {
    "ready": (frozenset({"ready", "not_ready", "wrap_up"}), "ready"),
    "not_ready": (frozenset({"ready", "not_ready", "wrap_up"}), "not_ready"),
    "logout": (frozenset({"ready", "not_ready", "wrap_up"}), "logged_out"),
}


@dataclass(frozen=True)
class AgentIdentity:
    """Who is logging in, from the verified token and the user's row (never from a body)."""

    user_id: str
    name: str
    extension: str
    department: str


@dataclass(frozen=True)
class CallEvent:
    type: CallEventType
    call_id: str
    call_sid: str | None = None
    transfer_id: str | None = None
    caller: str | None = None
    target: str | None = None
    mode: TransferMode | None = None


@dataclass
class _Step:
    """One validated change: the new agent document and what it implies elsewhere."""

    doc: Document
    closed_state: tuple[str, datetime] | None = None
    handled_since: datetime | None = None
    call_event: CallEvent | None = None
    call_fields: dict[str, Any] = field(default_factory=dict)


# Reads ------------------------------------------------------------------------------------


def status(user_id: str) -> dict[str, Any]:
    """The agent's state with the time spent in it (logged_out when never logged in)."""
    return agent_view(get_state_store().get(AGENTS, user_id), user_id)


def get_agent_document(user_id: str) -> Document | None:
    """The stored agent document as it is (None when the agent never logged in)."""
    return get_state_store().get(AGENTS, user_id)


def list_agents() -> list[dict[str, Any]]:
    """Every agent who has logged in, by extension (supervisors)."""
    rows = get_state_store().query(AGENTS, order_by="extension")
    return [agent_view(doc, key) for key, doc in rows]


def agent_view(doc: Document | None, user_id: str) -> dict[str, Any]:
    now = get_clock().now()
    if doc is None:
        return {
            "user_id": user_id,
            "state": "logged_out",
            "state_since": None,
            "time_in_state_s": None,
            "extension": None,
            "department": None,
            "name": None,
            "call": None,
        }
    call = doc.get("call") or doc.get("wrap")
    return {
        "user_id": doc["user_id"],
        "name": doc.get("name"),
        "extension": doc.get("extension"),
        "department": doc.get("department"),
        "state": doc["state"],
        "state_since": doc["state_since"],
        "time_in_state_s": round((now - doc["state_since"]).total_seconds(), 3),
        "not_ready_reason": doc.get("not_ready_reason"),
        "call": _call_view(call) if call else None,
    }


# Agent actions ----------------------------------------------------------------------------


def login(identity: AgentIdentity) -> dict[str, Any]:
    """logged_out -> not_ready: the agent is signed in but takes no calls until ready."""

    def step(doc: Document | None, now: datetime) -> _Step:
        current = _state(doc)
        if current != "logged_out":
            raise Conflict(
                f"You are already logged in ({_LABELS[current]}).",
                "already_logged_in",
                details={"state": current},
            )
        return _Step(
            {
                "user_id": identity.user_id,
                "name": identity.name,
                "extension": identity.extension,
                "department": identity.department,
                "state": "not_ready",
                "state_since": now,
                "logged_in_at": now,
                "call": None,
                "wrap": None,
            },
        )

    return _apply(identity.user_id, step)


def set_ready(user_id: str) -> dict[str, Any]:
    return _move(user_id, "ready")


def set_not_ready(user_id: str, reason: str | None = None) -> dict[str, Any]:
    return _move(user_id, "not_ready", not_ready_reason=reason)


def logout(user_id: str) -> dict[str, Any]:
    return _move(user_id, "logout")


def wrap_up(user_id: str) -> dict[str, Any]:
    """End the current call from the agent's side and start wrap-up (only after a call)."""

    def step(doc: Document | None, now: datetime) -> _Step:
        if _state(doc) != "on_call" or doc is None:
            raise Conflict(
                f"Wrap-up comes only after a call; you are {_LABELS[_state(doc)]}.",
                "illegal_transition",
                details={"state": _state(doc), "action": "wrap_up"},
            )
        call = doc["call"]
        return _end_call(doc, now, CallEvent("drop", call["call_id"]), "completed")

    return _apply(user_id, step)


def call_event(user_id: str, event: CallEvent) -> dict[str, Any]:
    """Record what the softphone saw; the agent's state follows the call."""
    handlers: dict[str, Callable[[Document, datetime, CallEvent], _Step]] = {
        "ringing": _ringing,
        "answer": _answer,
        "hold": _hold,
        "unhold": _unhold,
        "drop": _drop,
        "transfer": _transfer,
    }

    def step(doc: Document | None, now: datetime) -> _Step:
        if doc is None or doc["state"] == "logged_out":
            raise Conflict(
                "Log in before taking calls.", "logged_out", details={"state": "logged_out"}
            )
        return handlers[event.type](doc, now, event)

    return _apply(user_id, step)


# Transitions ------------------------------------------------------------------------------


def _move(user_id: str, action: str, **extra: Any) -> dict[str, Any]:
    allowed, target = _MOVES[action]

    def step(doc: Document | None, now: datetime) -> _Step:
        current = _state(doc)
        if doc is None or current not in allowed:
            hint = " Hang up or finish the call first." if current == "on_call" else ""
            raise Conflict(
                f"You cannot {action.replace('_', ' ')} while {_LABELS[current]}.{hint}",
                "illegal_transition",
                details={"state": current, "action": action},
            )
        if current == target:
            return _Step({**doc, **extra})
        return _leave(doc, now, target, **extra)

    return _apply(user_id, step)


def _leave(doc: Document, now: datetime, target: AgentState, **extra: Any) -> _Step:
    """Change state, closing the time spent in the old one (and the wrapped-up call)."""
    wrap = doc.get("wrap")
    handled = wrap["answered_at"] if doc["state"] == "wrap_up" and wrap else None
    call = doc.get("call")
    dropped = target == "logged_out" and call is not None
    new = {**doc, **extra, "state": target, "state_since": now, "wrap": None}
    if target != "not_ready":
        new["not_ready_reason"] = None
    if dropped:
        new["call"] = None
    return _Step(
        new,
        closed_state=(doc["state"], doc["state_since"]),
        handled_since=handled,
        call_event=CallEvent("drop", call["call_id"]) if dropped and call else None,
        call_fields={"outcome": "missed", "status": "ended", "ended_at": now} if dropped else {},
    )


def _ringing(doc: Document, now: datetime, event: CallEvent) -> _Step:
    call = doc.get("call")
    if doc["state"] == "on_call" or (call and call["call_id"] != event.call_id):
        raise Conflict("You are already on a call.", "busy", details={"state": doc["state"]})
    ringing = call or {
        "call_id": event.call_id,
        "call_sid": event.call_sid,
        "transfer_id": event.transfer_id,
        "caller": event.caller,
        "status": "ringing",
        "ringing_at": now,
        "answered_at": None,
        "held_since": None,
        "hold_s": 0.0,
    }
    fields = {
        "agent_id": doc["user_id"],
        "extension": doc.get("extension"),
        "call_sid": event.call_sid,
        "transfer_id": event.transfer_id,
        "caller": event.caller,
        "status": "ringing",
        "ringing_at": ringing["ringing_at"],
    }
    return _Step({**doc, "call": ringing}, call_event=event, call_fields=fields)


def _answer(doc: Document, now: datetime, event: CallEvent) -> _Step:
    call = _current_call(doc, event, "ringing")
    answered = {**call, "status": "connected", "answered_at": now}
    new = {**doc, "call": answered, "state": "on_call", "state_since": now, "wrap": None}
    return _Step(
        new,
        closed_state=(doc["state"], doc["state_since"]),
        call_event=event,
        call_fields={"status": "connected", "answered_at": now},
    )


def _hold(doc: Document, now: datetime, event: CallEvent) -> _Step:
    call = _current_call(doc, event, "connected")
    held = {**call, "status": "held", "held_since": now}
    return _Step({**doc, "call": held}, call_event=event, call_fields={"status": "held"})


def _unhold(doc: Document, now: datetime, event: CallEvent) -> _Step:
    call = _current_call(doc, event, "held")
    hold_s = call["hold_s"] + (now - call["held_since"]).total_seconds()
    resumed = {**call, "status": "connected", "held_since": None, "hold_s": hold_s}
    return _Step(
        {**doc, "call": resumed},
        call_event=event,
        call_fields={"status": "connected", "hold_s": hold_s},
    )


def _drop(doc: Document, now: datetime, event: CallEvent) -> _Step:
    call = _current_call(doc, event, "ringing", "connected", "held")
    if call["status"] == "ringing":
        return _Step(
            {**doc, "call": None},
            call_event=event,
            call_fields={"status": "ended", "outcome": "missed", "ended_at": now},
        )
    return _end_call(doc, now, event, "completed")


def _transfer(doc: Document, now: datetime, event: CallEvent) -> _Step:
    _current_call(doc, event, "connected", "held")
    step = _end_call(doc, now, event, "transferred")
    step.call_fields.update({"transfer_target": event.target, "transfer_mode": event.mode})
    return step


def _end_call(doc: Document, now: datetime, event: CallEvent, outcome: str) -> _Step:
    call = doc["call"]
    hold_s = call["hold_s"]
    if call["status"] == "held" and call["held_since"] is not None:
        hold_s += (now - call["held_since"]).total_seconds()
    wrap = {
        "call_id": call["call_id"],
        "caller": call.get("caller"),
        "transfer_id": call.get("transfer_id"),
        "call_sid": call.get("call_sid"),
        "status": "wrap_up",
        "outcome": outcome,
        "ringing_at": call["ringing_at"],
        "answered_at": call["answered_at"],
        "ended_at": now,
        "hold_s": hold_s,
    }
    new = {**doc, "call": None, "wrap": wrap, "state": "wrap_up", "state_since": now}
    return _Step(
        new,
        closed_state=(doc["state"], doc["state_since"]),
        call_event=replace(event, call_id=call["call_id"]),
        call_fields={"status": "ended", "outcome": outcome, "ended_at": now, "hold_s": hold_s},
    )


def _current_call(doc: Document, event: CallEvent, *statuses: str) -> dict[str, Any]:
    call = doc.get("call")
    if call is None or call["call_id"] != event.call_id:
        raise Conflict(
            f"There is no call {event.call_id} to {event.type}.",
            "unknown_call",
            details={"state": doc["state"], "action": event.type},
        )
    if call["status"] not in statuses:
        raise Conflict(
            f"You cannot {event.type} a call that is {call['status']}.",
            "illegal_transition",
            details={"state": doc["state"], "call_status": call["status"], "action": event.type},
        )
    return dict(call)


# Persistence ------------------------------------------------------------------------------


def _apply(user_id: str, step: Callable[[Document | None, datetime], _Step]) -> dict[str, Any]:
    """Run one validated change atomically, then record its call event and metrics."""
    now = get_clock().now()
    outcome: list[_Step] = []

    def update(doc: Document | None) -> Document:
        result = step(doc, now)
        outcome[:] = [result]
        return result.doc

    written = get_state_store().transact(AGENTS, user_id, update)
    result = outcome[0]
    if result.closed_state is not None:
        state, since = result.closed_state
        metrics.add_state_time(user_id, state, since, now)
    if result.handled_since is not None:
        metrics.add_handled_call(user_id, result.handled_since, now)
    if result.call_event is not None:
        _record_call_event(user_id, result.call_event, result.call_fields, now)
    return agent_view(written, user_id)


def _record_call_event(
    user_id: str, event: CallEvent, fields: dict[str, Any], now: datetime
) -> None:
    entry: dict[str, Any] = {"type": event.type, "at": now, "agent_id": user_id}
    if event.type == "transfer":
        entry.update({"target": event.target, "mode": event.mode})
    expires = now + timedelta(seconds=get_settings().call_center_retention_s)

    def update(doc: Document | None) -> Document:
        base = doc or {"call_id": event.call_id, "events": []}
        return {**base, **fields, "events": [*base["events"], entry], EXPIRES_FIELD: expires}

    get_state_store().transact(CALLS, event.call_id, update)


def call_record(call_id: str) -> Document | None:
    """The call's recorded events and outcome (kept CALL_CENTER_RETENTION_S)."""
    return get_state_store().get(CALLS, call_id)


def _state(doc: Document | None) -> AgentState:
    return "logged_out" if doc is None else doc["state"]


def _call_view(call: dict[str, Any]) -> dict[str, Any]:
    return {
        key: call.get(key)
        for key in (
            "call_id",
            "call_sid",
            "transfer_id",
            "caller",
            "status",
            "outcome",
            "ringing_at",
            "answered_at",
            "ended_at",
            "hold_s",
        )
    }
