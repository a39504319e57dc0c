"""crm_api: patients, meetings, cases and notes in SuiteCRM, for call-center and clinical staff.

Callers need a user JWT with the role agent, staff or supervisor (admin passes everywhere):
these endpoints read and write any patient, so plain users are refused (403) and reach only
their own records, through the assistant's tools. With SUITECRM_URL unset the same endpoints
work on the local CRM adapter. Creates accept `Idempotency-Key`.
"""

from __future__ import annotations

from convonet.process import function_imports

with function_imports():
    from datetime import date
    from typing import Annotated

    import flask
    import functions_framework
    from convonet.auth.guard import Principal, require_auth
    from convonet.crm import Priority, book_meeting, crm_backend
    from convonet.db.engine import session_scope
    from convonet.http import ApiRequest, HttpApi
    from convonet.observability import start_component
    from convonet.phone import InvalidPhoneNumber, normalize_e164
    from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

start_component("crm_api")

STAFF_ROLES = ("agent", "staff", "supervisor")
# Contact fields a caller may set beyond the named ones (SuiteCRM Contacts attributes).
EXTRA_CONTACT_FIELDS = frozenset(
    {
        "email1",
        "title",
        "department",
        "description",
        "primary_address_street",
        "primary_address_city",
        "primary_address_state",
        "primary_address_postalcode",
        "lead_source",
    }
)

api = HttpApi(
    "crm_api",
    title="Convonet CRM",
    prefixes=("/patient", "/meeting/create", "/case/create", "/note/create"),
    description="Patients (SuiteCRM Contacts), meetings, cases and notes. Roles: agent, staff, "
    "supervisor or admin.",
)


def _e164(value: str) -> str:
    try:
        return normalize_e164(value)
    except InvalidPhoneNumber as exc:
        raise ValueError(str(exc)) from None


def _extra_fields(value: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(value) - EXTRA_CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"unknown contact fields: {', '.join(unknown)}")
    return value


Phone = Annotated[str, Field(min_length=7, max_length=32), AfterValidator(_e164)]
RecordId = Annotated[str, Field(min_length=1, max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=255)]
LongText = Annotated[str, Field(min_length=1, max_length=8000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PatientSearch(_Body):
    phone: Phone


class PatientCreate(_Body):
    first_name: Annotated[str, Field(min_length=1, max_length=100)]
    last_name: Annotated[str, Field(min_length=1, max_length=100)]
    phone: Phone
    birthdate: date | None = None
    additional_attributes: Annotated[
        dict[str, Annotated[str, Field(max_length=1000)]],
        Field(max_length=20),
        AfterValidator(_extra_fields),
    ] = {}


class MeetingCreate(_Body):
    patient_id: RecordId
    subject: Text
    date_start: AwareDatetime
    duration_minutes: int = Field(default=30, ge=10, le=480)
    case_id: RecordId | None = None


class CaseCreate(_Body):
    patient_id: RecordId
    subject: Text
    description: LongText
    priority: Priority = "P3"


class NoteCreate(_Body):
    patient_id: RecordId
    subject: Text
    content: LongText


class PatientAttributes(BaseModel):
    first_name: str
    last_name: str
    phone_mobile: str | None
    email1: str | None
    title: str | None
    department: str | None
    birthdate: str | None


class PatientFound(BaseModel):
    found: bool
    patient_id: str | None = None
    attributes: PatientAttributes | None = None


class PatientCreated(BaseModel):
    patient_id: str
    attributes: PatientAttributes


class MeetingCreated(BaseModel):
    meeting_id: str
    case_id: str


class CaseCreated(BaseModel):
    case_id: str


class NoteCreated(BaseModel):
    note_id: str


def _staff(req: ApiRequest) -> Principal:
    return require_auth(req, roles=STAFF_ROLES)


@api.post("/search", body=PatientSearch, response=PatientFound, auth=True, prefix="/patient")
def search_patient(req: ApiRequest) -> PatientFound:
    """Find a patient by mobile phone number."""
    principal = _staff(req)
    with session_scope() as session:
        patient = crm_backend(session, principal.user_id).find_patient(req.body.phone)
    if patient is None:
        return PatientFound(found=False)
    attributes = PatientAttributes(**patient.attributes())
    return PatientFound(found=True, patient_id=patient.id, attributes=attributes)


@api.post(
    "/create",
    body=PatientCreate,
    response=PatientCreated,
    status=201,
    auth=True,
    idempotent=True,
    prefix="/patient",
)
def create_patient(req: ApiRequest) -> PatientCreated:
    """Register a patient (a SuiteCRM Contact)."""
    principal = _staff(req)
    b: PatientCreate = req.body
    with session_scope() as session:
        crm = crm_backend(session, principal.user_id)
        patient = crm.create_patient(
            b.first_name, b.last_name, b.phone, b.birthdate, b.additional_attributes
        )
    return PatientCreated(
        patient_id=patient.id, attributes=PatientAttributes(**patient.attributes())
    )


@api.post(
    "/",
    body=MeetingCreate,
    response=MeetingCreated,
    status=201,
    auth=True,
    idempotent=True,
    prefix="/meeting/create",
)
def create_meeting(req: ApiRequest) -> MeetingCreated:
    """Book a meeting with a patient, under the given case or a new one."""
    principal = _staff(req)
    b: MeetingCreate = req.body
    with session_scope() as session:
        crm = crm_backend(session, principal.user_id)
        ids = book_meeting(
            crm, b.patient_id, b.subject, b.date_start, b.duration_minutes, b.case_id
        )
    return MeetingCreated(**ids)


@api.post(
    "/",
    body=CaseCreate,
    response=CaseCreated,
    status=201,
    auth=True,
    idempotent=True,
    prefix="/case/create",
)
def create_case(req: ApiRequest) -> CaseCreated:
    """Open a case for a patient."""
    principal = _staff(req)
    b: CaseCreate = req.body
    with session_scope() as session:
        crm = crm_backend(session, principal.user_id)
        case_id = crm.create_case(b.patient_id, b.subject, b.description, b.priority)
    return CaseCreated(case_id=case_id)


@api.post(
    "/",
    body=NoteCreate,
    response=NoteCreated,
    status=201,
    auth=True,
    idempotent=True,
    prefix="/note/create",
)
def create_note(req: ApiRequest) -> NoteCreated:
    """Add a note to a patient's record."""
    principal = _staff(req)
    b: NoteCreate = req.body
    with session_scope() as session:
        note_id = crm_backend(session, principal.user_id).create_note(
            b.patient_id, b.subject, b.content
        )
    return NoteCreated(note_id=note_id)


@functions_framework.http
def crm_api(request: flask.Request) -> flask.Response:
    return api.handle(request)
