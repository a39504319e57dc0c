"""CRM tools through the registry: local records without SuiteCRM; pushed by crm_sync with it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from convonet.clock import FakeClock
from convonet.db.engine import session_scope
from convonet.db.models import CrmRecord, User
from convonet.events import CrmSyncEvent
from convonet.events.local import LocalEventBus, wire_local_bus_from_manifest
from convonet.manifest import by_name
from convonet.tools import ToolContext, get_registry
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.fixtures.suitecrm import FakeSuiteCrm

pytestmark = pytest.mark.usefixtures("use_local_state")


@pytest.fixture
def users(db_session: Session) -> dict[str, str]:
    ids = {}
    for name in ("alice", "bob"):
        user = User(email=f"{name}@example.com", password_hash="precomputed", display_name=name)
        db_session.add(user)
        db_session.flush()
        ids[name] = user.id
    db_session.commit()
    return ids


@pytest.fixture
def crm_sync_bus(local_bus: LocalEventBus) -> Iterator[LocalEventBus]:
    wire_local_bus_from_manifest(local_bus, [by_name("crm_sync")])
    yield local_bus


def call(user_id: str, name: str, **args: Any) -> Any:
    result = get_registry().call(ToolContext(user_id=user_id, channel="phone"), name, args)
    assert result.status == "ok", result.error
    return result.result


def refused(user_id: str, name: str, **args: Any) -> dict[str, str]:
    result = get_registry().call(ToolContext(user_id=user_id), name, args)
    assert result.status == "error", result.result
    assert result.error is not None
    return result.error


def records(owner_id: str) -> list[CrmRecord]:
    with session_scope() as session:
        stmt = select(CrmRecord).where(CrmRecord.owner_id == owner_id)
        return list(session.scalars(stmt.order_by(CrmRecord.created_at, CrmRecord.kind)))


def intake(user_id: str, clock: FakeClock) -> dict[str, Any]:
    """The healthcare agent's whole flow for one caller."""
    assert call(user_id, "check_patient_exists", phone="(415) 555-0142") == {
        "found": False,
        "phone": "+14155550142",
    }
    patient = call(
        user_id,
        "onboard_patient",
        first_name="Jane",
        last_name="Doe",
        phone="415-555-0142",
        dob="1985-04-12",
    )
    case = call(
        user_id,
        "log_clinical_intake",
        patient_id=patient["patient_id"],
        symptoms="Chest tightness when climbing stairs",
        triage_notes="No pain at rest",
        priority="P2",
    )
    start = (clock.now() + timedelta(days=3)).isoformat()
    visit = call(
        user_id,
        "book_appointment",
        patient_id=patient["patient_id"],
        appointment_type="Cardiology consult",
        date_start=start,
        duration=45,
        case_id=case["case_id"],
    )
    physical = call(
        user_id,
        "book_appointment",
        patient_id=patient["patient_id"],
        appointment_type="Annual physical",
        date_start=start,
    )
    note = call(
        user_id,
        "save_call_summary",
        patient_id=patient["patient_id"],
        summary="Caller onboarded, triaged P2, cardiology consult booked.",
    )
    return {"patient": patient, "case": case, "visit": visit, "physical": physical, "note": note}


def test_local_records_without_suitecrm(users: dict[str, str], clock: FakeClock) -> None:
    alice = users["alice"]
    flow = intake(alice, clock)
    assert flow["patient"]["already_registered"] is False
    assert flow["patient"]["crm"] == "kept locally"
    assert flow["visit"]["case_id"] == flow["case"]["case_id"]
    assert flow["physical"]["case_id"] != flow["case"]["case_id"], "a case is opened for it"
    assert flow["note"]["call_type"] == "inbound"

    found = call(alice, "check_patient_exists", phone="+14155550142")
    assert found == {
        "found": True,
        "patient_id": flow["patient"]["patient_id"],
        "name": "Jane Doe",
        "phone": "+14155550142",
    }
    again = call(alice, "onboard_patient", first_name="J", last_name="D", phone="+14155550142")
    assert again["already_registered"] is True
    assert again["patient_id"] == flow["patient"]["patient_id"]

    rows = records(alice)
    kinds = sorted(r.kind for r in rows)
    assert kinds == ["call_summary", "case", "case", "meeting", "meeting", "patient"]
    assert {r.sync_state for r in rows} == {"local_only"}
    assert all(r.external_id is None for r in rows)
    patient = next(r for r in rows if r.kind == "patient")
    assert patient.payload["birthdate"] == "1985-04-12"


def test_users_cannot_see_or_link_each_others_records(
    users: dict[str, str], clock: FakeClock
) -> None:
    alice, bob = users["alice"], users["bob"]
    flow = intake(alice, clock)
    patient_id, case_id = flow["patient"]["patient_id"], flow["case"]["case_id"]
    assert call(bob, "check_patient_exists", phone="+14155550142")["found"] is False
    start = (clock.now() + timedelta(days=1)).isoformat()
    for name, args in [
        (
            "book_appointment",
            {"patient_id": patient_id, "appointment_type": "X", "date_start": start},
        ),
        ("log_clinical_intake", {"patient_id": patient_id, "symptoms": "s", "triage_notes": "t"}),
        ("save_call_summary", {"patient_id": patient_id, "summary": "s"}),
    ]:
        assert refused(bob, name, **args)["kind"] == "not_found", name
    own = call(bob, "onboard_patient", first_name="Bob", last_name="B", phone="+14155550143")
    error = refused(
        bob,
        "book_appointment",
        patient_id=own["patient_id"],
        appointment_type="X",
        date_start=start,
        case_id=case_id,
    )
    assert error["kind"] == "not_found"
    assert [r.kind for r in records(bob)] == ["patient"]


def test_bad_arguments_are_refused(users: dict[str, str], clock: FakeClock) -> None:
    alice = users["alice"]
    patient = call(alice, "onboard_patient", first_name="A", last_name="B", phone="+14155550150")
    past = (clock.now() - timedelta(minutes=1)).isoformat()
    error = refused(
        alice,
        "book_appointment",
        patient_id=patient["patient_id"],
        appointment_type="Checkup",
        date_start=past,
    )
    assert error["kind"] == "invalid" and "future" in error["message"]
    for name, args in [
        ("check_patient_exists", {"phone": "not a phone"}),
        ("onboard_patient", {"first_name": "", "last_name": "B", "phone": "+14155550150"}),
        (
            "book_appointment",
            {
                "patient_id": patient["patient_id"],
                "appointment_type": "X",
                "date_start": "2030-01-01T10:00:00",
            },
        ),
        (
            "log_clinical_intake",
            {
                "patient_id": patient["patient_id"],
                "symptoms": "s",
                "triage_notes": "t",
                "priority": "P9",
            },
        ),
        (
            "save_call_summary",
            {"patient_id": patient["patient_id"], "summary": "s", "owner_id": users["bob"]},
        ),
    ]:
        assert refused(alice, name, **args)["kind"] == "invalid", name


def test_suitecrm_sync_pushes_what_the_tools_recorded(
    users: dict[str, str], clock: FakeClock, suitecrm: FakeSuiteCrm, crm_sync_bus: LocalEventBus
) -> None:
    alice = users["alice"]
    flow = intake(alice, clock)
    assert flow["patient"]["crm"] == "queued for SuiteCRM"
    assert crm_sync_bus.drain()

    rows = {r.id: r for r in records(alice)}
    assert {r.sync_state for r in rows.values()} == {"synced"}
    patient = rows[flow["patient"]["patient_id"]]
    contact = suitecrm.records["Contacts"][patient.external_id]
    assert contact["phone_mobile"] == "+14155550142" and contact["birthdate"] == "1985-04-12"
    assert len(suitecrm.records["Contacts"]) == 1, "the patient is created once"

    case = suitecrm.records["Cases"][rows[flow["case"]["case_id"]].external_id]
    assert case["priority"] == "P2" and "Chest tightness" in case["description"]
    visit = suitecrm.records["Meetings"][rows[flow["visit"]["meeting_id"]].external_id]
    assert visit["parent_type"] == "Cases"
    assert visit["parent_id"] == rows[flow["case"]["case_id"]].external_id
    assert visit["duration_minutes"] == 45
    assert len(suitecrm.records["Cases"]) == 2 and len(suitecrm.records["Meetings"]) == 2
    note = suitecrm.records["Notes"][rows[flow["note"]["note_id"]].external_id]
    assert note["contact_id"] == patient.external_id and note["name"] == "Call summary (inbound)"
    linked = {(module, related_id) for module, _, _, related_id in suitecrm.links}
    assert linked == {("Cases", patient.external_id), ("Meetings", patient.external_id)}

    pushed = len(suitecrm.api_requests("POST"))
    for record_id in rows:
        crm_sync_bus.publish("crm-sync", CrmSyncEvent(record_id=record_id, kind="note"))
    assert crm_sync_bus.drain()
    assert len(suitecrm.api_requests("POST")) == pushed, "synced records are not pushed again"


def test_refused_record_is_marked_failed(
    users: dict[str, str], suitecrm: FakeSuiteCrm, crm_sync_bus: LocalEventBus
) -> None:
    alice = users["alice"]
    suitecrm.fail_next(400, "bad_request")  # SuiteCRM refuses the record: retrying cannot help
    call(alice, "onboard_patient", first_name="Jane", last_name="Doe", phone="+14155550160")
    assert crm_sync_bus.drain()
    assert [r.sync_state for r in records(alice)] == ["failed"]
