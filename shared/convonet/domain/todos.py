"""Todos: personal (only the owner sees them) or shared with a team (its members see them).

Team todos follow the team roles: any member reads them, members and above create, update and
complete them, and a todo is deleted by its creator or by an admin or owner. A personal todo
can only be assigned to its owner; a team todo only to a member of that team.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from convonet.clock import get_clock
from convonet.db.models import Todo
from convonet.domain.access import TeamRole, membership, require_role, team_ids_of
from convonet.domain.errors import Forbidden, Invalid, NotFound
from convonet.domain.productivity import Page, check_id, iso, paged, to_utc

TodoStatus = Literal["open", "completed", "all"]
TodoScope = Literal["all", "personal", "team", "assigned_to_me"]
_CHANGEABLE = ("title", "description", "priority", "due_at", "completed", "assignee_id")


def todo_dict(todo: Todo) -> dict[str, Any]:
    return {
        "id": todo.id,
        "title": todo.title,
        "description": todo.description,
        "priority": todo.priority,
        "due_at": iso(todo.due_at),
        "completed": todo.completed,
        "completed_at": iso(todo.completed_at),
        "team_id": todo.team_id,
        "assignee_id": todo.assignee_id,
        "owner_id": todo.owner_id,
        "created_at": iso(todo.created_at),
    }


def create_todo(
    session: Session,
    user_id: str,
    *,
    title: str,
    description: str | None = None,
    priority: str = "medium",
    due_at: datetime | None = None,
    timezone: str | None = None,
    team_id: str | None = None,
    assignee_id: str | None = None,
) -> dict[str, Any]:
    if team_id is not None:
        team_id = require_role(session, team_id, user_id, "member", "add team todos").team_id
    todo = Todo(
        owner_id=user_id,
        team_id=team_id,
        title=title,
        description=description,
        priority=priority,
        due_at=to_utc(due_at, timezone, "due date") if due_at else None,
        assignee_id=_assignee(session, user_id, team_id, assignee_id),
    )
    session.add(todo)
    session.flush()
    return todo_dict(todo)


def list_todos(
    session: Session,
    user_id: str,
    *,
    status: TodoStatus = "open",
    scope: TodoScope = "all",
    team_id: str | None = None,
    priority: str | None = None,
    due_before: datetime | None = None,
    timezone: str | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """The caller's visible todos, soonest due first, filtered as asked."""
    stmt = _visible(session, user_id, scope, team_id)
    if status != "all":
        stmt = stmt.where(Todo.completed.is_(status == "completed"))
    if priority:
        stmt = stmt.where(Todo.priority == priority)
    if due_before:
        stmt = stmt.where(Todo.due_at <= to_utc(due_before, timezone, "due_before time"))
    if search:
        stmt = stmt.where(func.lower(Todo.title).contains(search.lower(), autoescape=True))
    stmt = stmt.order_by(Todo.due_at.is_(None), Todo.due_at, Todo.created_at, Todo.id)
    return paged(session, stmt, todo_dict, limit, offset)


def get_todo(session: Session, user_id: str, todo_id: str) -> dict[str, Any]:
    return todo_dict(_readable(session, user_id, todo_id))


def update_todo(
    session: Session, user_id: str, todo_id: str, *, timezone: str | None = None, **changes: Any
) -> dict[str, Any]:
    """Apply the given changes (absent keys stay; `due_at`/`description`/`assignee_id` may be
    None to clear them)."""
    todo = _writable(session, user_id, todo_id, "change team todos")
    unknown = set(changes) - set(_CHANGEABLE)
    if unknown:
        raise Invalid(f"A todo has no field {sorted(unknown)[0]}.")
    if "title" in changes and not changes["title"]:
        raise Invalid("A todo needs a title.")
    if changes.get("priority", "medium") is None or changes.get("completed", False) is None:
        raise Invalid("Priority and completed cannot be empty.")
    if "due_at" in changes:
        due = changes.pop("due_at")
        todo.due_at = to_utc(due, timezone, "due date") if due else None
    if "assignee_id" in changes:
        todo.assignee_id = _assignee(session, user_id, todo.team_id, changes.pop("assignee_id"))
    if "completed" in changes:
        _set_completed(todo, bool(changes.pop("completed")))
    for field, value in changes.items():
        setattr(todo, field, value)
    session.flush()
    return todo_dict(todo)


def complete_todo(session: Session, user_id: str, todo_id: str) -> dict[str, Any]:
    todo = _writable(session, user_id, todo_id, "complete team todos")
    _set_completed(todo, True)
    session.flush()
    return todo_dict(todo)


def delete_todo(session: Session, user_id: str, todo_id: str) -> None:
    todo = _readable(session, user_id, todo_id)
    if todo.team_id is not None:
        needed: TeamRole = "member" if todo.owner_id == user_id else "admin"
        require_role(session, todo.team_id, user_id, needed, "delete this team todo")
    session.delete(todo)
    session.flush()


def _visible(session: Session, user_id: str, scope: TodoScope, team_id: str | None) -> Select[Todo]:
    if team_id is not None:
        team_id = require_role(session, team_id, user_id, "viewer", "see its todos").team_id
        teams = [team_id]
    else:
        teams = team_ids_of(session, user_id)
    personal: ColumnElement[bool] = and_(Todo.team_id.is_(None), Todo.owner_id == user_id)
    shared: ColumnElement[bool] = Todo.team_id.in_(teams) if teams else false()
    where: ColumnElement[bool]
    if team_id is not None or scope == "team":
        where = shared
    elif scope == "personal":
        where = personal
    else:
        where = or_(personal, shared)
    if scope == "assigned_to_me":
        where = and_(where, Todo.assignee_id == user_id)
    return select(Todo).where(where)


def _readable(session: Session, user_id: str, todo_id: str) -> Todo:
    todo = session.get(Todo, check_id(todo_id, "todo"))
    if todo is not None:
        mine = todo.team_id is None and todo.owner_id == user_id
        if mine or (todo.team_id and membership(session, todo.team_id, user_id)):
            return todo
    raise NotFound("There is no todo with that id in your list.")


def _writable(session: Session, user_id: str, todo_id: str, action: str) -> Todo:
    todo = _readable(session, user_id, todo_id)
    if todo.team_id is not None:
        require_role(session, todo.team_id, user_id, "member", action)
    return todo


def _assignee(
    session: Session, user_id: str, team_id: str | None, assignee_id: str | None
) -> str | None:
    if assignee_id is None:
        return None
    assignee_id = check_id(assignee_id, "assignee")
    if team_id is None:
        if assignee_id != user_id:
            raise Forbidden("A personal todo can only be assigned to you; use a team todo.")
        return assignee_id
    if membership(session, team_id, assignee_id) is None:
        raise Invalid("The assignee is not a member of that team.")
    return assignee_id


def _set_completed(todo: Todo, completed: bool) -> None:
    todo.completed = completed
    todo.completed_at = get_clock().now() if completed else None
