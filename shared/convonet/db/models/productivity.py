"""Todos, reminders, calendar events and the Google Calendar connection."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convonet.db.models.base import Base, Timestamps, UUIDPrimaryKey, str_enum, user_fk

if TYPE_CHECKING:
    from convonet.db.models.identity import Team

TODO_PRIORITIES = ("low", "medium", "high", "urgent")
REMINDER_IMPORTANCE = ("low", "medium", "high", "urgent")
REMINDER_STATUSES = ("pending", "sent", "cancelled")
REMINDER_CHANNELS = ("sms", "call")
CALENDAR_SYNC_STATES = ("local_only", "synced", "dirty", "deleted")


class Todo(UUIDPrimaryKey, Timestamps, Base):
    """A task: personal (team_id NULL) or shared with a team, optionally assigned to someone."""

    __tablename__ = "todos"
    __table_args__ = (Index(None, "owner_id", "completed", "due_at"),)

    owner_id: Mapped[str] = mapped_column(user_fk())
    team_id: Mapped[str | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )
    assignee_id: Mapped[str | None] = mapped_column(user_fk("SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(
        str_enum("todo_priority", *TODO_PRIORITIES), default="medium"
    )
    due_at: Mapped[datetime | None]
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    completed_at: Mapped[datetime | None]
    google_event_id: Mapped[str | None] = mapped_column(String(1024))

    team: Mapped[Team | None] = relationship()


class Reminder(UUIDPrimaryKey, Timestamps, Base):
    """Something to tell the owner at `remind_at`; the dispatcher scans pending rows by time."""

    __tablename__ = "reminders"
    __table_args__ = (Index(None, "status", "remind_at"),)

    owner_id: Mapped[str] = mapped_column(user_fk(), index=True)
    text: Mapped[str] = mapped_column(Text)
    remind_at: Mapped[datetime]
    importance: Mapped[str] = mapped_column(
        str_enum("reminder_importance", *REMINDER_IMPORTANCE), default="medium"
    )
    status: Mapped[str] = mapped_column(
        str_enum("reminder_status", *REMINDER_STATUSES), default="pending"
    )
    sent_at: Mapped[datetime | None]
    channel: Mapped[str] = mapped_column(
        str_enum("reminder_channel", *REMINDER_CHANNELS), default="sms"
    )


class CalendarEvent(UUIDPrimaryKey, Timestamps, Base):
    """A calendar entry; `sync_state` tracks what still has to be pushed to Google Calendar."""

    __tablename__ = "calendar_events"
    __table_args__ = (Index(None, "owner_id", "starts_at"),)

    owner_id: Mapped[str] = mapped_column(user_fk())
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    location: Mapped[str | None] = mapped_column(String(500))
    google_event_id: Mapped[str | None] = mapped_column(String(1024), index=True)
    sync_state: Mapped[str] = mapped_column(
        str_enum("calendar_sync_state", *CALENDAR_SYNC_STATES), default="local_only"
    )


class CalendarConnection(UUIDPrimaryKey, Timestamps, Base):
    """A user's OAuth grant to Google Calendar; tokens are encrypted before they get here."""

    __tablename__ = "calendar_connections"

    user_id: Mapped[str] = mapped_column(user_fk(), unique=True)
    provider: Mapped[str] = mapped_column(String(32), default="google")
    encrypted_refresh_token: Mapped[str] = mapped_column(Text)
    encrypted_access_token: Mapped[str | None] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None]
    scope: Mapped[str | None] = mapped_column(Text)
    connected_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
