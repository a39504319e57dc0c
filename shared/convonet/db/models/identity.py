"""Users, teams and team memberships."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from convonet.db.models.base import Base, Timestamps, UUIDPrimaryKey, str_enum, user_fk

USER_ROLES = ("user", "agent", "supervisor", "staff", "admin")
TEAM_ROLES = ("owner", "admin", "member", "viewer")


class User(UUIDPrimaryKey, Timestamps, Base):
    """A person who signs in: by password on the web, by voice PIN or caller ID on a call."""

    __tablename__ = "users"
    __table_args__ = (
        # Lookups are by lower-cased email; the database refuses anything else.
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(200))
    phone_e164: Mapped[str | None] = mapped_column(String(16), unique=True)
    # HMAC-SHA256 hex of the PIN (convonet.auth.pins): unique, so a PIN alone finds one user.
    voice_pin_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    roles: Mapped[list[str]] = mapped_column(default=lambda: ["user"])
    agent_extension: Mapped[str | None] = mapped_column(String(16), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    llm_provider: Mapped[str | None] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(16), default="en")
    last_login_at: Mapped[datetime | None]

    memberships: Mapped[list[TeamMembership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        return value.strip().lower()

    @validates("roles")
    def _check_roles(self, _key: str, value: list[str]) -> list[str]:
        unknown = set(value) - set(USER_ROLES)
        if unknown:
            raise ValueError(f"unknown roles: {sorted(unknown)}")
        return list(dict.fromkeys(value))

    def has_role(self, role: str) -> bool:
        return role in self.roles


class Team(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "teams"

    name: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    memberships: Mapped[list[TeamMembership]] = relationship(
        back_populates="team", cascade="all, delete-orphan", passive_deletes=True
    )


class TeamMembership(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "team_memberships"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(user_fk(), index=True)
    role: Mapped[str] = mapped_column(str_enum("team_role", *TEAM_ROLES), default="member")

    team: Mapped[Team] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")
