"""workspace_api: todos, teams, reminders, calendar, mortgage applications and the user's model
provider at /convonet_todo/api, for signed-in users (JWT).

Every route acts for the verified caller only and is scoped like the tools: other people's
records answer 404. Lists take `limit` (at most 100) and `offset`. The Google Calendar OAuth
callback is the one route without a bearer token: its signed, single-use `state` names the user.
"""

from __future__ import annotations

from convonet.process import function_imports

with function_imports():
    from collections.abc import Callable
    from datetime import datetime
    from typing import Any, Literal, TypeVar

    import flask
    import functions_framework
    from convonet.auth.guard import require_auth
    from convonet.config import get_settings
    from convonet.db.engine import read, session_scope
    from convonet.domain import calendar, mortgage, productivity, reminders, teams, todos
    from convonet.domain.access import TeamRole
    from convonet.domain.productivity import (
        DEFAULT_PAGE,
        MAX_OFFSET,
        MAX_PAGE,
        Description,
        Email,
        Location,
        Priority,
        ReminderText,
        SearchTerm,
        TeamName,
        TimeZoneName,
        Title,
        check_id,
    )
    from convonet.http import ApiError, ApiRequest, HttpApi
    from convonet.observability import start_component
    from pydantic import BaseModel, ConfigDict, Field
    from sqlalchemy.orm import Session

start_component("workspace_api")

PREFIX = "/convonet_todo/api"
CALLBACK_PATH = "/calendar/oauth/callback"

api = HttpApi(
    "workspace_api",
    title="Convonet workspace",
    prefixes=(PREFIX,),
    description="Todos, teams, reminders, calendar (with Google Calendar sync), mortgage "
    "applications and the model provider of the signed-in user.",
)

T = TypeVar("T")
Id = Field(min_length=1, max_length=64)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Paging(BaseModel):
    limit: int = Field(DEFAULT_PAGE, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class _Page(BaseModel):
    total: int
    next_offset: int | None


def _as_user(req: ApiRequest, call: Callable[[Session, str], T]) -> T:
    """Run `call` for the verified caller in one unit of work."""
    user_id = require_auth(req).user_id
    with session_scope() as session:
        return call(session, user_id)


def _read_as_user(req: ApiRequest, call: Callable[[Session, str], T]) -> T:
    """Run `call` for the verified caller as a read (no transaction; the database refuses
    writes in it)."""
    user_id = require_auth(req).user_id
    return read(lambda session: call(session, user_id))


def _set(body: BaseModel, *keep_out: str) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True, exclude={"timezone", *keep_out})


# Todos -------------------------------------------------------------------------------------


class TodoIn(_Body):
    title: Title
    description: Description | None = None
    priority: Priority = "medium"
    due_at: datetime | None = None
    timezone: TimeZoneName | None = None
    team_id: str | None = Field(None, max_length=64)
    assignee_id: str | None = Field(None, max_length=64)


class TodoPatch(_Body):
    title: Title | None = None
    description: Description | None = None
    priority: Priority | None = None
    due_at: datetime | None = None
    completed: bool | None = None
    assignee_id: str | None = Field(None, max_length=64)
    timezone: TimeZoneName | None = None


class TodoQuery(Paging):
    status: todos.TodoStatus = "open"
    scope: todos.TodoScope = "all"
    team_id: str | None = Field(None, max_length=64)
    priority: Priority | None = None
    due_before: datetime | None = None
    search: SearchTerm | None = None
    timezone: TimeZoneName | None = None


class TodoOut(BaseModel):
    id: str
    title: str
    description: str | None
    priority: str
    due_at: datetime | None
    completed: bool
    completed_at: datetime | None
    team_id: str | None
    assignee_id: str | None
    owner_id: str
    created_at: datetime


class TodoPage(_Page):
    items: list[TodoOut]


@api.get("/todos", query=TodoQuery, response=TodoPage, auth=True)
def list_todos(req: ApiRequest) -> dict[str, Any]:
    """The caller's todos and their teams' todos, soonest due first."""
    return _read_as_user(req, lambda s, u: todos.list_todos(s, u, **req.query.model_dump()))


@api.post("/todos", body=TodoIn, response=TodoOut, status=201, auth=True, idempotent=True)
def create_todo(req: ApiRequest) -> dict[str, Any]:
    """Create a personal todo, or a team todo with `team_id`."""
    return _as_user(req, lambda s, u: todos.create_todo(s, u, **req.body.model_dump()))


@api.get("/todos/{todo_id}", response=TodoOut, auth=True)
def get_todo(req: ApiRequest) -> dict[str, Any]:
    """One todo."""
    return _read_as_user(req, lambda s, u: todos.get_todo(s, u, req.path_params["todo_id"]))


@api.patch("/todos/{todo_id}", body=TodoPatch, response=TodoOut, auth=True)
def update_todo(req: ApiRequest) -> dict[str, Any]:
    """Change the given fields of a todo (null clears due_at, description, assignee_id)."""
    todo_id, body = req.path_params["todo_id"], req.body
    return _as_user(
        req, lambda s, u: todos.update_todo(s, u, todo_id, timezone=body.timezone, **_set(body))
    )


@api.delete("/todos/{todo_id}", status=204, auth=True)
def delete_todo(req: ApiRequest) -> None:
    """Delete a todo."""
    _as_user(req, lambda s, u: todos.delete_todo(s, u, req.path_params["todo_id"]))


# Teams -------------------------------------------------------------------------------------


class TeamIn(_Body):
    name: TeamName
    description: Description | None = None


class TeamPatch(_Body):
    name: TeamName | None = None
    description: Description | None = None


class TeamOut(BaseModel):
    id: str
    name: str
    description: str | None
    my_role: TeamRole
    member_count: int
    created_at: datetime


class TeamPage(_Page):
    items: list[TeamOut]


class MemberIn(_Body):
    email: Email
    role: TeamRole = "member"


class MemberPatch(_Body):
    role: TeamRole


class MemberOut(BaseModel):
    user_id: str
    display_name: str
    email: str
    role: TeamRole


class MemberList(BaseModel):
    items: list[MemberOut]


class UserSearchQuery(BaseModel):
    q: SearchTerm


class UserOut(BaseModel):
    user_id: str
    display_name: str
    email: str


class UserList(BaseModel):
    items: list[UserOut]


@api.get("/teams", query=Paging, response=TeamPage, auth=True)
def list_teams(req: ApiRequest) -> dict[str, Any]:
    """The caller's teams with their role in each."""
    return _read_as_user(req, lambda s, u: teams.list_teams(s, u, **req.query.model_dump()))


@api.post("/teams", body=TeamIn, response=TeamOut, status=201, auth=True, idempotent=True)
def create_team(req: ApiRequest) -> dict[str, Any]:
    """Create a team; the caller becomes its owner."""
    return _as_user(req, lambda s, u: teams.create_team(s, u, **req.body.model_dump()))


@api.get("/teams/{team_id}", response=TeamOut, auth=True)
def get_team(req: ApiRequest) -> dict[str, Any]:
    """One of the caller's teams."""
    return _read_as_user(req, lambda s, u: teams.get_team(s, u, req.path_params["team_id"]))


@api.patch("/teams/{team_id}", body=TeamPatch, response=TeamOut, auth=True)
def update_team(req: ApiRequest) -> dict[str, Any]:
    """Rename or describe a team (admins and owners)."""
    team_id = req.path_params["team_id"]
    return _as_user(req, lambda s, u: teams.update_team(s, u, team_id, **_set(req.body)))


@api.delete("/teams/{team_id}", status=204, auth=True)
def delete_team(req: ApiRequest) -> None:
    """Delete a team and its todos (owners)."""
    _as_user(req, lambda s, u: teams.delete_team(s, u, req.path_params["team_id"]))


@api.get("/teams/{team_id}/members", response=MemberList, auth=True)
def list_members(req: ApiRequest) -> dict[str, Any]:
    """A team's members and roles (any member may look)."""
    team_id = req.path_params["team_id"]
    return {"items": _read_as_user(req, lambda s, u: teams.list_members(s, u, team_id))}


@api.post(
    "/teams/{team_id}/members",
    body=MemberIn,
    response=MemberOut,
    status=201,
    auth=True,
    idempotent=True,
)
def add_member(req: ApiRequest) -> dict[str, Any]:
    """Add a member by email (admins; only owners grant admin or owner)."""
    team_id, body = req.path_params["team_id"], req.body
    return _as_user(
        req, lambda s, u: teams.add_member(s, u, team_id, email=body.email, role=body.role)
    )


@api.patch("/teams/{team_id}/members/{user_id}", body=MemberPatch, response=MemberOut, auth=True)
def change_role(req: ApiRequest) -> dict[str, Any]:
    """Change a member's role (owners; the last owner cannot step down)."""
    team_id, member_id = req.path_params["team_id"], req.path_params["user_id"]
    return _as_user(req, lambda s, u: teams.change_role(s, u, team_id, member_id, req.body.role))


@api.delete("/teams/{team_id}/members/{user_id}", status=204, auth=True)
def remove_member(req: ApiRequest) -> None:
    """Remove a member, or leave with your own id (not as the last owner)."""
    team_id, member_id = req.path_params["team_id"], req.path_params["user_id"]
    _as_user(req, lambda s, u: teams.remove_member(s, u, team_id, member_id))


@api.get("/users/search", query=UserSearchQuery, response=UserList, auth=True)
def search_users(req: ApiRequest) -> dict[str, Any]:
    """Teammates by name or email, or anyone by exact email."""
    return {"items": _read_as_user(req, lambda s, u: teams.search_users(s, u, req.query.q))}


# Reminders ---------------------------------------------------------------------------------

Importance = Literal["low", "medium", "high", "urgent"]
Channel = Literal["sms", "call"]


class ReminderIn(_Body):
    text: ReminderText
    remind_at: datetime
    timezone: TimeZoneName | None = None
    importance: Importance = "medium"
    channel: Channel = "sms"


class ReminderPatch(_Body):
    text: ReminderText | None = None
    remind_at: datetime | None = None
    timezone: TimeZoneName | None = None
    importance: Importance | None = None
    channel: Channel | None = None
    status: Literal["pending", "cancelled"] | None = None


class ReminderQuery(Paging):
    status: reminders.ReminderFilter = "pending"


class ReminderOut(BaseModel):
    id: str
    text: str
    remind_at: datetime
    importance: Importance
    channel: Channel
    status: Literal["pending", "sent", "cancelled"]
    created_at: datetime


class ReminderPage(_Page):
    items: list[ReminderOut]


@api.get("/reminders", query=ReminderQuery, response=ReminderPage, auth=True)
def list_reminders(req: ApiRequest) -> dict[str, Any]:
    """The caller's reminders, soonest first."""
    return _read_as_user(req, lambda s, u: reminders.list_reminders(s, u, **req.query.model_dump()))


@api.post(
    "/reminders", body=ReminderIn, response=ReminderOut, status=201, auth=True, idempotent=True
)
def create_reminder(req: ApiRequest) -> dict[str, Any]:
    """Set a reminder for a future time."""
    return _as_user(req, lambda s, u: reminders.create_reminder(s, u, **req.body.model_dump()))


@api.get("/reminders/{reminder_id}", response=ReminderOut, auth=True)
def get_reminder(req: ApiRequest) -> dict[str, Any]:
    """One reminder."""
    reminder_id = req.path_params["reminder_id"]
    return _read_as_user(req, lambda s, u: reminders.get_reminder(s, u, reminder_id))


@api.patch("/reminders/{reminder_id}", body=ReminderPatch, response=ReminderOut, auth=True)
def update_reminder(req: ApiRequest) -> dict[str, Any]:
    """Change a reminder, or cancel it with status=cancelled."""
    reminder_id, body = req.path_params["reminder_id"], req.body
    return _as_user(
        req,
        lambda s, u: reminders.update_reminder(
            s, u, reminder_id, timezone=body.timezone, **_set(body)
        ),
    )


@api.delete("/reminders/{reminder_id}", status=204, auth=True)
def delete_reminder(req: ApiRequest) -> None:
    """Delete a reminder."""
    _as_user(req, lambda s, u: reminders.delete_reminder(s, u, req.path_params["reminder_id"]))


# Calendar ----------------------------------------------------------------------------------


class EventIn(_Body):
    title: Title
    starts_at: datetime
    ends_at: datetime
    timezone: TimeZoneName | None = None
    description: Description | None = None
    location: Location | None = None


class EventPatch(_Body):
    title: Title | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    timezone: TimeZoneName | None = None
    description: Description | None = None
    location: Location | None = None


class EventQuery(Paging):
    after: datetime | None = None
    before: datetime | None = None
    timezone: TimeZoneName | None = None


class EventOut(BaseModel):
    id: str
    title: str
    description: str | None
    location: str | None
    starts_at: datetime
    ends_at: datetime
    synced: bool
    sync_state: str
    sync_note: str | None = None


class EventPage(_Page):
    items: list[EventOut]


class SyncOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    connected: bool


class ConnectOut(BaseModel):
    authorization_url: str
    expires_in: int


class CallbackQuery(BaseModel):
    state: str = Field(min_length=1, max_length=4096)
    code: str | None = Field(None, max_length=4096)
    error: str | None = Field(None, max_length=200)


class ConnectionOut(BaseModel):
    provider: str
    configured: bool
    connected: bool
    connected_at: datetime | None
    scope: str | None
    pending_changes: int


@api.get("/calendar/events", query=EventQuery, response=EventPage, auth=True)
def list_events(req: ApiRequest) -> dict[str, Any]:
    """Upcoming events (or those between `after` and `before`), in order."""
    return _read_as_user(req, lambda s, u: calendar.list_events(s, u, **req.query.model_dump()))


@api.post(
    "/calendar/events", body=EventIn, response=EventOut, status=201, auth=True, idempotent=True
)
def create_event(req: ApiRequest) -> dict[str, Any]:
    """Create an event (mirrored to Google Calendar when connected)."""
    return _as_user(req, lambda s, u: calendar.create_event(s, u, **req.body.model_dump()))


@api.get("/calendar/events/{event_id}", response=EventOut, auth=True)
def get_event(req: ApiRequest) -> dict[str, Any]:
    """One event."""
    return _read_as_user(req, lambda s, u: calendar.get_event(s, u, req.path_params["event_id"]))


@api.patch("/calendar/events/{event_id}", body=EventPatch, response=EventOut, auth=True)
def update_event(req: ApiRequest) -> dict[str, Any]:
    """Change an event."""
    event_id, body = req.path_params["event_id"], req.body
    return _as_user(
        req,
        lambda s, u: calendar.update_event(s, u, event_id, timezone=body.timezone, **_set(body)),
    )


@api.delete("/calendar/events/{event_id}", status=204, auth=True)
def delete_event(req: ApiRequest) -> None:
    """Delete an event (here and in Google Calendar)."""
    _as_user(req, lambda s, u: calendar.delete_event(s, u, req.path_params["event_id"]))


@api.post("/calendar/sync", response=SyncOut, auth=True, idempotent=True)
def sync_calendar(req: ApiRequest) -> dict[str, Any]:
    """Push pending changes to Google Calendar and pull its events."""
    return _as_user(req, calendar.sync_calendar)


@api.post("/calendar/connect", response=ConnectOut, auth=True)
def connect_calendar(req: ApiRequest) -> dict[str, Any]:
    """Start connecting Google Calendar: the consent URL to open."""
    user_id = require_auth(req).user_id
    return calendar.start_connection(user_id, _redirect_uri(req))


@api.get(CALLBACK_PATH, query=CallbackQuery, response=ConnectionOut)
def calendar_callback(req: ApiRequest) -> dict[str, Any]:
    """Where Google sends the user back; the signed state says who they are."""
    query: CallbackQuery = req.query
    if query.error or not query.code:
        raise ApiError(
            400,
            "calendar_not_granted",
            f"Google Calendar was not connected ({query.error or 'no code'}); try again.",
        )
    with session_scope() as session:
        return calendar.finish_connection(
            session, state=query.state, code=query.code, redirect_uri=_redirect_uri(req)
        )


@api.get("/calendar/connection", response=ConnectionOut, auth=True)
def get_connection(req: ApiRequest) -> dict[str, Any]:
    """Whether Google Calendar is configured and connected."""
    return _as_user(req, calendar.connection_status)


@api.delete("/calendar/connection", status=204, auth=True)
def delete_connection(req: ApiRequest) -> None:
    """Disconnect Google Calendar and revoke the grant."""
    _as_user(req, calendar.disconnect)


def _redirect_uri(req: ApiRequest) -> str:
    base = get_settings().public_base_url or req.raw.host_url
    return base.rstrip("/") + PREFIX + CALLBACK_PATH


# Mortgage applications ---------------------------------------------------------------------


class ApplicationOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    status: str
    completion_percentage: int


class ApplicationPage(_Page):
    items: list[ApplicationOut]


@api.get("/mortgage/applications", query=Paging, response=ApplicationPage, auth=True)
def list_applications(req: ApiRequest) -> dict[str, Any]:
    """The caller's mortgage applications, newest first."""
    found = _read_as_user(req, mortgage.list_applications)
    start, end = req.query.offset, req.query.offset + req.query.limit
    return {
        "items": found[start:end],
        "total": len(found),
        "next_offset": end if end < len(found) else None,
    }


@api.post(
    "/mortgage/applications",
    body=mortgage.ApplicationFields,
    response=ApplicationOut,
    status=201,
    auth=True,
    idempotent=True,
)
def create_application(req: ApiRequest) -> dict[str, Any]:
    """Start a mortgage application."""
    fields = _application_fields(req.body)
    return _as_user(req, lambda s, u: mortgage.create_application(s, u, **fields))


@api.get("/mortgage/applications/{application_id}", response=ApplicationOut, auth=True)
def get_application(req: ApiRequest) -> dict[str, Any]:
    """One application with its debts and documents."""
    application_id = _application_id(req)
    return _read_as_user(req, lambda s, u: mortgage.get_application(s, u, application_id))


@api.patch(
    "/mortgage/applications/{application_id}",
    body=mortgage.ApplicationFields,
    response=ApplicationOut,
    auth=True,
)
def update_application(req: ApiRequest) -> dict[str, Any]:
    """Change an application's details, or withdraw it with status=cancelled."""
    application_id, fields = _application_id(req), _application_fields(req.body)
    return _as_user(req, lambda s, u: mortgage.update_application(s, u, application_id, **fields))


@api.delete("/mortgage/applications/{application_id}", status=204, auth=True)
def delete_application(req: ApiRequest) -> None:
    """Delete an application."""
    application_id = _application_id(req)
    _as_user(req, lambda s, u: mortgage.delete_application(s, u, application_id))


def _application_fields(body: mortgage.ApplicationFields) -> dict[str, Any]:
    """The fields the client set; a null status means no change (a status cannot be cleared)."""
    fields = body.model_dump(exclude_unset=True)
    if "status" in fields and fields["status"] is None:
        del fields["status"]
    return fields


def _application_id(req: ApiRequest) -> str:
    return check_id(req.path_params["application_id"], "mortgage application")


# Model provider ----------------------------------------------------------------------------

ProviderName = Literal["offline", "anthropic", "openai", "gemini"]


class ProviderIn(_Body):
    provider: ProviderName | None = Field(description="null: back to the default.")


class ProviderOut(BaseModel):
    provider: str
    source: Literal["user", "default"]


class ProviderInfo(BaseModel):
    id: ProviderName
    name: str
    available: bool


class ProviderList(BaseModel):
    items: list[ProviderInfo]


@api.get("/llm-provider", response=ProviderOut, auth=True)
def get_llm_provider(req: ApiRequest) -> dict[str, Any]:
    """The model provider the caller's conversations use."""
    return _read_as_user(req, productivity.get_llm_provider)


@api.put("/llm-provider", body=ProviderIn, response=ProviderOut, auth=True)
def set_llm_provider(req: ApiRequest) -> dict[str, Any]:
    """Choose a configured model provider (null: the default)."""
    return _as_user(req, lambda s, u: productivity.set_llm_provider(s, u, req.body.provider))


@api.get("/llm-providers", response=ProviderList, auth=True)
def list_llm_providers(req: ApiRequest) -> dict[str, Any]:
    """Every provider and whether it is configured here (offline always is)."""
    require_auth(req)
    return {"items": productivity.list_llm_providers()}


@functions_framework.http
def workspace_api(request: flask.Request) -> flask.Response:
    return api.handle(request)
