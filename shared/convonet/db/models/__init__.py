"""Every model, so `from convonet.db.models import User` works and the metadata is complete."""

from convonet.db.models.base import Base, UTCDateTime, new_id
from convonet.db.models.calls import CallRecord, CallTranscriptLine
from convonet.db.models.crm import CrmRecord
from convonet.db.models.healthcare import (
    CareProgram,
    CareProgramEnrollment,
    Claim,
    ClaimLine,
    HealthMember,
    HealthPlan,
    MemberAccumulator,
    PlanBenefit,
    PriorAuthorization,
    Provider,
)
from convonet.db.models.identity import Team, TeamMembership, User
from convonet.db.models.knowledge import KnowledgeArticle
from convonet.db.models.mortgage import (
    MortgageApplication,
    MortgageDebt,
    MortgageDocument,
    MortgageNote,
)
from convonet.db.models.productivity import (
    CalendarConnection,
    CalendarEvent,
    Reminder,
    Todo,
)
from convonet.db.models.restaurant import (
    DiningTable,
    MenuItem,
    PreorderLine,
    Reservation,
    ReservationTable,
    Restaurant,
    RestaurantClosure,
)

__all__ = [
    "Base",
    "CalendarConnection",
    "CalendarEvent",
    "CallRecord",
    "CallTranscriptLine",
    "CareProgram",
    "CareProgramEnrollment",
    "Claim",
    "ClaimLine",
    "CrmRecord",
    "DiningTable",
    "HealthMember",
    "HealthPlan",
    "KnowledgeArticle",
    "MemberAccumulator",
    "MenuItem",
    "MortgageApplication",
    "MortgageDebt",
    "MortgageDocument",
    "MortgageNote",
    "PlanBenefit",
    "PreorderLine",
    "PriorAuthorization",
    "Provider",
    "Reminder",
    "Reservation",
    "ReservationTable",
    "Restaurant",
    "RestaurantClosure",
    "Team",
    "TeamMembership",
    "Todo",
    "UTCDateTime",
    "User",
    "new_id",
]
