"""Team roles: who in a team may do what.

viewer reads only; member also creates and updates team todos; admin also manages members
(adds and removes members and viewers); owner may do everything, including role changes and
deleting the team. Membership is read from the database on every call (a token's team list
can be stale). A non-member learns nothing about a team: it is NotFound, not Forbidden.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from convonet.db.models import Team, TeamMembership
from convonet.domain.errors import Forbidden, NotFound
from convonet.domain.productivity import check_id

TeamRole = Literal["owner", "admin", "member", "viewer"]
ROLE_RANK: dict[str, int] = {"viewer": 0, "member": 1, "admin": 2, "owner": 3}


def membership(session: Session, team_id: str, user_id: str) -> TeamMembership | None:
    return session.scalar(
        select(TeamMembership)
        .join(Team)
        .where(
            TeamMembership.team_id == team_id,
            TeamMembership.user_id == user_id,
            Team.is_active.is_(True),
        )
    )


def require_role(
    session: Session, team_id: str, user_id: str, at_least: TeamRole, action: str
) -> TeamMembership:
    """The caller's membership if their role is `at_least` or above.

    NotFound for non-members (and unknown ids); Forbidden, naming the needed role, otherwise.
    """
    team_id = check_id(team_id, "team")
    member = membership(session, team_id, user_id)
    if member is None:
        raise NotFound("You are not a member of that team, or it does not exist.")
    if not outranks_or_equals(member.role, at_least):
        raise Forbidden(
            f"As a {member.role} of {member.team.name} you cannot {action}; "
            f"that needs the {at_least} role or higher."
        )
    return member


def outranks_or_equals(role: str, other: str) -> bool:
    return ROLE_RANK[role] >= ROLE_RANK[other]


def team_ids_of(session: Session, user_id: str) -> list[str]:
    """Active teams the user belongs to, with any role."""
    return list(
        session.scalars(
            select(TeamMembership.team_id)
            .join(Team)
            .where(TeamMembership.user_id == user_id, Team.is_active.is_(True))
        )
    )


def owner_count(session: Session, team_id: str) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                TeamMembership.team_id == team_id, TeamMembership.role == "owner"
            )
        )
        or 0
    )
