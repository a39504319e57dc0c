"""record_interaction (through the local bus and functions-framework) and monitor_api: stored
interactions with their waterfall, sharded counters, statistics, filters, paging, live feed,
supervisor-only access and bad input.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from convonet.auth.tokens import issue_user_token
from convonet.clock import FakeClock
from convonet.events import AgentInteractionEvent, Timings, TokenUsage, ToolCallRecord
from convonet.events.local import LocalEventBus, wire_local_bus_from_manifest
from convonet.manifest import by_name
from convonet.monitor import merge_voice_timing
from convonet.monitor.records import COUNTERS, INTERACTIONS
from convonet.monitor.stats import encode_cursor
from convonet.state.local import LocalStateStore
from flask.testing import FlaskClient

pytestmark = pytest.mark.usefixtures("use_local_state")


@pytest.fixture
def bus(local_bus: LocalEventBus) -> Iterator[LocalEventBus]:
    wire_local_bus_from_manifest(local_bus, [by_name("record_interaction")])
    yield local_bus


@pytest.fixture
def client(function_client: Callable[[str], FlaskClient]) -> FlaskClient:
    return function_client("monitor_api")


def supervisor() -> dict[str, str]:
    token = issue_user_token("sup-1", ["supervisor"], [], "access").token
    return {"Authorization": f"Bearer {token}"}


def interaction(n: int, **fields: Any) -> AgentInteractionEvent:
    values: dict[str, Any] = {
        "interaction_id": f"i{n}",
        "session_id": "s",
        "user_id": "u1",
        "channel": "voice",
        "agent": "restaurant",
        "provider": "anthropic",
        "model": "claude",
        "prompt": f"prompt {n}",
        "response": f"answer {n}",
        "status": "success",
        "timings": Timings(route_ms=1, llm_first_token_ms=200, tools_ms=50, total_ms=100.0 * n),
        "usage": TokenUsage(input_tokens=10, output_tokens=5),
    }
    values.update(fields)
    return AgentInteractionEvent(**values)


def publish(bus: LocalEventBus, *events: AgentInteractionEvent) -> None:
    for event in events:
        bus.publish(AgentInteractionEvent.TOPIC, event)
    assert bus.drain()
    assert not bus.dead_letters


def get(client: FlaskClient, path: str, **query: Any) -> Any:
    response = client.get(f"/agent-monitor/api/{path}", query_string=query, headers=supervisor())
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_interaction_with_tool_calls_and_voice_waterfall(
    bus: LocalEventBus, client: FlaskClient, clock: FakeClock
) -> None:
    merge_voice_timing("i1", {"capture_ms": 20.0, "stt_ms": 150.0})
    tool = ToolCallRecord(name="create_reservation", arguments={"party_size": 2}, duration_ms=42)
    publish(bus, interaction(1, tool_calls=(tool,)))
    merge_voice_timing("i1", {"tts_first_byte_ms": 80.0, "first_audio_ms": 450.0})
    [item] = get(client, "interactions")["interactions"]
    assert item["interaction_id"] == "i1" and item["domain"] == "restaurant"
    assert item["tool_calls"][0]["name"] == "create_reservation"
    assert item["waterfall"] == {
        "capture_ms": 20.0,
        "stt_ms": 150.0,
        "route_ms": 1.0,
        "llm_first_token_ms": 200.0,
        "tools_ms": 50.0,
        "tts_first_byte_ms": 80.0,
        "first_audio_ms": 450.0,
        "total_ms": 100.0,
    }
    with pytest.raises(ValueError, match="unknown waterfall keys"):
        merge_voice_timing("i1", {"buffer_ms": 1.0})


def test_redelivered_message_is_counted_once(
    bus: LocalEventBus, use_local_state: LocalStateStore, clock: FakeClock
) -> None:
    from convonet.events.base import build_message
    from convonet.events.local import FunctionsFrameworkTarget, pubsub_cloud_event

    spec = by_name("record_interaction")
    target = FunctionsFrameworkTarget(spec.entry_point, spec.source)
    message = build_message(AgentInteractionEvent.TOPIC, interaction(7))
    cloud_event = pubsub_cloud_event(
        "convonet-local", message, message_id="42", publish_time=clock.now(), subscription="s"
    )
    target(cloud_event)
    target(cloud_event)
    totals = sum(doc.get("total", 0) for _, doc in use_local_state.query(COUNTERS))
    assert totals == 1
    assert use_local_state.get(INTERACTIONS, "i7") is not None


def test_stats_over_a_window(bus: LocalEventBus, client: FlaskClient, clock: FakeClock) -> None:
    failed_tool = ToolCallRecord(name="x", status="failed", duration_ms=1)
    publish(
        bus,
        *(interaction(n) for n in range(1, 19)),
        interaction(19, provider="openai", agent="mortgage", status="failed"),
        interaction(20, provider="gemini", status="timeout", tool_calls=(failed_tool,)),
    )
    stats = get(client, "stats")["stats"]
    assert stats["total_interactions"] == 20
    assert stats["by_provider"] == {"anthropic": 18, "openai": 1, "gemini": 1}
    assert stats["by_domain"] == {"restaurant": 19, "mortgage": 1}
    assert stats["by_status"] == {"success": 18, "failed": 1, "timeout": 1}
    assert stats["error_rate"] == 0.1
    assert stats["tool_calls"] == 1
    assert stats["avg_duration_ms"] == 1050.0
    assert stats["p95_duration_ms"] == 1900.0 and stats["p50_duration_ms"] == 1000.0
    assert stats["token_usage"] == {"input_tokens": 200, "output_tokens": 100, "total_tokens": 300}
    clock.advance(3 * 24 * 3600)
    assert get(client, "stats")["stats"]["total_interactions"] == 0


def test_filters_and_paging(bus: LocalEventBus, client: FlaskClient, clock: FakeClock) -> None:
    for n in range(1, 6):
        publish(bus, interaction(n, provider="openai" if n % 2 else "anthropic", user_id=f"u{n}"))
        clock.advance(1)
    assert [i["interaction_id"] for i in get(client, "interactions")["interactions"]] == [
        "i5",
        "i4",
        "i3",
        "i2",
        "i1",
    ]
    openai = get(client, "interactions", provider="openai")["interactions"]
    assert [i["interaction_id"] for i in openai] == ["i5", "i3", "i1"]
    assert [
        i["interaction_id"] for i in get(client, "interactions", user="u2")["interactions"]
    ] == ["i2"]
    assert get(client, "interactions", domain="mortgage")["interactions"] == []
    page = get(client, "interactions", limit=2)
    seen = [i["interaction_id"] for i in page["interactions"]]
    while page["next_cursor"]:
        page = get(client, "interactions", limit=2, cursor=page["next_cursor"])
        seen += [i["interaction_id"] for i in page["interactions"]]
    assert seen == ["i5", "i4", "i3", "i2", "i1"]
    since = (clock.now() - timedelta(seconds=2.5)).isoformat()
    recent = get(client, "interactions", since=since)["interactions"]
    assert [i["interaction_id"] for i in recent] == ["i5", "i4"]


def test_live_feed_resumes_after_last_event_id(
    bus: LocalEventBus, client: FlaskClient, clock: FakeClock, configure: Any
) -> None:
    configure(MONITOR_STREAM_MAX_S=0)
    start = clock.now()
    for n in range(1, 4):
        clock.advance(1)
        publish(bus, interaction(n))
    resume = encode_cursor(start + timedelta(seconds=1))
    response = client.get(
        "/agent-monitor/api/stream", headers={**supervisor(), "Last-Event-ID": resume}
    )
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    blocks = [b for b in response.get_data(as_text=True).split("\n\n") if "data: " in b]
    ids = [json.loads(b.split("data: ", 1)[1])["interaction_id"] for b in blocks]
    assert ids == ["i2", "i3"]
    assert all(b.startswith("id: ") for b in blocks)


@pytest.mark.parametrize("path", ["stats", "interactions", "stream"])
def test_supervisors_only(client: FlaskClient, path: str) -> None:
    url = f"/agent-monitor/api/{path}"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    user = issue_user_token("u1", ["user", "agent"], [], "access").token
    assert client.get(url, headers={"Authorization": f"Bearer {user}"}).status_code == 403
    admin = issue_user_token("a1", ["admin"], [], "access").token
    if path != "stream":
        assert client.get(url, headers={"Authorization": f"Bearer {admin}"}).status_code == 200


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("interactions", {"limit": 0}),
        ("interactions", {"limit": "many"}),
        ("interactions", {"limit": 500}),
        ("interactions", {"status": "exploded"}),
        ("interactions", {"cursor": "not-a-cursor"}),
        ("interactions", {"cursor": "x" * 300}),
        ("interactions", {"since": "yesterday"}),
        ("interactions", {"since": "2026-01-05T10:00:00"}),
        ("interactions", {"bogus": "1"}),
        ("stats", {"since": "2026-01-05T10:00:00+00:00", "until": "2026-01-04T10:00:00+00:00"}),
        ("stats", {"since": "2025-01-01T00:00:00+00:00"}),
    ],
)
def test_malformed_queries(client: FlaskClient, path: str, query: dict[str, Any]) -> None:
    response = client.get(f"/agent-monitor/api/{path}", query_string=query, headers=supervisor())
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"]


def test_repeated_reads_and_refused_writes(client: FlaskClient, bus: LocalEventBus) -> None:
    publish(bus, interaction(1))
    first = get(client, "interactions")
    assert get(client, "interactions", **{}) == first
    assert client.post("/agent-monitor/api/interactions", headers=supervisor()).status_code == 405
    stream = client.get(
        "/agent-monitor/api/stream", headers={**supervisor(), "Last-Event-ID": "garbage"}
    )
    assert stream.status_code == 422
