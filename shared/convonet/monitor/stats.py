"""What supervisors read: statistics over a window, filtered pages of interactions, a live feed.

Totals, breakdowns, tool calls, error rate, token usage and the average duration come from the
hourly sharded counters, so they cost one query however busy the hour was (the window is
widened to whole hours for them). The median and p95 duration need the individual turns: they
come from the newest `PERCENTILE_SAMPLE` interactions in the exact window.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from convonet.clock import get_clock
from convonet.config import get_settings
from convonet.domain.errors import Invalid
from convonet.monitor.records import (
    COUNTERS,
    INTERACTIONS,
    TRANSFER_AGENT,
    hour_bucket,
    waterfall,
)
from convonet.state import Filter, StateStore, get_state_store

PERCENTILE_SAMPLE = 1000
FEED_BATCH = 50
_BREAKDOWNS = {"provider__": "by_provider", "domain__": "by_domain", "status__": "by_status"}


@dataclass(frozen=True)
class InteractionFilter:
    provider: str | None = None
    domain: str | None = None
    user: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> list[Filter]:
        where: list[Filter] = [
            (field, "==", value)
            for field, value in (
                ("provider", self.provider),
                ("agent", self.domain),
                ("user_id", self.user),
                ("status", self.status),
            )
            if value is not None
        ]
        if self.since is not None:
            where.append(("occurred_at", ">=", self.since))
        if self.until is not None:
            where.append(("occurred_at", "<=", self.until))
        return where


def window_stats(
    since: datetime, until: datetime, store: StateStore | None = None
) -> dict[str, Any]:
    store = store or get_state_store()
    totals: dict[str, float] = {}
    hours: list[Filter] = [("hour", ">=", hour_bucket(since)), ("hour", "<=", hour_bucket(until))]
    for _, doc in store.query(COUNTERS, where=hours):
        for name, value in doc.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                totals[name] = totals.get(name, 0) + value
    total = int(totals.get("total", 0))
    durations = sorted(
        float(doc.get("duration_ms") or 0.0)
        for _, doc in store.query(
            INTERACTIONS,
            where=InteractionFilter(since=since, until=until).where(),
            order_by="occurred_at",
            descending=True,
            limit=PERCENTILE_SAMPLE,
        )
        if doc.get("agent") != TRANSFER_AGENT  # a dial outcome is not an agent turn
    )
    stats: dict[str, Any] = {
        "window": {"since": since, "until": until},
        "total_interactions": total,
        "tool_calls": int(totals.get("tool_calls", 0)),
        "avg_duration_ms": round(totals.get("duration_ms_sum", 0.0) / total, 3) if total else 0.0,
        "p50_duration_ms": _percentile(durations, 50),
        "p95_duration_ms": _percentile(durations, 95),
        "percentile_sample": len(durations),
        "error_rate": round(totals.get("errors", 0) / total, 4) if total else 0.0,
        "token_usage": {
            "input_tokens": int(totals.get("input_tokens", 0)),
            "output_tokens": int(totals.get("output_tokens", 0)),
            "total_tokens": int(totals.get("input_tokens", 0) + totals.get("output_tokens", 0)),
        },
    }
    for prefix, key in _BREAKDOWNS.items():
        stats[key] = {
            name.removeprefix(prefix): int(value)
            for name, value in sorted(totals.items())
            if name.startswith(prefix)
        }
    return stats


def list_interactions(
    where: InteractionFilter, limit: int, cursor: str | None = None, store: StateStore | None = None
) -> dict[str, Any]:
    """Newest first; `next_cursor` continues after the last one returned."""
    filters = where.where()
    if cursor:
        filters.append(("occurred_at", "<", decode_cursor(cursor)))
    rows = (store or get_state_store()).query(
        INTERACTIONS, where=filters, order_by="occurred_at", descending=True, limit=limit + 1
    )
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1][1]["occurred_at"]) if len(rows) > limit else None
    return {"interactions": [interaction_view(doc) for _, doc in page], "next_cursor": next_cursor}


def live_feed(
    after: datetime | None, store: StateStore | None = None
) -> Iterator[tuple[str, dict[str, Any]] | None]:
    """New interactions as (event id, view), oldest first, polling for MONITOR_STREAM_MAX_S;
    None between polls (a keep-alive). Bounded by a number of polls, not by the clock."""
    settings = get_settings()
    poll_s = max(settings.monitor_stream_poll_s, 0.05)
    polls = max(1, math.ceil(settings.monitor_stream_max_s / poll_s))
    cursor = after or get_clock().now()
    for poll in range(polls):
        rows = (store or get_state_store()).query(
            INTERACTIONS,
            where=[("occurred_at", ">", cursor)],
            order_by="occurred_at",
            limit=FEED_BATCH,
        )
        for _, doc in rows:
            cursor = doc["occurred_at"]
            yield encode_cursor(cursor), interaction_view(doc)
        yield None
        if poll < polls - 1:
            time.sleep(poll_s)


def interaction_view(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "interaction_id": doc.get("interaction_id"),
        "occurred_at": doc.get("occurred_at"),
        "session_id": doc.get("session_id"),
        "user_id": doc.get("user_id"),
        "user_name": doc.get("user_name"),
        "channel": doc.get("channel"),
        "domain": doc.get("agent"),
        "provider": doc.get("provider"),
        "model": doc.get("model"),
        "prompt": doc.get("prompt"),
        "response": doc.get("response"),
        "heard_text": doc.get("heard_text"),
        "status": doc.get("status"),
        "error": doc.get("error"),
        "tool_calls": doc.get("tool_calls") or [],
        "waterfall": waterfall(doc),
        "usage": {
            "input_tokens": doc.get("input_tokens", 0),
            "output_tokens": doc.get("output_tokens", 0),
        },
    }


def encode_cursor(moment: datetime) -> str:
    return base64.urlsafe_b64encode(json.dumps({"t": moment.isoformat()}).encode()).decode()


def decode_cursor(cursor: str) -> datetime:
    """The instant a cursor (or a live feed's Last-Event-ID) stands for."""
    try:
        moment = datetime.fromisoformat(json.loads(base64.urlsafe_b64decode(cursor))["t"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise Invalid("The cursor is not one this API gave out.", "invalid_cursor") from None
    if moment.tzinfo is None:
        raise Invalid("The cursor is not one this API gave out.", "invalid_cursor")
    return moment


def _percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 when empty)."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return round(ordered[rank - 1], 3)
