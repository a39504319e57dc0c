"""Every model, each domain's module imported on first use.

`from convonet.db.models import Reservation` loads the restaurant models (and the users table
their foreign keys name), not every domain: declaring ORM classes and configuring their mappers
is most of a light function's cold start, and each function needs only its own. Asking for
`Base` (or calling `load_all()`) loads them all, so `Base.metadata` is complete for Alembic and
schema checks.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from convonet.db.models.base import Base as Base
    from convonet.db.models.base import UTCDateTime as UTCDateTime
    from convonet.db.models.base import new_id as new_id
    from convonet.db.models.calls import CallRecord as CallRecord
    from convonet.db.models.calls import CallTranscriptLine as CallTranscriptLine
    from convonet.db.models.crm import CrmRecord as CrmRecord
    from convonet.db.models.healthcare import CareProgram as CareProgram
    from convonet.db.models.healthcare import CareProgramEnrollment as CareProgramEnrollment
    from convonet.db.models.healthcare import Claim as Claim
    from convonet.db.models.healthcare import ClaimLine as ClaimLine
    from convonet.db.models.healthcare import HealthMember as HealthMember
    from convonet.db.models.healthcare import HealthPlan as HealthPlan
    from convonet.db.models.healthcare import MemberAccumulator as MemberAccumulator
    from convonet.db.models.healthcare import PlanBenefit as PlanBenefit
    from convonet.db.models.healthcare import PriorAuthorization as PriorAuthorization
    from convonet.db.models.healthcare import Provider as Provider
    from convonet.db.models.identity import Team as Team
    from convonet.db.models.identity import TeamMembership as TeamMembership
    from convonet.db.models.identity import User as User
    from convonet.db.models.knowledge import KnowledgeArticle as KnowledgeArticle
    from convonet.db.models.mortgage import MortgageApplication as MortgageApplication
    from convonet.db.models.mortgage import MortgageDebt as MortgageDebt
    from convonet.db.models.mortgage import MortgageDocument as MortgageDocument
    from convonet.db.models.mortgage import MortgageNote as MortgageNote
    from convonet.db.models.productivity import CalendarConnection as CalendarConnection
    from convonet.db.models.productivity import CalendarEvent as CalendarEvent
    from convonet.db.models.productivity import Reminder as Reminder
    from convonet.db.models.productivity import Todo as Todo
    from convonet.db.models.restaurant import DiningTable as DiningTable
    from convonet.db.models.restaurant import MenuItem as MenuItem
    from convonet.db.models.restaurant import PreorderLine as PreorderLine
    from convonet.db.models.restaurant import Reservation as Reservation
    from convonet.db.models.restaurant import ReservationTable as ReservationTable
    from convonet.db.models.restaurant import Restaurant as Restaurant
    from convonet.db.models.restaurant import RestaurantClosure as RestaurantClosure

# The names each module exports; `base` holds the declarative base and the portable types.
_MODELS = {
    "base": ("Base", "UTCDateTime", "new_id"),
    "calls": ("CallRecord", "CallTranscriptLine"),
    "crm": ("CrmRecord",),
    "healthcare": (
        "CareProgram",
        "CareProgramEnrollment",
        "Claim",
        "ClaimLine",
        "HealthMember",
        "HealthPlan",
        "MemberAccumulator",
        "PlanBenefit",
        "PriorAuthorization",
        "Provider",
    ),
    "identity": ("Team", "TeamMembership", "User"),
    "knowledge": ("KnowledgeArticle",),
    "mortgage": ("MortgageApplication", "MortgageDebt", "MortgageDocument", "MortgageNote"),
    "productivity": ("CalendarConnection", "CalendarEvent", "Reminder", "Todo"),
    "restaurant": (
        "DiningTable",
        "MenuItem",
        "PreorderLine",
        "Reservation",
        "ReservationTable",
        "Restaurant",
        "RestaurantClosure",
    ),
}
DOMAINS = tuple(module for module in _MODELS if module != "base")
_HOME = {name: module for module, names in _MODELS.items() for name in names}

__all__ = sorted(_HOME)


def load_all() -> None:
    """Import every domain's models (what a complete `Base.metadata` needs)."""
    for domain in DOMAINS:
        import_module(f"{__name__}.{domain}")


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name == "Base":
        load_all()
    return getattr(import_module(f"{__name__}.{home}"), name)
