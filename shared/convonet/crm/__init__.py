"""The CRM port: SuiteCRM v8 (production) or CrmRecord rows in our database (embedded default).

`crm_backend()` picks SuiteCRM when SUITECRM_URL is set, else the local adapter, so the CRM
endpoints work with no CRM at all. The assistant's tools always record locally first (see
convonet.domain.crm); `crm_sync` pushes those records to SuiteCRM when it is configured.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from convonet.config import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from convonet.crm.suitecrm import SuiteCrmClient

Priority = Literal["P1", "P2", "P3"]


@dataclass(frozen=True)
class Patient:
    """A patient (a SuiteCRM Contact) with the fields the CRM endpoints return."""

    id: str
    first_name: str
    last_name: str
    phone_mobile: str | None = None
    email1: str | None = None
    title: str | None = None
    department: str | None = None
    birthdate: str | None = None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def attributes(self) -> dict[str, Any]:
        fields = asdict(self)
        fields.pop("id")
        return fields


def contact_fields(
    first_name: str,
    last_name: str,
    phone_e164: str,
    birthdate: date | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A new patient's Contact fields under SuiteCRM's names (the local store keeps them too);
    the named ones win over `extra`."""
    fields: dict[str, Any] = {
        **(extra or {}),
        "first_name": first_name,
        "last_name": last_name,
        "phone_mobile": phone_e164,
    }
    if birthdate is not None:
        fields["birthdate"] = birthdate.isoformat()
    return fields


class CrmBackend(Protocol):
    def find_patient(self, phone_e164: str) -> Patient | None: ...

    def create_patient(
        self,
        first_name: str,
        last_name: str,
        phone_e164: str,
        birthdate: date | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Patient: ...

    def create_case(
        self, patient_id: str, subject: str, description: str, priority: Priority
    ) -> str: ...

    def create_meeting(
        self,
        patient_id: str,
        subject: str,
        date_start: datetime,
        duration_minutes: int,
        case_id: str,
    ) -> str: ...

    def create_note(self, patient_id: str, subject: str, content: str) -> str: ...


def book_meeting(
    crm: CrmBackend,
    patient_id: str,
    subject: str,
    date_start: datetime,
    duration_minutes: int,
    case_id: str | None = None,
) -> dict[str, str]:
    """A meeting always hangs off a case: link the given one or open one for it."""
    if case_id is None:
        case_id = crm.create_case(
            patient_id, f"Appointment: {subject}", f"Opened for the appointment {subject}.", "P3"
        )
    meeting_id = crm.create_meeting(patient_id, subject, date_start, duration_minutes, case_id)
    return {"meeting_id": meeting_id, "case_id": case_id}


def suitecrm_configured() -> bool:
    return bool(get_settings().suitecrm_url)


_client: SuiteCrmClient | None = None
_client_settings: Settings | None = None
_client_lock = threading.Lock()


def suitecrm_client() -> SuiteCrmClient:
    """The process-wide SuiteCRM client (its OAuth token is cached across requests); rebuilt
    when the settings are re-read."""
    global _client, _client_settings
    from convonet.crm.suitecrm import SuiteCrmClient

    settings = get_settings()
    with _client_lock:
        if _client is None or _client_settings is not settings:
            if _client is not None:
                _client.close()
            _client, _client_settings = SuiteCrmClient.from_settings(settings), settings
        return _client


def reset_suitecrm_client() -> None:
    """Forget the cached client and its token."""
    global _client, _client_settings
    with _client_lock:
        if _client is not None:
            _client.close()
        _client, _client_settings = None, None


def crm_backend(session: Session, owner_id: str) -> CrmBackend:
    """SuiteCRM when configured; otherwise local rows (owned by `owner_id`, visible to staff)."""
    if suitecrm_configured():
        return suitecrm_client()
    from convonet.crm.local import LocalCrm

    return LocalCrm(session, owner_id, owner_only=False)
