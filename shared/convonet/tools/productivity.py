"""Productivity tools: todos, teams, reminders and the calendar, for the model to call.

Thin adapters from the model's world (team names, member emails, spoken times) to the domain
functions; the caller is always `ctx.user_id`. Times the model gives without an offset are
read in the `timezone` it passes (UTC when it passes none).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from convonet.db.engine import session_scope
from convonet.domain import calendar, reminders, teams, todos
from convonet.domain.access import TeamRole
from convonet.domain.errors import Invalid
from convonet.domain.productivity import (
    Description,
    Email,
    Location,
    Priority,
    ReminderText,
    SearchTerm,
    TeamName,
    TimeZoneName,
    Title,
)
from convonet.tools.registry import ToolContext, ToolRegistry

DOMAIN = "productivity"
T = TypeVar("T")

Limit = Field(10, ge=1, le=50, description="How many to return (at most 50).")
Offset = Field(0, ge=0, le=10_000, description="How many to skip, to page through results.")
TeamRef = Field(min_length=1, max_length=200, description="The team's name or id.")
IdField = Field(min_length=1, max_length=64)
Importance = Literal["low", "medium", "high", "urgent"]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _run(call: Callable[[Session], T]) -> T:
    with session_scope() as session:
        return call(session)


def _changes(args: BaseModel, *keep_out: str) -> dict[str, Any]:
    """The fields the model actually set, without ids and the time zone."""
    changes = args.model_dump(exclude_unset=True, exclude={"timezone", *keep_out})
    if not changes:
        raise Invalid("Say what to change.", "nothing_to_update")
    return changes


# Todos -------------------------------------------------------------------------------------


class CreateTodoArgs(_Args):
    title: Title
    description: Description | None = None
    priority: Priority = "medium"
    due_at: datetime | None = Field(None, description="When it is due (ISO 8601).")
    timezone: TimeZoneName | None = None


class CreateTeamTodoArgs(CreateTodoArgs):
    team: str = TeamRef
    assignee_email: Email | None = Field(None, description="Email of the member to assign.")


class ListTodosArgs(_Args):
    status: todos.TodoStatus = "open"
    scope: todos.TodoScope = Field(
        "all", description="all, personal, team (todos of my teams) or assigned_to_me."
    )
    priority: Priority | None = None
    due_before: datetime | None = Field(None, description="Only todos due by this time.")
    search: SearchTerm | None = Field(None, description="Words in the title.")
    timezone: TimeZoneName | None = None
    limit: int = Limit
    offset: int = Offset


class ListTeamTodosArgs(_Args):
    team: str = TeamRef
    status: todos.TodoStatus = "open"
    limit: int = Limit
    offset: int = Offset


class TodoIdArgs(_Args):
    todo_id: str = IdField


class UpdateTodoArgs(TodoIdArgs):
    title: Title | None = None
    description: Description | None = None
    priority: Priority | None = None
    due_at: datetime | None = Field(None, description="New due time; null clears it.")
    completed: bool | None = None
    timezone: TimeZoneName | None = None


def _create_todo(ctx: ToolContext, args: CreateTodoArgs) -> dict[str, Any]:
    return _run(lambda s: todos.create_todo(s, ctx.user_id, **args.model_dump()))


def _create_team_todo(ctx: ToolContext, args: CreateTeamTodoArgs) -> dict[str, Any]:
    def create(session: Session) -> dict[str, Any]:
        team_id = teams.resolve_team(session, ctx.user_id, args.team)
        assignee = None
        if args.assignee_email:
            assignee = teams.member_id_by_email(session, ctx.user_id, team_id, args.assignee_email)
        fields = args.model_dump(exclude={"team", "assignee_email"})
        return todos.create_todo(
            session, ctx.user_id, team_id=team_id, assignee_id=assignee, **fields
        )

    return _run(create)


def _list_todos(ctx: ToolContext, args: ListTodosArgs) -> dict[str, Any]:
    return _run(lambda s: todos.list_todos(s, ctx.user_id, **args.model_dump()))


def _list_team_todos(ctx: ToolContext, args: ListTeamTodosArgs) -> dict[str, Any]:
    def list_team(session: Session) -> dict[str, Any]:
        team_id = teams.resolve_team(session, ctx.user_id, args.team)
        return todos.list_todos(
            session,
            ctx.user_id,
            team_id=team_id,
            status=args.status,
            limit=args.limit,
            offset=args.offset,
        )

    return _run(list_team)


def _get_todo(ctx: ToolContext, args: TodoIdArgs) -> dict[str, Any]:
    return _run(lambda s: todos.get_todo(s, ctx.user_id, args.todo_id))


def _complete_todo(ctx: ToolContext, args: TodoIdArgs) -> dict[str, Any]:
    return _run(lambda s: todos.complete_todo(s, ctx.user_id, args.todo_id))


def _update_todo(ctx: ToolContext, args: UpdateTodoArgs) -> dict[str, Any]:
    changes = _changes(args, "todo_id")
    return _run(
        lambda s: todos.update_todo(s, ctx.user_id, args.todo_id, timezone=args.timezone, **changes)
    )


def _delete_todo(ctx: ToolContext, args: TodoIdArgs) -> dict[str, Any]:
    _run(lambda s: todos.delete_todo(s, ctx.user_id, args.todo_id))
    return {"deleted": True, "todo_id": args.todo_id}


# Teams -------------------------------------------------------------------------------------


class CreateTeamArgs(_Args):
    name: TeamName
    description: Description | None = None


class PageArgs(_Args):
    limit: int = Limit
    offset: int = Offset


class TeamArgs(_Args):
    team: str = TeamRef


class AddMemberArgs(TeamArgs):
    email: Email
    role: TeamRole = Field("member", description="owner, admin, member or viewer.")


class MemberArgs(TeamArgs):
    email: Email = Field(description="The member's email; your own to leave the team.")


class ChangeRoleArgs(MemberArgs):
    role: TeamRole


class SearchUsersArgs(_Args):
    term: SearchTerm


def _create_team(ctx: ToolContext, args: CreateTeamArgs) -> dict[str, Any]:
    return _run(lambda s: teams.create_team(s, ctx.user_id, **args.model_dump()))


def _list_my_teams(ctx: ToolContext, args: PageArgs) -> dict[str, Any]:
    return _run(lambda s: teams.list_teams(s, ctx.user_id, **args.model_dump()))


def _list_team_members(ctx: ToolContext, args: TeamArgs) -> dict[str, Any]:
    def members(session: Session) -> dict[str, Any]:
        team_id = teams.resolve_team(session, ctx.user_id, args.team)
        return {"team_id": team_id, "members": teams.list_members(session, ctx.user_id, team_id)}

    return _run(members)


def _add_team_member(ctx: ToolContext, args: AddMemberArgs) -> dict[str, Any]:
    def add(session: Session) -> dict[str, Any]:
        team_id = teams.resolve_team(session, ctx.user_id, args.team)
        return teams.add_member(session, ctx.user_id, team_id, email=args.email, role=args.role)

    return _run(add)


def _remove_team_member(ctx: ToolContext, args: MemberArgs) -> dict[str, Any]:
    def remove(session: Session) -> dict[str, Any]:
        team_id = teams.resolve_team(session, ctx.user_id, args.team)
        member_id = teams.member_id_by_email(session, ctx.user_id, team_id, args.email)
        teams.remove_member(session, ctx.user_id, team_id, member_id)
        return {"removed": True, "team_id": team_id, "email": args.email}

    return _run(remove)


def _change_member_role(ctx: ToolContext, args: ChangeRoleArgs) -> dict[str, Any]:
    def change(session: Session) -> dict[str, Any]:
        team_id = teams.resolve_team(session, ctx.user_id, args.team)
        member_id = teams.member_id_by_email(session, ctx.user_id, team_id, args.email)
        return teams.change_role(session, ctx.user_id, team_id, member_id, args.role)

    return _run(change)


def _search_users(ctx: ToolContext, args: SearchUsersArgs) -> dict[str, Any]:
    return {"users": _run(lambda s: teams.search_users(s, ctx.user_id, args.term))}


# Reminders ---------------------------------------------------------------------------------


class CreateReminderArgs(_Args):
    text: ReminderText
    remind_at: datetime = Field(description="When to remind (ISO 8601), in the future.")
    timezone: TimeZoneName | None = None
    importance: Importance = "medium"
    channel: Literal["sms", "call"] = Field("sms", description="Remind by text message or call.")


class ListRemindersArgs(_Args):
    status: reminders.ReminderFilter = "pending"
    limit: int = Limit
    offset: int = Offset


class ReminderIdArgs(_Args):
    reminder_id: str = IdField


class UpdateReminderArgs(ReminderIdArgs):
    text: ReminderText | None = None
    remind_at: datetime | None = None
    timezone: TimeZoneName | None = None
    importance: Importance | None = None
    channel: Literal["sms", "call"] | None = None
    status: Literal["pending", "cancelled"] | None = Field(
        None, description="cancelled to stop it without deleting it."
    )


def _create_reminder(ctx: ToolContext, args: CreateReminderArgs) -> dict[str, Any]:
    return _run(lambda s: reminders.create_reminder(s, ctx.user_id, **args.model_dump()))


def _list_reminders(ctx: ToolContext, args: ListRemindersArgs) -> dict[str, Any]:
    return _run(lambda s: reminders.list_reminders(s, ctx.user_id, **args.model_dump()))


def _update_reminder(ctx: ToolContext, args: UpdateReminderArgs) -> dict[str, Any]:
    changes = _changes(args, "reminder_id")
    return _run(
        lambda s: reminders.update_reminder(
            s, ctx.user_id, args.reminder_id, timezone=args.timezone, **changes
        )
    )


def _delete_reminder(ctx: ToolContext, args: ReminderIdArgs) -> dict[str, Any]:
    _run(lambda s: reminders.delete_reminder(s, ctx.user_id, args.reminder_id))
    return {"deleted": True, "reminder_id": args.reminder_id}


# Calendar ----------------------------------------------------------------------------------


class CreateEventArgs(_Args):
    title: Title
    starts_at: datetime = Field(description="Start (ISO 8601).")
    ends_at: datetime | None = Field(None, description="End; or give duration_minutes.")
    duration_minutes: int = Field(60, ge=1, le=24 * 60, description="Used when no end is given.")
    timezone: TimeZoneName | None = None
    description: Description | None = None
    location: Location | None = None


class ListEventsArgs(_Args):
    after: datetime | None = Field(None, description="Events not over by then (default now).")
    before: datetime | None = Field(None, description="Events starting before this.")
    timezone: TimeZoneName | None = None
    limit: int = Limit
    offset: int = Offset


class EventIdArgs(_Args):
    event_id: str = IdField


class UpdateEventArgs(EventIdArgs):
    title: Title | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    timezone: TimeZoneName | None = None
    description: Description | None = None
    location: Location | None = None


class NoArgs(_Args):
    pass


def _create_event(ctx: ToolContext, args: CreateEventArgs) -> dict[str, Any]:
    fields = args.model_dump(exclude={"duration_minutes"})
    fields["ends_at"] = args.ends_at or args.starts_at + timedelta(minutes=args.duration_minutes)
    return _run(lambda s: calendar.create_event(s, ctx.user_id, **fields))


def _list_events(ctx: ToolContext, args: ListEventsArgs) -> dict[str, Any]:
    return _run(lambda s: calendar.list_events(s, ctx.user_id, **args.model_dump()))


def _update_event(ctx: ToolContext, args: UpdateEventArgs) -> dict[str, Any]:
    changes = _changes(args, "event_id")
    return _run(
        lambda s: calendar.update_event(
            s, ctx.user_id, args.event_id, timezone=args.timezone, **changes
        )
    )


def _delete_event(ctx: ToolContext, args: EventIdArgs) -> dict[str, Any]:
    _run(lambda s: calendar.delete_event(s, ctx.user_id, args.event_id))
    return {"deleted": True, "event_id": args.event_id}


def _sync_calendar(ctx: ToolContext, _args: NoArgs) -> dict[str, Any]:
    return _run(lambda s: calendar.sync_calendar(s, ctx.user_id))


def _check_connection(ctx: ToolContext, _args: NoArgs) -> dict[str, Any]:
    return _run(lambda s: calendar.connection_status(s, ctx.user_id, probe=True))


# Registration ------------------------------------------------------------------------------

_TOOLS: tuple[tuple[str, str, type[BaseModel], Callable[[ToolContext, Any], Any], bool], ...] = (
    ("create_todo", "Add a personal todo for the user.", CreateTodoArgs, _create_todo, True),
    (
        "create_team_todo",
        "Add a todo to one of the user's teams, optionally assigned to a member by email.",
        CreateTeamTodoArgs,
        _create_team_todo,
        True,
    ),
    (
        "list_todos",
        "List the user's todos (personal and their teams'), soonest due first; filter by "
        "status, scope, priority, due time or words in the title.",
        ListTodosArgs,
        _list_todos,
        False,
    ),
    ("list_team_todos", "List the todos of one team.", ListTeamTodosArgs, _list_team_todos, False),
    ("get_todo", "Show one todo by id.", TodoIdArgs, _get_todo, False),
    ("complete_todo", "Mark a todo as done.", TodoIdArgs, _complete_todo, True),
    (
        "update_todo",
        "Change a todo's title, description, priority, due time or done state.",
        UpdateTodoArgs,
        _update_todo,
        True,
    ),
    ("delete_todo", "Delete a todo.", TodoIdArgs, _delete_todo, True),
    ("create_team", "Create a team with the user as owner.", CreateTeamArgs, _create_team, True),
    ("list_my_teams", "List the teams the user belongs to.", PageArgs, _list_my_teams, False),
    ("list_team_members", "List a team's members and roles.", TeamArgs, _list_team_members, False),
    (
        "add_team_member",
        "Add someone to a team by email (admins and owners; only owners grant admin/owner).",
        AddMemberArgs,
        _add_team_member,
        True,
    ),
    (
        "remove_team_member",
        "Remove someone from a team by email, or leave it with the user's own email.",
        MemberArgs,
        _remove_team_member,
        True,
    ),
    (
        "change_member_role",
        "Change a member's role: owner, admin, member or viewer (owners only).",
        ChangeRoleArgs,
        _change_member_role,
        True,
    ),
    (
        "search_users",
        "Find people by name or email among the user's teammates, or anyone by exact email.",
        SearchUsersArgs,
        _search_users,
        False,
    ),
    (
        "create_reminder",
        "Set a reminder sent by text message or call at a future time.",
        CreateReminderArgs,
        _create_reminder,
        True,
    ),
    ("list_reminders", "List the user's reminders.", ListRemindersArgs, _list_reminders, False),
    (
        "update_reminder",
        "Change a reminder's text, time, importance or channel, or cancel it.",
        UpdateReminderArgs,
        _update_reminder,
        True,
    ),
    ("delete_reminder", "Delete a reminder.", ReminderIdArgs, _delete_reminder, True),
    (
        "create_calendar_event",
        "Add an event to the user's calendar (synced to Google Calendar when connected).",
        CreateEventArgs,
        _create_event,
        True,
    ),
    (
        "list_calendar_events",
        "List the user's upcoming calendar events, or those in a time range.",
        ListEventsArgs,
        _list_events,
        False,
    ),
    (
        "update_calendar_event",
        "Change a calendar event's title, times, description or location.",
        UpdateEventArgs,
        _update_event,
        True,
    ),
    ("delete_calendar_event", "Delete a calendar event.", EventIdArgs, _delete_event, True),
    (
        "sync_google_calendar",
        "Sync the user's calendar with Google Calendar now (both directions).",
        NoArgs,
        _sync_calendar,
        True,
    ),
    (
        "check_calendar_connection",
        "Check whether Google Calendar is connected and working.",
        NoArgs,
        _check_connection,
        False,
    ),
)


def register(registry: ToolRegistry) -> None:
    """Adds this domain's tools to the registry."""
    for name, description, args, handler, side_effects in _TOOLS:
        registry.tool(name, description, args, domain=DOMAIN, side_effects=side_effects)(handler)
