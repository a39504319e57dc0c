"""An agent's daily figures: calls handled, average handle time, availability.

Time in each state and handled calls are added with atomic increments to
`call_center_metrics/<user id>|<YYYY-MM-DD>` (UTC days; an interval crossing midnight is split),
so concurrent events never contend. Handle time runs from answer to the end of wrap-up.
Availability is the share of logged-in time spent ready, on a call or in wrap-up (that is, not
`not_ready`); the state the agent is in now counts up to the present.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from convonet.clock import get_clock
from convonet.config import get_settings
from convonet.state import Document, get_state_store

METRICS = "call_center_metrics"
WORKING_STATES = ("ready", "not_ready", "on_call", "wrap_up")
AVAILABLE_STATES = ("ready", "on_call", "wrap_up")


def add_state_time(user_id: str, state: str, since: datetime, until: datetime) -> None:
    if state not in WORKING_STATES:
        return
    for day, seconds in _split_by_day(since, until):
        _increment(user_id, day, f"seconds__{state}", seconds)


def add_handled_call(user_id: str, answered_at: datetime, ended_at: datetime) -> None:
    day = ended_at.astimezone(UTC).date()
    _increment(user_id, day, "calls_handled", 1)
    _increment(user_id, day, "handle_s_sum", (ended_at - answered_at).total_seconds())


def agent_metrics(
    user_id: str, first: date, last: date, current: Document | None = None
) -> dict[str, Any]:
    """Totals for UTC days first..last; `current` (the agent document) adds its open state."""
    store = get_state_store()
    totals: dict[str, float] = {}
    day = first
    while day <= last:
        for name, value in (store.get(METRICS, _key(user_id, day)) or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                totals[name] = totals.get(name, 0) + value
        day += timedelta(days=1)
    if current is not None and current.get("state") in WORKING_STATES:
        start = max(current["state_since"], datetime.combine(first, time(), UTC))
        end = min(get_clock().now(), datetime.combine(last + timedelta(days=1), time(), UTC))
        if end > start:
            name = f"seconds__{current['state']}"
            totals[name] = totals.get(name, 0) + (end - start).total_seconds()
    return _summary(totals, first, last)


def _summary(totals: dict[str, float], first: date, last: date) -> dict[str, Any]:
    seconds = {state: round(totals.get(f"seconds__{state}", 0.0), 3) for state in WORKING_STATES}
    logged_in = sum(seconds.values())
    available = sum(seconds[state] for state in AVAILABLE_STATES)
    handled = int(totals.get("calls_handled", 0))
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "calls_handled": handled,
        "average_handle_time_s": round(totals.get("handle_s_sum", 0.0) / handled, 1)
        if handled
        else 0.0,
        "availability_pct": round(100 * available / logged_in, 1) if logged_in else 0.0,
        "logged_in_s": round(logged_in, 3),
        "seconds_by_state": seconds,
    }


def _increment(user_id: str, day: date, name: str, amount: float) -> None:
    if amount:
        get_state_store().increment(
            METRICS,
            _key(user_id, day),
            name,
            amount,
            ttl_s=get_settings().call_center_retention_s,
        )


def _split_by_day(since: datetime, until: datetime) -> list[tuple[date, float]]:
    parts: list[tuple[date, float]] = []
    start = since.astimezone(UTC)
    end = until.astimezone(UTC)
    while start < end:
        midnight = datetime.combine(start.date() + timedelta(days=1), time(), UTC)
        stop = min(end, midnight)
        parts.append((start.date(), (stop - start).total_seconds()))
        start = stop
    return parts


def _key(user_id: str, day: date) -> str:
    return f"{user_id}|{day.isoformat()}"
