"""Fault: the StateStore is unreachable (Firestore at a closed port, 0.2 s budget per call).

Every place a turn touches the store (idempotency key, thread reset, token limit, checkpoint
read and write, tool ledger, usage counters, the outbox behind the event bus) degrades with a
warning, so the user still gets their answer and their todo; the `agent-interactions` event
is published straight to Pub/Sub, or, with Pub/Sub refusing too, held in process and
published before the next turn's event once Pub/Sub is back.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from convonet.agent import turn as turn_module
from convonet.agent.pending_events import pending_events
from convonet.db.engine import session_scope
from convonet.db.models import Todo
from convonet.events import AgentInteractionEvent, decode_event, set_event_bus
from convonet.events.outbox import Outbox
from convonet.events.pubsub import PubSubEventBus
from convonet.llm.scripted import ScriptedChatModel, call_tool, say
from convonet.state import set_state_store
from convonet.state.firestore import FirestoreStateStore
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.fixtures.events import FakePublisherServer
from tests.fixtures.google_calendar import WorkspaceUser

pytestmark = pytest.mark.usefixtures("migrated_db", "clock")

ANSWER = "Done, buy milk is on your list."
TOPIC = AgentInteractionEvent.TOPIC


@pytest.fixture(params=["sqlite"])
def db_backend(request: pytest.FixtureRequest) -> str:
    """The database is not the fault here; one backend is enough."""
    backend: str = request.param
    return backend


@pytest.fixture
def unreachable_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[FirestoreStateStore]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{closed}")
    store = FirestoreStateStore(project="convonet-test", timeout_s=0.2)
    set_state_store(store)
    yield store
    set_state_store(None)
    store.close()


@pytest.fixture
def bus(
    pubsub_server: FakePublisherServer, unreachable_store: FirestoreStateStore
) -> Iterator[PubSubEventBus]:
    """The production bus, its outbox in the same unreachable store."""
    bus = PubSubEventBus("convonet-test", outbox=Outbox(unreachable_store, retry_s=1), timeout_s=5)
    set_event_bus(bus)
    pending_events.clear()
    yield bus
    pending_events.clear()
    set_event_bus(None)
    bus.close()


@pytest.fixture
def model() -> Iterator[ScriptedChatModel]:
    scripted = ScriptedChatModel([])
    previous = turn_module.set_model_factory(lambda _req, _user: ("scripted", scripted))
    yield scripted
    turn_module.set_model_factory(previous)


def _script_todo_turn(model: ScriptedChatModel, call_id: str) -> None:
    model.responses = [call_tool("create_todo", {"title": "Buy milk"}, call_id), say(ANSWER)]


def _turn(client: FlaskClient, user: WorkspaceUser, **headers: str) -> Any:
    body = {"prompt": "add buy milk to my todos", "session_id": "web-1", "reset_thread": True}
    return client.post("/agent/process", json=body, headers={**user.headers, **headers})


def _todos(user_id: str) -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(Todo.title).where(Todo.owner_id == user_id)))


def _published(server: FakePublisherServer) -> list[str]:
    """Interaction ids of the `agent-interactions` events the publisher accepted."""
    events = [
        decode_event(TOPIC, bytes(m.data), dict(m.attributes))
        for request in server.delivered
        for m in request.messages
    ]
    return [e.interaction_id for e in events if isinstance(e, AgentInteractionEvent)]


def test_turn_is_answered_and_its_event_published_with_the_store_down(
    function_client: Callable[[str], FlaskClient],
    make_user: Callable[..., WorkspaceUser],
    model: ScriptedChatModel,
    bus: PubSubEventBus,
    pubsub_server: FakePublisherServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ana = make_user("ana")
    _script_todo_turn(model, "call-1")
    with caplog.at_level(logging.WARNING):
        response = _turn(function_client("agent_turn"), ana, **{"Idempotency-Key": "turn-1"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["response"] == ANSWER
    assert [c["status"] for c in body["tool_calls"]] == ["success"]
    assert _todos(ana.id) == ["Buy milk"]
    assert _published(pubsub_server) == [body["interaction_id"]]
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    for degraded in ("Idempotency-Key not enforced", "not reset", "without its history"):
        assert degraded in warned
    assert "runs unguarded" in warned


def test_event_held_in_process_while_pubsub_and_outbox_are_both_down(
    function_client: Callable[[str], FlaskClient],
    make_user: Callable[..., WorkspaceUser],
    model: ScriptedChatModel,
    bus: PubSubEventBus,
    pubsub_server: FakePublisherServer,
) -> None:
    ana = make_user("ana")
    client = function_client("agent_turn")
    pubsub_server.fail_with = grpc.StatusCode.UNAVAILABLE
    _script_todo_turn(model, "call-1")
    first = _turn(client, ana)
    assert first.status_code == 200 and first.get_json()["response"] == ANSWER
    assert len(pending_events) == 1 and _published(pubsub_server) == []

    pubsub_server.fail_with = None
    model.responses = [say("Anything else?")]
    second = _turn(client, ana)
    assert second.status_code == 200
    assert _published(pubsub_server) == [
        first.get_json()["interaction_id"],
        second.get_json()["interaction_id"],
    ]
    assert len(pending_events) == 0
