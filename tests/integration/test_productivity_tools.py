"""Every productivity tool through the registry, on SQLite and PostgreSQL, with the local
calendar (no Google account): results, typed errors, time rules and isolation between users.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from convonet.clock import FakeClock
from convonet.tools import ToolContext, ToolResult, get_registry

from tests.fixtures.google_calendar import WorkspaceUser

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state", "clock")

PRODUCTIVITY_TOOLS = {
    "create_todo",
    "create_team_todo",
    "list_todos",
    "list_team_todos",
    "get_todo",
    "complete_todo",
    "update_todo",
    "delete_todo",
    "create_team",
    "list_my_teams",
    "list_team_members",
    "add_team_member",
    "remove_team_member",
    "change_member_role",
    "search_users",
    "create_reminder",
    "list_reminders",
    "update_reminder",
    "delete_reminder",
    "create_calendar_event",
    "list_calendar_events",
    "update_calendar_event",
    "delete_calendar_event",
    "sync_google_calendar",
    "check_calendar_connection",
}


def call(user: WorkspaceUser, tool: str, /, **arguments: Any) -> ToolResult:
    return get_registry().call(ToolContext(user_id=user.id), tool, arguments)


def ok(user: WorkspaceUser, tool: str, /, **arguments: Any) -> Any:
    result = call(user, tool, **arguments)
    assert result.status == "ok", result.error
    return result.result


def error(user: WorkspaceUser, tool: str, /, **arguments: Any) -> dict[str, str]:
    result = call(user, tool, **arguments)
    assert result.status == "error", result.result
    assert result.error is not None
    return result.error


@pytest.fixture
def ana(make_user: Callable[..., WorkspaceUser]) -> WorkspaceUser:
    return make_user("ana")


@pytest.fixture
def ben(make_user: Callable[..., WorkspaceUser]) -> WorkspaceUser:
    return make_user("ben")


def test_registry_has_the_productivity_tools_with_model_facing_schemas() -> None:
    tools = {t.name: t for t in get_registry().tools(["productivity"])}
    assert set(tools) == PRODUCTIVITY_TOOLS
    for tool in tools.values():
        schema = tool.json_schema()
        assert tool.description and schema["type"] == "object"
        assert not {"user_id", "owner_id", "member_id"} & set(schema.get("properties", {}))


def test_personal_todo_lifecycle(ana: WorkspaceUser) -> None:
    todo = ok(ana, "create_todo", title="Buy milk", priority="high", due_at="2026-01-06T09:00")
    assert todo["due_at"] == "2026-01-06T09:00:00+00:00", "naive time without a zone is UTC"
    later = ok(
        ana,
        "create_todo",
        title="File taxes",
        due_at="2026-01-08T09:00:00",
        timezone="America/Los_Angeles",
    )
    assert later["due_at"] == "2026-01-08T17:00:00+00:00"
    ok(ana, "create_todo", title="Someday", priority="low")

    listed = ok(ana, "list_todos")
    assert [t["title"] for t in listed["items"]] == ["Buy milk", "File taxes", "Someday"]
    assert ok(ana, "list_todos", priority="high")["total"] == 1
    assert ok(ana, "list_todos", search="tax")["items"][0]["id"] == later["id"]
    due = ok(ana, "list_todos", due_before="2026-01-07T00:00:00Z")
    assert [t["title"] for t in due["items"]] == ["Buy milk"]
    paged = ok(ana, "list_todos", limit=2)
    assert len(paged["items"]) == 2 and paged["next_offset"] == 2

    assert ok(ana, "get_todo", todo_id=todo["id"])["title"] == "Buy milk"
    done = ok(ana, "complete_todo", todo_id=todo["id"])
    assert done["completed"] and done["completed_at"] == "2026-01-05T17:00:00+00:00"
    assert ok(ana, "list_todos", status="completed")["total"] == 1

    changed = ok(ana, "update_todo", todo_id=later["id"], title="File the taxes", due_at=None)
    assert changed["title"] == "File the taxes" and changed["due_at"] is None
    reopened = ok(ana, "update_todo", todo_id=todo["id"], completed=False)
    assert reopened["completed_at"] is None

    assert ok(ana, "delete_todo", todo_id=todo["id"]) == {"deleted": True, "todo_id": todo["id"]}
    assert error(ana, "get_todo", todo_id=todo["id"])["kind"] == "not_found"


def test_todo_input_errors_are_typed_and_explainable(ana: WorkspaceUser) -> None:
    assert error(ana, "create_todo", title="")["kind"] == "invalid"
    assert error(ana, "create_todo", title="x", priority="whenever")["kind"] == "invalid"
    bad_zone = error(ana, "create_todo", title="x", timezone="Mars/Olympus")
    assert "IANA" in bad_zone["message"]
    assert error(ana, "create_todo", title="x", due_at="1066-10-14T09:00:00Z")["kind"] == (
        "invalid"
    )
    assert error(ana, "create_todo", title="x", user_id=ana.id)["kind"] == "invalid"
    assert error(ana, "get_todo", todo_id="not-a-uuid")["kind"] == "not_found"
    todo = ok(ana, "create_todo", title="Call mum")
    nothing = error(ana, "update_todo", todo_id=todo["id"])
    assert nothing["kind"] == "invalid" and "change" in nothing["message"]
    assert error(ana, "update_todo", todo_id=todo["id"], title=None)["kind"] == "invalid"


def test_users_never_see_or_touch_each_others_records(
    ana: WorkspaceUser, ben: WorkspaceUser
) -> None:
    todo = ok(ana, "create_todo", title="Ana's secret")
    reminder = ok(ana, "create_reminder", text="Ana's pill", remind_at="2026-01-06T08:00:00Z")
    event = ok(ana, "create_calendar_event", title="Ana's doctor", starts_at="2026-01-06T10:00:00Z")
    for name, args in (
        ("get_todo", {"todo_id": todo["id"]}),
        ("complete_todo", {"todo_id": todo["id"]}),
        ("update_todo", {"todo_id": todo["id"], "title": "mine now"}),
        ("delete_todo", {"todo_id": todo["id"]}),
        ("update_reminder", {"reminder_id": reminder["id"], "text": "mine"}),
        ("delete_reminder", {"reminder_id": reminder["id"]}),
        ("update_calendar_event", {"event_id": event["id"], "title": "mine"}),
        ("delete_calendar_event", {"event_id": event["id"]}),
    ):
        assert error(ben, name, **args)["kind"] == "not_found", name
    assert ok(ben, "list_todos")["total"] == 0
    assert ok(ben, "list_reminders")["total"] == 0
    assert ok(ben, "list_calendar_events")["total"] == 0
    assert ok(ana, "get_todo", todo_id=todo["id"])["title"] == "Ana's secret"
    assert ok(ana, "list_reminders")["items"][0]["text"] == "Ana's pill"
    assert ok(ana, "list_calendar_events")["items"][0]["title"] == "Ana's doctor"


def test_teams_roles_and_team_todos(
    ana: WorkspaceUser, ben: WorkspaceUser, make_user: Callable[..., WorkspaceUser]
) -> None:
    cara, dan = make_user("cara"), make_user("dan")
    team = ok(ana, "create_team", name="Launch", description="Spring launch")
    assert team["my_role"] == "owner" and team["member_count"] == 1
    ok(ana, "add_team_member", team="launch", email=ben.email, role="admin")
    ok(ana, "add_team_member", team=team["id"], email=cara.email)
    ok(ben, "add_team_member", team="Launch", email=dan.email, role="viewer")
    assert error(ben, "add_team_member", team="Launch", email="x@example.com", role="owner")[
        "kind"
    ] == ("forbidden")
    assert error(ana, "add_team_member", team="Launch", email=cara.email)["kind"] == "conflict"
    assert error(ana, "add_team_member", team="Launch", email="nobody@example.com")["kind"] == (
        "not_found"
    )

    members = ok(dan, "list_team_members", team="Launch")["members"]
    assert {m["email"]: m["role"] for m in members} == {
        ana.email: "owner",
        ben.email: "admin",
        cara.email: "member",
        dan.email: "viewer",
    }
    assert [t["name"] for t in ok(cara, "list_my_teams")["items"]] == ["Launch"]

    todo = ok(
        cara,
        "create_team_todo",
        team="Launch",
        title="Write the press release",
        assignee_email=ben.email,
    )
    assert todo["team_id"] == team["id"] and todo["assignee_id"] == ben.id
    assert ok(dan, "list_team_todos", team="Launch")["items"][0]["id"] == todo["id"]
    assert ok(ben, "list_todos", scope="assigned_to_me")["total"] == 1
    assert ok(ana, "list_todos", scope="personal")["total"] == 0

    viewer_denied = error(dan, "complete_todo", todo_id=todo["id"])
    assert viewer_denied["kind"] == "forbidden" and "viewer" in viewer_denied["message"]
    assert error(dan, "create_team_todo", team="Launch", title="x")["kind"] == "forbidden"
    assert error(dan, "delete_todo", todo_id=todo["id"])["kind"] == "forbidden"
    assert ok(cara, "update_todo", todo_id=todo["id"], priority="urgent")["priority"] == "urgent"
    assert ok(ben, "complete_todo", todo_id=todo["id"])["completed"]

    outsider = make_user("eve")
    assert error(outsider, "list_team_members", team=team["id"])["kind"] == "not_found"
    assert error(outsider, "list_team_todos", team="Launch")["kind"] == "not_found"
    assert error(outsider, "get_todo", todo_id=todo["id"])["kind"] == "not_found"
    assert ok(outsider, "list_todos")["total"] == 0

    own = ok(ben, "create_team_todo", team="Launch", title="Book the venue")
    assert error(cara, "delete_todo", todo_id=own["id"])["kind"] == "forbidden"
    assert ok(cara, "delete_todo", todo_id=todo["id"])["deleted"], "creators delete their own"
    assert ok(ana, "delete_todo", todo_id=own["id"])["deleted"], "owners delete any"


def test_roles_changes_removal_and_the_last_owner(
    ana: WorkspaceUser, ben: WorkspaceUser, make_user: Callable[..., WorkspaceUser]
) -> None:
    cara = make_user("cara")
    ok(ana, "create_team", name="Ops")
    ok(ana, "add_team_member", team="Ops", email=ben.email, role="admin")
    ok(ana, "add_team_member", team="Ops", email=cara.email, role="member")

    assert error(ben, "change_member_role", team="Ops", email=cara.email, role="admin")["kind"] == (
        "forbidden"
    )
    last = error(ana, "change_member_role", team="Ops", email=ana.email, role="member")
    assert last["kind"] == "conflict" and "last owner" in last["message"]
    assert error(ana, "remove_team_member", team="Ops", email=ana.email)["kind"] == "conflict"
    assert error(ben, "remove_team_member", team="Ops", email=ana.email)["kind"] == "forbidden"

    assert ok(ana, "change_member_role", team="Ops", email=cara.email, role="viewer")["role"] == (
        "viewer"
    )
    assert ok(ben, "remove_team_member", team="Ops", email=cara.email)["removed"]
    assert error(cara, "list_team_members", team="Ops")["kind"] == "not_found"

    ok(ana, "change_member_role", team="Ops", email=ben.email, role="owner")
    ok(ana, "remove_team_member", team="Ops", email=ana.email)
    assert ok(ana, "list_my_teams")["total"] == 0
    assert ok(ben, "list_team_members", team="Ops")["members"][0]["role"] == "owner"


def test_search_users_finds_teammates_and_exact_emails_only(
    ana: WorkspaceUser, ben: WorkspaceUser, make_user: Callable[..., WorkspaceUser]
) -> None:
    make_user("benedict")
    assert ok(ana, "search_users", term="ben")["users"] == []
    exact = ok(ana, "search_users", term="BEN@example.com")["users"]
    assert [u["user_id"] for u in exact] == [ben.id]
    ok(ana, "create_team", name="Pair")
    ok(ana, "add_team_member", team="Pair", email=ben.email)
    assert [u["email"] for u in ok(ana, "search_users", term="be")["users"]] == [ben.email]
    assert ok(ana, "search_users", term="%%")["users"] == []
    assert error(ana, "search_users", term="b")["kind"] == "invalid"


def test_ambiguous_team_names_ask_for_an_id(ana: WorkspaceUser) -> None:
    first = ok(ana, "create_team", name="Home")
    ok(ana, "create_team", name="home")
    ambiguous = error(ana, "list_team_todos", team="HOME")
    assert ambiguous["kind"] == "conflict" and "id" in ambiguous["message"]
    assert ok(ana, "list_team_todos", team=first["id"])["total"] == 0


def test_reminders(ana: WorkspaceUser, clock: FakeClock) -> None:
    reminder = ok(
        ana,
        "create_reminder",
        text="Take the bins out",
        remind_at="2026-01-05T19:30:00",
        timezone="Europe/Paris",
        channel="call",
        importance="high",
    )
    assert reminder["remind_at"] == "2026-01-05T18:30:00+00:00"
    assert reminder["status"] == "pending" and reminder["channel"] == "call"
    past = error(ana, "create_reminder", text="Too late", remind_at="2026-01-05T16:00:00Z")
    assert past["kind"] == "invalid" and "past" in past["message"]

    moved = ok(ana, "update_reminder", reminder_id=reminder["id"], remind_at="2026-01-06T08:00Z")
    assert moved["remind_at"] == "2026-01-06T08:00:00+00:00"
    cancelled = ok(ana, "update_reminder", reminder_id=reminder["id"], status="cancelled")
    assert cancelled["status"] == "cancelled"
    assert ok(ana, "list_reminders")["total"] == 0
    assert ok(ana, "list_reminders", status="cancelled")["total"] == 1
    assert error(ana, "update_reminder", reminder_id=reminder["id"], status="sent")["kind"] == (
        "invalid"
    )
    clock.advance(86400)
    stale = error(ana, "update_reminder", reminder_id=reminder["id"], remind_at="2026-01-06T08:00Z")
    assert stale["kind"] == "invalid"
    assert ok(ana, "delete_reminder", reminder_id=reminder["id"])["deleted"]
    assert ok(ana, "list_reminders", status="all")["total"] == 0


def test_calendar_events_stay_local_without_google(ana: WorkspaceUser) -> None:
    event = ok(
        ana,
        "create_calendar_event",
        title="Dentist",
        starts_at="2026-01-06T10:00:00",
        timezone="America/New_York",
        duration_minutes=45,
        location="12 Main St",
    )
    assert event["starts_at"] == "2026-01-06T15:00:00+00:00"
    assert event["ends_at"] == "2026-01-06T15:45:00+00:00"
    assert event["synced"] is False and event["sync_state"] == "local_only"
    backwards = error(
        ana,
        "create_calendar_event",
        title="Backwards",
        starts_at="2026-01-06T10:00:00Z",
        ends_at="2026-01-06T09:00:00Z",
    )
    assert backwards["kind"] == "invalid" and "end after" in backwards["message"]

    ok(ana, "create_calendar_event", title="Past", starts_at="2026-01-01T10:00:00Z")
    upcoming = ok(ana, "list_calendar_events")
    assert [e["title"] for e in upcoming["items"]] == ["Dentist"]
    window = ok(ana, "list_calendar_events", after="2026-01-01T00:00:00Z", before="2026-01-02")
    assert [e["title"] for e in window["items"]] == ["Past"]

    moved = ok(ana, "update_calendar_event", event_id=event["id"], ends_at="2026-01-06T16:30Z")
    assert moved["ends_at"] == "2026-01-06T16:30:00+00:00"
    assert error(ana, "update_calendar_event", event_id=event["id"], starts_at="2026-01-06T17:00Z")[
        "kind"
    ] == ("invalid")

    sync = ok(ana, "sync_google_calendar")
    assert sync["connected"] is False and sync["local_events"] == 2
    status = ok(ana, "check_calendar_connection")
    assert status["connected"] is False and status["configured"] is False
    assert status["pending_changes"] == 2
    assert ok(ana, "delete_calendar_event", event_id=event["id"])["deleted"]
    remaining = ok(ana, "list_calendar_events", after="2026-01-01T00:00:00Z")["items"]
    assert [e["title"] for e in remaining] == ["Past"]


def test_a_repeated_side_effecting_call_runs_once(ana: WorkspaceUser) -> None:
    first = call(ana, "create_todo", title="Book flights")
    again = call(ana, "create_todo", title="Book flights")
    assert again.replayed and again.result == first.result
    assert ok(ana, "list_todos")["total"] == 1
