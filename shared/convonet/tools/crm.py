"""Patient-intake tools (SuiteCRM): find or register the caller as a patient, book an
appointment, log a clinical intake, save the call's summary. Every record belongs to the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from convonet.crm import Priority
from convonet.db.engine import session_scope
from convonet.domain import crm
from convonet.domain.crm import CallType, Recorded
from convonet.phone import InvalidPhoneNumber, normalize_e164
from convonet.tools.registry import ToolContext, ToolRegistry


def _e164(value: str) -> str:
    try:
        return normalize_e164(value)
    except InvalidPhoneNumber as exc:
        raise ValueError(str(exc)) from None


Phone = Annotated[
    str,
    Field(min_length=7, max_length=32, description="Phone number, e.g. +14155550100."),
    AfterValidator(_e164),
]
RecordId = Annotated[str, Field(min_length=1, max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=100)]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CheckPatientArgs(_Args):
    phone: Phone


class OnboardPatientArgs(_Args):
    first_name: Name
    last_name: Name
    phone: Phone
    dob: date | None = Field(default=None, description="Date of birth, YYYY-MM-DD.")


class BookAppointmentArgs(_Args):
    patient_id: RecordId = Field(description="patient_id from check_patient_exists or onboard.")
    appointment_type: str = Field(
        min_length=1, max_length=120, description="What the visit is for, e.g. 'Annual physical'."
    )
    date_start: AwareDatetime = Field(description="Start, ISO 8601 with a UTC offset.")
    duration: int = Field(default=30, ge=10, le=240, description="Length in minutes.")
    case_id: RecordId | None = Field(
        default=None, description="Link to this case (e.g. from log_clinical_intake)."
    )


class ClinicalIntakeArgs(_Args):
    patient_id: RecordId
    symptoms: str = Field(min_length=1, max_length=2000)
    triage_notes: str = Field(min_length=1, max_length=4000)
    priority: Priority = Field(default="P3", description="P1 urgent, P2 soon, P3 routine.")


class CallSummaryArgs(_Args):
    patient_id: RecordId
    summary: str = Field(min_length=1, max_length=4000)
    call_type: CallType = "inbound"


def _check(ctx: ToolContext, args: CheckPatientArgs) -> dict[str, Any]:
    with session_scope() as session:
        return crm.check_patient(session, ctx.user_id, args.phone)


def _recording(rule: Callable[[Session, ToolContext, Any], Recorded]) -> Callable[..., Any]:
    """Run a recording rule in one transaction, then announce its records for sync."""

    def handler(ctx: ToolContext, args: Any) -> dict[str, Any]:
        with session_scope() as session:
            recorded = rule(session, ctx, args)
        crm.announce(recorded)
        return recorded.reply

    return handler


def _onboard(session: Session, ctx: ToolContext, a: OnboardPatientArgs) -> Recorded:
    return crm.onboard_patient(session, ctx.user_id, a.first_name, a.last_name, a.phone, a.dob)


def _book(session: Session, ctx: ToolContext, a: BookAppointmentArgs) -> Recorded:
    return crm.book_appointment(
        session, ctx.user_id, a.patient_id, a.appointment_type, a.date_start, a.duration, a.case_id
    )


def _intake(session: Session, ctx: ToolContext, a: ClinicalIntakeArgs) -> Recorded:
    return crm.log_clinical_intake(
        session, ctx.user_id, a.patient_id, a.symptoms, a.triage_notes, a.priority
    )


def _summary(session: Session, ctx: ToolContext, a: CallSummaryArgs) -> Recorded:
    return crm.save_call_summary(session, ctx.user_id, a.patient_id, a.summary, a.call_type)


def register(registry: ToolRegistry) -> None:
    """Adds this domain's tools to the registry."""
    registry.tool(
        "check_patient_exists",
        "Check whether a patient with this phone number is registered; returns their patient_id.",
        CheckPatientArgs,
        domain="crm",
        side_effects=False,
    )(_check)
    registry.tool(
        "onboard_patient",
        "Register a new patient (name, phone, optional date of birth). If the phone is already "
        "registered, returns that patient instead of creating a duplicate.",
        OnboardPatientArgs,
        domain="crm",
        side_effects=True,
    )(_recording(_onboard))
    registry.tool(
        "book_appointment",
        "Book an appointment for a patient at a future date and time; opens a case for it "
        "unless case_id is given.",
        BookAppointmentArgs,
        domain="crm",
        side_effects=True,
    )(_recording(_book))
    registry.tool(
        "log_clinical_intake",
        "Record a patient's symptoms and triage notes as a case with a priority.",
        ClinicalIntakeArgs,
        domain="crm",
        side_effects=True,
    )(_recording(_intake))
    registry.tool(
        "save_call_summary",
        "Save a short summary of this call to the patient's record.",
        CallSummaryArgs,
        domain="crm",
        side_effects=True,
    )(_recording(_summary))
