"""monitor_api: the agent monitor for supervisors at /agent-monitor/api (roles supervisor, admin).

GET /stats (a time window's totals and breakdowns), GET /interactions (filtered, paged, each
with its tool calls and latency waterfall) and GET /stream (the live feed as server-sent
events, resuming after `Last-Event-ID`). Light: reads the StateStore only.
"""

from __future__ import annotations

from convonet.process import function_imports

with function_imports():
    import json
    from collections.abc import Iterator
    from datetime import datetime, timedelta
    from typing import Annotated, Literal

    import flask
    import functions_framework
    from convonet.auth.guard import require_auth
    from convonet.clock import get_clock
    from convonet.http import ApiError, ApiRequest, HttpApi
    from convonet.monitor import stats
    from convonet.observability import start_component
    from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

start_component("monitor_api")

api = HttpApi(
    "monitor_api",
    title="Convonet agent monitor",
    prefixes=("/agent-monitor/api",),
    description="Agent interactions, statistics and the live feed, for supervisors.",
)

SUPERVISORS = ("supervisor", "admin")
DEFAULT_WINDOW = timedelta(hours=24)
MAX_WINDOW = timedelta(days=31)
Name = Annotated[str, Field(min_length=1, max_length=64)]


class _Window(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: AwareDatetime | None = None
    until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> _Window:
        if self.since and self.until and self.since >= self.until:
            raise ValueError("since must be before until")
        return self


class StatsQuery(_Window):
    pass


class InteractionsQuery(_Window):
    provider: Name | None = None
    domain: Name | None = None
    user: Name | None = None
    status: Literal["success", "failed", "timeout", "interrupted"] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, Field(max_length=200)] | None = None


@api.get("/stats", query=StatsQuery, auth=True)
def get_stats(req: ApiRequest) -> dict[str, object]:
    """Totals, by provider/domain/status, tool calls, durations, error rate and tokens."""
    require_auth(req, roles=SUPERVISORS)
    since, until = _window(req.query)
    return {"stats": stats.window_stats(since, until)}


@api.get("/interactions", query=InteractionsQuery, auth=True)
def get_interactions(req: ApiRequest) -> dict[str, object]:
    """Interactions newest first, each with its tool calls and latency waterfall."""
    require_auth(req, roles=SUPERVISORS)
    query: InteractionsQuery = req.query
    where = stats.InteractionFilter(
        provider=query.provider,
        domain=query.domain,
        user=query.user,
        status=query.status,
        since=query.since,
        until=query.until,
    )
    return stats.list_interactions(where, query.limit, query.cursor)


@api.get("/stream", auth=True)
def stream(req: ApiRequest) -> flask.Response:
    """Server-sent events: each new interaction as `interaction`, resuming after Last-Event-ID."""
    require_auth(req, roles=SUPERVISORS)
    last = req.headers.get("Last-Event-ID")
    after = stats.decode_cursor(last) if last else None
    return flask.Response(
        _sse(stats.live_feed(after)),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _window(query: _Window) -> tuple[datetime, datetime]:
    until = query.until or get_clock().now()
    since = query.since or until - DEFAULT_WINDOW
    if until - since > MAX_WINDOW:
        raise ApiError(422, "window_too_large", "The window can be at most 31 days.")
    return since, until


def _sse(feed: Iterator[tuple[str, dict[str, object]] | None]) -> Iterator[str]:
    yield "retry: 2000\n\n"
    for item in feed:
        if item is None:
            yield ": keep-alive\n\n"
            continue
        event_id, view = item
        yield f"id: {event_id}\nevent: interaction\ndata: {json.dumps(view, default=str)}\n\n"


@functions_framework.http
def monitor_api(request: flask.Request) -> flask.Response:
    return api.handle(request)
