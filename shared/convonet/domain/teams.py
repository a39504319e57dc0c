"""Teams and their members (roles and what they allow: convonet.domain.access).

A team always keeps an owner: the last owner can neither leave nor be demoted. Admins add and
remove members and viewers; only owners grant or take away admin and owner. User search finds
people who already share a team with the caller, plus anyone by exact email (so a new member
can be added) - never a directory of every account.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from convonet.db.models import Team, TeamMembership, User
from convonet.domain.access import (
    TeamRole,
    membership,
    outranks_or_equals,
    owner_count,
    require_role,
    team_ids_of,
)
from convonet.domain.errors import Conflict, Forbidden, Invalid, NotFound
from convonet.domain.productivity import Page, check_id, iso, paged

SEARCH_LIMIT = 10


def team_dict(team: Team, role: str) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": team.name,
        "description": team.description,
        "my_role": role,
        "member_count": len(team.memberships),
        "created_at": iso(team.created_at),
    }


def member_dict(member: TeamMembership) -> dict[str, Any]:
    return {
        "user_id": member.user_id,
        "display_name": member.user.display_name,
        "email": member.user.email,
        "role": member.role,
    }


def create_team(
    session: Session, user_id: str, *, name: str, description: str | None = None
) -> dict[str, Any]:
    """A new team with the caller as its owner."""
    team = Team(name=name, description=description)
    team.memberships.append(TeamMembership(user_id=user_id, role="owner"))
    session.add(team)
    session.flush()
    return team_dict(team, "owner")


def list_teams(session: Session, user_id: str, *, limit: int = 50, offset: int = 0) -> Page:
    stmt = (
        select(TeamMembership)
        .join(Team)
        .where(TeamMembership.user_id == user_id, Team.is_active.is_(True))
        .order_by(Team.name, Team.id)
    )
    return paged(session, stmt, lambda m: team_dict(m.team, m.role), limit, offset)


def get_team(session: Session, user_id: str, team_id: str) -> dict[str, Any]:
    member = require_role(session, team_id, user_id, "viewer", "see this team")
    return team_dict(member.team, member.role)


def update_team(session: Session, user_id: str, team_id: str, **changes: Any) -> dict[str, Any]:
    member = require_role(session, team_id, user_id, "admin", "rename or describe the team")
    if "name" in changes and not changes["name"]:
        raise Invalid("A team needs a name.")
    for field in ("name", "description"):
        if field in changes:
            setattr(member.team, field, changes[field])
    session.flush()
    return team_dict(member.team, member.role)


def delete_team(session: Session, user_id: str, team_id: str) -> None:
    """Delete the team and its team todos (owners only)."""
    member = require_role(session, team_id, user_id, "owner", "delete the team")
    session.delete(member.team)
    session.flush()


def resolve_team(session: Session, user_id: str, team: str) -> str:
    """The id of the caller's team named or identified by `team` (names are case-insensitive)."""
    mine = team_ids_of(session, user_id)
    if team in mine:
        return team
    matches = list(
        session.scalars(
            select(Team).where(Team.id.in_(mine), func.lower(Team.name) == team.strip().lower())
        )
    )
    if not matches:
        raise NotFound(f"You are not in a team called {team!r}.")
    if len(matches) > 1:
        raise Conflict(
            f"You are in {len(matches)} teams called {team!r}; say which by its id.",
            details=[m.id for m in matches],
        )
    return matches[0].id


def list_members(session: Session, user_id: str, team_id: str) -> list[dict[str, Any]]:
    member = require_role(session, team_id, user_id, "viewer", "see its members")
    members = sorted(member.team.memberships, key=lambda m: (m.user.display_name, m.user_id))
    return [member_dict(m) for m in members]


def add_member(
    session: Session, user_id: str, team_id: str, *, email: str, role: TeamRole = "member"
) -> dict[str, Any]:
    actor = require_role(session, team_id, user_id, "admin", "add members")
    _check_may_grant(actor, role)
    user = session.scalar(
        select(User).where(User.email == email.strip().lower(), User.is_active.is_(True))
    )
    if user is None:
        raise NotFound(f"No Convonet account uses the email {email}.")
    if membership(session, actor.team_id, user.id) is not None:
        raise Conflict(f"{user.display_name} is already in {actor.team.name}.")
    added = TeamMembership(team_id=actor.team_id, user_id=user.id, role=role)
    session.add(added)
    session.flush()
    return member_dict(added)


def member_id_by_email(session: Session, user_id: str, team_id: str, email: str) -> str:
    """The user id of the member of the caller's team with this email."""
    require_role(session, team_id, user_id, "viewer", "see its members")
    found = session.scalar(
        select(TeamMembership.user_id)
        .join(User, User.id == TeamMembership.user_id)
        .where(TeamMembership.team_id == team_id, User.email == email.strip().lower())
    )
    if found is None:
        raise NotFound(f"Nobody with the email {email} is in that team.")
    return found


def remove_member(session: Session, user_id: str, team_id: str, member_id: str) -> None:
    """Remove a member; anyone may leave, except the team's last owner."""
    leaving = user_id == member_id
    actor = require_role(
        session, team_id, user_id, "viewer" if leaving else "admin", "remove members"
    )
    target = actor if leaving else _member(session, actor, member_id)
    if not leaving:
        _check_may_manage(actor, target)
    if target.role == "owner" and owner_count(session, actor.team_id) == 1:
        raise Conflict(
            f"{target.user.display_name} is the last owner of {actor.team.name}; "
            "make someone else owner first, or delete the team."
        )
    session.delete(target)
    session.flush()


def change_role(
    session: Session, user_id: str, team_id: str, member_id: str, role: TeamRole
) -> dict[str, Any]:
    """Change a member's role (owners only); the last owner cannot step down."""
    actor = require_role(session, team_id, user_id, "owner", "change roles")
    target = _member(session, actor, member_id)
    if target.role == "owner" and role != "owner" and owner_count(session, actor.team_id) == 1:
        raise Conflict(
            f"{target.user.display_name} is the last owner of {actor.team.name}; "
            "make someone else owner first."
        )
    target.role = role
    session.flush()
    return member_dict(target)


def search_users(
    session: Session, user_id: str, term: str, *, limit: int = SEARCH_LIMIT
) -> list[dict[str, Any]]:
    """People sharing a team with the caller whose name or email contains `term`, plus the
    account whose email is exactly `term`."""
    needle = term.strip().lower()
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    teammates = select(TeamMembership.user_id).where(
        TeamMembership.team_id.in_(team_ids_of(session, user_id))
    )
    stmt = (
        select(User)
        .where(
            User.is_active.is_(True),
            or_(
                User.email == needle,
                User.id.in_(teammates)
                & or_(
                    func.lower(User.display_name).like(pattern, escape="\\"),
                    User.email.like(pattern, escape="\\"),
                ),
            ),
        )
        .order_by(User.display_name, User.id)
        .limit(max(1, min(limit, SEARCH_LIMIT)))
    )
    return [
        {"user_id": u.id, "display_name": u.display_name, "email": u.email}
        for u in session.scalars(stmt)
    ]


def _member(session: Session, actor: TeamMembership, member_id: str) -> TeamMembership:
    target = membership(session, actor.team_id, check_id(member_id, "member"))
    if target is None:
        raise NotFound(f"That person is not a member of {actor.team.name}.")
    return target


def _check_may_grant(actor: TeamMembership, role: str) -> None:
    if role in ("owner", "admin") and actor.role != "owner":
        raise Forbidden(f"Only an owner of {actor.team.name} can make someone {role}.")


def _check_may_manage(actor: TeamMembership, target: TeamMembership) -> None:
    if outranks_or_equals(target.role, "admin") and actor.role != "owner":
        raise Forbidden(f"Only an owner of {actor.team.name} can remove an {target.role}.")
