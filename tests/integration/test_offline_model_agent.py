"""The offline model end to end: agent_turn over HTTP (functions-framework), the real agent graph
and tools, on SQLite and PostgreSQL, with no API key configured, so the offline model is the one
that answers. A todo is added, completed in two steps (find it, then complete it) and listed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from convonet.db.engine import session_scope
from convonet.db.models import Todo
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.fixtures.google_calendar import WorkspaceUser

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state", "clock")

NO_KEYS = {"ANTHROPIC_API_KEY": "", "OPENAI_API_KEY": "", "GOOGLE_API_KEY": ""}


@pytest.fixture
def client(function_client: Callable[[str], FlaskClient], configure: Any) -> FlaskClient:
    configure(LLM_PROVIDER="anthropic", **NO_KEYS)  # asked for, not configured: offline answers
    return function_client("agent_turn")


def say(client: FlaskClient, user: WorkspaceUser, prompt: str) -> dict[str, Any]:
    response = client.post(
        "/agent/process", json={"prompt": prompt, "session_id": "phone-1"}, headers=user.headers
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    assert (body["provider"], body["model"], body["status"]) == (
        "offline",
        "convonet-offline-1",
        "success",
    )
    return body


def todos(user: WorkspaceUser) -> list[tuple[str, bool]]:
    with session_scope() as session:
        rows = session.scalars(select(Todo).where(Todo.owner_id == user.id)).all()
        return [(t.title, t.completed) for t in rows]


def test_a_todo_is_added_completed_and_listed_with_no_api_key(
    client: FlaskClient, make_user: Callable[..., WorkspaceUser]
) -> None:
    ana = make_user("ana")

    added = say(client, ana, "add a todo to buy milk")
    assert added["agent"] == "productivity"
    assert [(c["name"], c["arguments"], c["status"]) for c in added["tool_calls"]] == [
        ("create_todo", {"title": "buy milk"}, "success")
    ]
    assert added["response"] == "I added buy milk to your todo list."
    assert todos(ana) == [("buy milk", False)]

    done = say(client, ana, "mark buy milk as done")
    assert [c["name"] for c in done["tool_calls"]] == ["list_todos", "complete_todo"]
    assert done["response"] == "I marked buy milk as done."
    assert todos(ana) == [("buy milk", True)]

    listed = say(client, ana, "what's on my todo list")
    assert listed["response"] == "You have no open todos."


def test_a_missing_slot_is_asked_for_and_the_answer_completes_the_request(
    client: FlaskClient, make_user: Callable[..., WorkspaceUser]
) -> None:
    ben = make_user("ben")
    asked = say(client, ben, "add a todo")
    assert asked["tool_calls"] == [] and asked["response"] == "What should the todo say?"
    added = say(client, ben, "water the plants")
    assert [c["arguments"] for c in added["tool_calls"]] == [{"title": "water the plants"}]
    assert todos(ben) == [("water the plants", False)]
