"""End to end on the local stack, in process: a spoken request through /agent/process creates a
todo that the workspace API lists, and the local event bus delivers the interaction to
record_interaction so supervisors see it in /agent-monitor/api/interactions.

The model is the offline one when `convonet.llm.offline` is installed (it understands "add a
todo to buy milk"), else a scripted model making the same tool call.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator

import pytest
from convonet.agent import turn as turn_module
from convonet.auth.tokens import issue_user_token
from convonet.events.local import LocalEventBus, wire_local_bus_from_manifest
from convonet.llm.scripted import ScriptedChatModel, call_tool, say
from convonet.manifest import by_name
from flask.testing import FlaskClient

from tests.fixtures.google_calendar import WorkspaceUser

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state")

HAS_OFFLINE_MODEL = importlib.util.find_spec("convonet.llm.offline") is not None


@pytest.fixture
def model_choice() -> Iterator[str | None]:
    """The provider the request names: offline when it exists, else the scripted stub."""
    if HAS_OFFLINE_MODEL:
        yield "offline"
        return
    scripted = ScriptedChatModel(
        [call_tool("create_todo", {"title": "buy milk"}, "todo-1"), say("Added buy milk.")]
    )
    previous = turn_module.set_model_factory(lambda _req, _user: ("scripted", scripted))
    yield None
    turn_module.set_model_factory(previous)


@pytest.fixture
def bus(local_bus: LocalEventBus) -> LocalEventBus:
    wire_local_bus_from_manifest(local_bus, [by_name("record_interaction")])
    return local_bus


def test_a_turn_creates_a_todo_the_workspace_lists_and_the_monitor_shows(
    function_client: Callable[[str], FlaskClient],
    make_user: Callable[..., WorkspaceUser],
    bus: LocalEventBus,
    model_choice: str | None,
) -> None:
    ana = make_user("ana")
    body: dict[str, object] = {"prompt": "add a todo to buy milk", "session_id": "e2e"}
    if model_choice:
        body["provider"] = model_choice
    turn = function_client("agent_turn").post("/agent/process", json=body, headers=ana.headers)
    assert turn.status_code == 200, turn.get_json()
    answer = turn.get_json()
    assert answer["agent"] == "productivity"
    assert [c["name"] for c in answer["tool_calls"]] == ["create_todo"]
    assert answer["tool_calls"][0]["status"] == "success"

    # Delivered before the next function loads: functions-framework names every loaded main.py
    # "main" in sys.modules, and workspace_api's query models resolve against that module.
    assert bus.drain() and not bus.dead_letters
    todos = function_client("workspace_api").get("/convonet_todo/api/todos", headers=ana.headers)
    assert todos.status_code == 200
    assert any("milk" in todo["title"].lower() for todo in todos.get_json()["items"])

    supervisor = issue_user_token("sup", ["supervisor"], [], "access").token
    listed = function_client("monitor_api").get(
        "/agent-monitor/api/interactions",
        query_string={"user": ana.id},
        headers={"Authorization": f"Bearer {supervisor}"},
    )
    [seen] = listed.get_json()["interactions"]
    assert seen["interaction_id"] == answer["interaction_id"]
    assert seen["domain"] == "productivity"
    assert seen["tool_calls"][0]["name"] == "create_todo"
    assert seen["waterfall"]["total_ms"] is not None
