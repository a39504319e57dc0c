"""agent_turn over HTTP, loaded by functions-framework: JSON and SSE turns, identity from the
token only, barge-in trimming, and bad input (malformed, oversized, unauthorised, replayed).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from convonet.agent import turn as turn_module
from convonet.auth.tokens import issue_service_token
from convonet.llm.scripted import ScriptedChatModel, call_tool, say
from flask.testing import FlaskClient

from tests.fixtures.google_calendar import WorkspaceUser

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state", "clock")


@pytest.fixture
def model() -> Iterator[ScriptedChatModel]:
    scripted = ScriptedChatModel([])
    previous = turn_module.set_model_factory(lambda _req, _user: ("scripted", scripted))
    yield scripted
    turn_module.set_model_factory(previous)


@pytest.fixture
def client(function_client: Callable[[str], FlaskClient]) -> FlaskClient:
    return function_client("agent_turn")


@pytest.fixture
def ana(make_user: Callable[..., WorkspaceUser]) -> WorkspaceUser:
    return make_user("ana")


def process(client: FlaskClient, user: WorkspaceUser, body: dict[str, Any], **headers: str) -> Any:
    return client.post("/agent/process", json=body, headers={**user.headers, **headers})


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    parsed = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        parsed.append((fields["event"], json.loads(fields["data"])))
    return parsed


def test_json_turn(client: FlaskClient, ana: WorkspaceUser, model: ScriptedChatModel) -> None:
    model.responses = [say("Hello Ana. How can I help?")]
    response = process(client, ana, {"prompt": "hello", "session_id": "web-1"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["response"] == "Hello Ana. How can I help?"
    assert body["session_id"] == "web-1"
    assert (body["agent"], body["provider"], body["model"]) == ("general", "scripted", "scripted-1")
    assert body["tool_calls"] == [] and body["transfer"] is None
    assert body["interaction_id"] and body["timings"]["total_ms"] >= 0


def test_sse_turn_streams_the_same_turn(
    client: FlaskClient, ana: WorkspaceUser, model: ScriptedChatModel
) -> None:
    model.responses = [
        call_tool("transfer_to_agent", {"reason": "wants a person"}, "tr-1"),
        say("Transferring you. Please hold."),
    ]
    response = process(
        client,
        ana,
        {"prompt": "transfer me to a human", "session_id": "web-2"},
        Accept="text/event-stream",
    )
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    events = sse_events(response.get_data(as_text=True))
    names = ["tool_call", "tool_result", "delta", "delta", "delta", "final"]
    assert [name for name, _ in events] == names
    assert events[4][1] == {"text": "", "end": True}
    assert events[0][1] == {"name": "transfer_to_agent", "arguments": {"reason": "wants a person"}}
    assert events[1][1]["status"] == "success"
    final = events[-1][1]
    assert final["transfer"]["extension"] == "2001"
    assert final["response"] == "Transferring you. Please hold."


def test_user_id_in_the_body_is_refused(
    client: FlaskClient, ana: WorkspaceUser, model: ScriptedChatModel
) -> None:
    response = process(client, ana, {"prompt": "hello", "user_id": "someone-else"})
    assert response.status_code == 422
    assert model.calls == []


def test_service_token_acts_for_the_user_it_names(
    client: FlaskClient, ana: WorkspaceUser, model: ScriptedChatModel
) -> None:
    model.responses = [say("Hi."), say("Hi again.")]
    token = issue_service_token(ana.id, "voice_gateway")
    headers = {"Authorization": f"Bearer {token}"}
    first = client.post("/agent/process", json={"prompt": "hi", "session_id": "v"}, headers=headers)
    assert first.status_code == 200
    # The same thread as the user's own token: the second turn sees the first.
    process(client, ana, {"prompt": "again", "session_id": "v"})
    assert len(model.calls[1].messages) == 3


def test_unknown_user_in_a_service_token_is_refused(client: FlaskClient) -> None:
    token = issue_service_token("00000000-0000-0000-0000-000000000000", "voice_gateway")
    response = client.post(
        "/agent/process", json={"prompt": "hi"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}]
)
def test_unauthorised(client: FlaskClient, headers: dict[str, str]) -> None:
    response = client.post("/agent/process", json={"prompt": "hi"}, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"prompt": ""}, 422),
        ({"prompt": "   "}, 422),
        ({"prompt": "hi", "session_id": "../../etc"}, 422),
        ({"prompt": "hi", "provider": "Claude; drop"}, 422),
        ({"prompt": 42}, 422),
        ({"prompt": "hi", "reset_thread": "yes please"}, 422),
        ({"prompt": "hi", "metadata": {"x": "y" * 3000}}, 422),
        ({"prompt": "x" * 4001}, 422),
    ],
)
def test_malformed_bodies(
    client: FlaskClient, ana: WorkspaceUser, body: dict[str, Any], status: int
) -> None:
    assert process(client, ana, body).status_code == status


def test_not_json_wrong_type_and_oversized(client: FlaskClient, ana: WorkspaceUser) -> None:
    not_json = client.post(
        "/agent/process", data="{", content_type="application/json", headers=ana.headers
    )
    assert not_json.status_code == 400
    form = client.post("/agent/process", data={"prompt": "hi"}, headers=ana.headers)
    assert form.status_code == 415
    huge = client.post(
        "/agent/process",
        data=json.dumps({"prompt": "x" * 70_000}),
        content_type="application/json",
        headers=ana.headers,
    )
    assert huge.status_code == 413


def test_replayed_turn_runs_once(
    client: FlaskClient, ana: WorkspaceUser, model: ScriptedChatModel
) -> None:
    model.responses = [say("Done once.")]
    body = {"prompt": "hello", "session_id": "r"}
    first = process(client, ana, body, **{"Idempotency-Key": "turn-1"})
    again = process(client, ana, body, **{"Idempotency-Key": "turn-1"})
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    assert len(model.calls) == 1
    changed = process(client, ana, {**body, "prompt": "other"}, **{"Idempotency-Key": "turn-1"})
    assert changed.status_code == 422


def test_heard_trims_the_answer_to_what_was_heard(
    client: FlaskClient, ana: WorkspaceUser, model: ScriptedChatModel
) -> None:
    model.responses = [say("Your table is booked for seven. I also added a note."), say("Ok.")]
    first = process(client, ana, {"prompt": "hello", "session_id": "b"}).get_json()
    heard = client.post(
        "/agent/heard",
        json={
            "session_id": "b",
            "interaction_id": first["interaction_id"],
            "heard_text": "your table is booked",
        },
        headers=ana.headers,
    )
    assert heard.status_code == 200
    assert heard.get_json()["kept_text"] == "Your table is booked"
    process(client, ana, {"prompt": "what did you say", "session_id": "b"})
    history = [(m.role, m.content) for m in model.calls[1].messages]
    assert history[1] == ("assistant", "Your table is booked")


def test_heard_refuses_other_text_and_unknown_interactions(
    client: FlaskClient,
    ana: WorkspaceUser,
    model: ScriptedChatModel,
    make_user: Callable[..., WorkspaceUser],
) -> None:
    model.responses = [say("Booked for seven.")]
    first = process(client, ana, {"prompt": "hello", "session_id": "c"}).get_json()
    body = {"session_id": "c", "interaction_id": first["interaction_id"], "heard_text": "nope"}
    assert client.post("/agent/heard", json=body, headers=ana.headers).status_code == 422
    bo = make_user("bo")
    body["heard_text"] = "Booked"
    # Another user's session with the same id is another thread: nothing to trim there.
    assert client.post("/agent/heard", json=body, headers=bo.headers).status_code == 404
    assert (
        client.post("/agent/heard", json={**body, "x": 1}, headers=ana.headers).status_code == 422
    )
    assert client.post("/agent/heard", json=body).status_code == 401


def test_health_and_openapi(client: FlaskClient) -> None:
    assert client.get("/agent/healthz").get_json() == {"status": "ok", "function": "agent_turn"}
    paths = client.get("/agent/openapi.json").get_json()["paths"]
    assert {"/agent/process", "/agent/heard"} <= set(paths)
