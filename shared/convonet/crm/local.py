"""The local CRM adapter: patients, cases, meetings and notes as CrmRecord rows.

With no SuiteCRM configured these rows are the CRM (`local_only`). The assistant's tools write
through this adapter in every configuration, marking rows `pending` when SuiteCRM is there to
receive them; `crm_sync` then pushes them. Ids handed out are the rows' own ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from convonet.crm import Patient, Priority, contact_fields
from convonet.db.models import CrmRecord
from convonet.domain.errors import NotFound


class LocalCrm:
    def __init__(
        self,
        session: Session,
        owner_id: str,
        *,
        owner_only: bool = True,
        sync_state: str = "local_only",
    ) -> None:
        """`owner_only` limits reads to `owner_id`'s rows (a user's own tools); staff see all."""
        self.session = session
        self.owner_id = owner_id
        self.owner_only = owner_only
        self.sync_state = sync_state
        self.recorded: list[CrmRecord] = []

    def find_patient(self, phone_e164: str) -> Patient | None:
        stmt = (
            self._scoped("patient")
            .where(CrmRecord.payload["phone_mobile"].as_string() == phone_e164)
            .order_by(CrmRecord.created_at, CrmRecord.id)
        )
        record = self.session.scalars(stmt).first()
        return None if record is None else patient_of(record)

    def create_patient(
        self,
        first_name: str,
        last_name: str,
        phone_e164: str,
        birthdate: date | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Patient:
        payload = contact_fields(first_name, last_name, phone_e164, birthdate, extra)
        return patient_of(self._add("patient", payload))

    def create_case(
        self, patient_id: str, subject: str, description: str, priority: Priority
    ) -> str:
        self.patient_record(patient_id)
        payload = {
            "patient_id": patient_id,
            "subject": subject,
            "description": description,
            "priority": priority,
        }
        return self._add("case", payload).id

    def create_meeting(
        self,
        patient_id: str,
        subject: str,
        date_start: datetime,
        duration_minutes: int,
        case_id: str,
    ) -> str:
        self.patient_record(patient_id)
        case = self.session.scalar(self._scoped("case").where(CrmRecord.id == case_id))
        if case is None or case.payload.get("patient_id") != patient_id:
            raise NotFound("There is no case with that id for this patient.", "case_not_found")
        payload = {
            "patient_id": patient_id,
            "case_id": case_id,
            "subject": subject,
            "date_start": date_start.isoformat(),
            "duration_minutes": duration_minutes,
        }
        return self._add("meeting", payload).id

    def create_note(self, patient_id: str, subject: str, content: str) -> str:
        self.patient_record(patient_id)
        return self._add(
            "note", {"patient_id": patient_id, "subject": subject, "content": content}
        ).id

    def create_call_summary(self, patient_id: str, summary: str, call_type: str) -> str:
        self.patient_record(patient_id)
        payload = {"patient_id": patient_id, "summary": summary, "call_type": call_type}
        return self._add("call_summary", payload).id

    def patient_record(self, patient_id: str) -> CrmRecord:
        record = self.session.scalar(self._scoped("patient").where(CrmRecord.id == patient_id))
        if record is None:
            raise NotFound("There is no patient with that id.", "patient_not_found")
        return record

    def _scoped(self, kind: str) -> Any:
        stmt = select(CrmRecord).where(CrmRecord.kind == kind)
        if self.owner_only:
            stmt = stmt.where(CrmRecord.owner_id == self.owner_id)
        return stmt

    def _add(self, kind: str, payload: dict[str, Any]) -> CrmRecord:
        record = CrmRecord(
            owner_id=self.owner_id, kind=kind, payload=payload, sync_state=self.sync_state
        )
        self.session.add(record)
        self.session.flush()
        self.recorded.append(record)
        return record


def patient_of(record: CrmRecord) -> Patient:
    p = record.payload
    return Patient(
        id=record.id,
        first_name=p.get("first_name", ""),
        last_name=p.get("last_name", ""),
        phone_mobile=p.get("phone_mobile"),
        email1=p.get("email1"),
        title=p.get("title"),
        department=p.get("department"),
        birthdate=p.get("birthdate"),
    )
