"""Patient intake for the healthcare agent: patients, appointments, clinical intake, call notes.

Each rule records CrmRecord rows owned by the acting user, through the local CRM adapter, so it
works with no CRM configured (rows stay `local_only`). With SuiteCRM configured the rows are
`pending` and the caller publishes the returned CrmSyncEvents after committing; `crm_sync` then
calls `push_record`, which creates the records in SuiteCRM (linked records first) and keeps
their SuiteCRM ids. A user only ever sees and links their own records.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from convonet.clock import get_clock
from convonet.crm import (
    CrmBackend,
    Priority,
    book_meeting,
    suitecrm_client,
    suitecrm_configured,
)
from convonet.crm.local import LocalCrm
from convonet.db.models import CrmRecord
from convonet.domain.errors import Invalid, NotFound
from convonet.events import CrmSyncEvent, get_event_bus

log = logging.getLogger(__name__)

CallType = Literal["inbound", "outbound", "follow_up"]
# SuiteCRM keeps call summaries as Notes.
_EVENT_KIND: dict[str, Literal["patient", "meeting", "case", "note"]] = {
    "patient": "patient",
    "meeting": "meeting",
    "case": "case",
    "note": "note",
    "call_summary": "note",
}
_PATIENT_CORE = ("first_name", "last_name", "phone_mobile", "birthdate")


@dataclass
class Recorded:
    """A rule's answer, plus the sync events to publish once the session has committed."""

    reply: dict[str, Any]
    owner_id: str
    sync: list[CrmSyncEvent] = field(default_factory=list)


def check_patient(session: Session, user_id: str, phone_e164: str) -> dict[str, Any]:
    patient = _recorder(session, user_id).find_patient(phone_e164)
    if patient is None:
        return {"found": False, "phone": phone_e164}
    return {"found": True, "patient_id": patient.id, "name": patient.name, "phone": phone_e164}


def onboard_patient(
    session: Session,
    user_id: str,
    first_name: str,
    last_name: str,
    phone_e164: str,
    birthdate: date | None = None,
) -> Recorded:
    """Register a patient; a phone number already registered returns that patient instead."""
    crm = _recorder(session, user_id)
    existing = crm.find_patient(phone_e164)
    if existing is not None:
        reply = {"patient_id": existing.id, "name": existing.name, "already_registered": True}
        return Recorded(reply, user_id)
    patient = crm.create_patient(first_name, last_name, phone_e164, birthdate)
    reply = {"patient_id": patient.id, "name": patient.name, "already_registered": False}
    return _recorded(crm, reply)


def book_appointment(
    session: Session,
    user_id: str,
    patient_id: str,
    appointment_type: str,
    date_start: datetime,
    duration_minutes: int,
    case_id: str | None = None,
) -> Recorded:
    if date_start <= get_clock().now():
        raise Invalid("The appointment must be in the future.", "appointment_in_past")
    crm = _recorder(session, user_id)
    ids = book_meeting(crm, patient_id, appointment_type, date_start, duration_minutes, case_id)
    reply = {**ids, "date_start": date_start.isoformat(), "duration_minutes": duration_minutes}
    return _recorded(crm, reply)


def log_clinical_intake(
    session: Session,
    user_id: str,
    patient_id: str,
    symptoms: str,
    triage_notes: str,
    priority: Priority = "P3",
) -> Recorded:
    crm = _recorder(session, user_id)
    subject = f"Clinical intake: {_clip(symptoms, 60)}"
    description = f"Symptoms: {symptoms}\nTriage notes: {triage_notes}"
    case_id = crm.create_case(patient_id, subject, description, priority)
    return _recorded(crm, {"case_id": case_id, "priority": priority})


def save_call_summary(
    session: Session, user_id: str, patient_id: str, summary: str, call_type: CallType
) -> Recorded:
    crm = _recorder(session, user_id)
    note_id = crm.create_call_summary(patient_id, summary, call_type)
    return _recorded(crm, {"note_id": note_id, "call_type": call_type})


def announce(recorded: Recorded) -> None:
    """Publish the sync events of a committed rule (ordered per user: patients before visits)."""
    bus = get_event_bus()
    for event in recorded.sync:
        bus.publish(event.TOPIC, event, ordering_key=recorded.owner_id)


def push_record(session: Session, record_id: str, crm: CrmBackend) -> str | None:
    """Create the record in the CRM (and what it links to, first); its CRM id, or None if gone.

    Already-synced records are left alone, so a redelivered event does nothing twice.
    """
    record = session.get(CrmRecord, record_id)
    if record is None:
        log.warning("CRM record %s no longer exists; nothing to push", record_id)
        return None
    if record.sync_state == "synced" and record.external_id:
        return record.external_id
    record.external_id = _push(session, record, crm)
    record.sync_state = "synced"
    session.flush()
    return record.external_id


def sync_record(session: Session, record_id: str) -> str | None:
    """`crm_sync`'s work: push one record to SuiteCRM.

    A CRM that is down raises `Unavailable`, so the event is redelivered later; a record the
    CRM refuses (or whose links are gone) is marked `failed`, since retrying cannot fix it.
    """
    if not suitecrm_configured():
        log.info("SuiteCRM is not configured; CRM record %s stays local", record_id)
        return None
    try:
        return push_record(session, record_id, suitecrm_client())
    except (Invalid, NotFound) as exc:
        log.warning("SuiteCRM refused CRM record %s: %s", record_id, exc.message)
        record = session.get(CrmRecord, record_id)
        if record is not None:
            record.sync_state = "failed"
        return None


def _push(session: Session, record: CrmRecord, crm: CrmBackend) -> str:
    p = record.payload
    if record.kind == "patient":
        existing = crm.find_patient(p["phone_mobile"])
        if existing is not None:
            return existing.id
        birthdate = date.fromisoformat(p["birthdate"]) if p.get("birthdate") else None
        extra = {k: str(v) for k, v in p.items() if k not in _PATIENT_CORE}
        return crm.create_patient(
            p["first_name"], p["last_name"], p["phone_mobile"], birthdate, extra
        ).id
    patient = _linked(session, record, p["patient_id"], crm)
    if record.kind == "case":
        return crm.create_case(patient, p["subject"], p["description"], p["priority"])
    if record.kind == "meeting":
        case = _linked(session, record, p["case_id"], crm)
        start = datetime.fromisoformat(p["date_start"])
        return crm.create_meeting(patient, p["subject"], start, p["duration_minutes"], case)
    if record.kind == "call_summary":
        return crm.create_note(patient, f"Call summary ({p['call_type']})", p["summary"])
    return crm.create_note(patient, p["subject"], p["content"])


def _linked(session: Session, record: CrmRecord, local_id: str, crm: CrmBackend) -> str:
    linked = session.get(CrmRecord, local_id)
    if linked is None or linked.owner_id != record.owner_id:
        raise Invalid(f"CRM record {record.id} links a record that is gone.", "crm_link_missing")
    external = push_record(session, linked.id, crm)
    assert external is not None
    return external


def _recorder(session: Session, user_id: str) -> LocalCrm:
    state = "pending" if suitecrm_configured() else "local_only"
    return LocalCrm(session, user_id, owner_only=True, sync_state=state)


def _recorded(crm: LocalCrm, reply: dict[str, Any]) -> Recorded:
    reply["crm"] = "queued for SuiteCRM" if crm.sync_state == "pending" else "kept locally"
    events = [
        CrmSyncEvent(record_id=record.id, kind=_EVENT_KIND[record.kind])
        for record in crm.recorded
        if record.sync_state == "pending"
    ]
    return Recorded(reply, crm.owner_id, events)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
