"""crm_api through functions-framework: staff-only, validated, idempotent; SuiteCRM or local."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from convonet.auth.tokens import issue_user_token
from convonet.db.models import User
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.fixtures.suitecrm import FakeSuiteCrm

pytestmark = pytest.mark.usefixtures("use_local_state")

JANE = {"first_name": "Jane", "last_name": "Doe", "phone": "+1 415 555 0142"}


@pytest.fixture
def staff_and_user(db_session: Session) -> dict[str, str]:
    """Access tokens for a call-center agent and a plain user."""
    tokens = {}
    for name, roles in (("agent", ["user", "agent"]), ("user", ["user"])):
        user = User(email=f"{name}@example.com", password_hash="x", display_name=name, roles=roles)
        db_session.add(user)
        db_session.flush()
        tokens[name] = issue_user_token(user.id, roles, [], "access").token
    db_session.commit()
    return tokens


@pytest.fixture
def crm(function_client: Callable[[str], FlaskClient]) -> Iterator[FlaskClient]:
    yield function_client("crm_api")


def post(client: FlaskClient, path: str, body: Any, token: str | None, **headers: str) -> Any:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.post(path, json=body, headers=headers)


def test_local_adapter_without_suitecrm(crm: FlaskClient, staff_and_user: dict[str, str]) -> None:
    agent = staff_and_user["agent"]
    assert post(crm, "/patient/search", {"phone": "4155550142"}, agent).get_json() == {
        "found": False,
        "patient_id": None,
        "attributes": None,
    }
    body = {**JANE, "birthdate": "1985-04-12", "additional_attributes": {"email1": "j@x.org"}}
    created = post(crm, "/patient/create", body, agent)
    assert created.status_code == 201
    patient_id = created.get_json()["patient_id"]
    found = post(crm, "/patient/search", {"phone": "(415) 555-0142"}, agent).get_json()
    assert found["found"] is True and found["patient_id"] == patient_id
    assert found["attributes"]["email1"] == "j@x.org"
    assert found["attributes"]["phone_mobile"] == "+14155550142"

    case = post(
        crm,
        "/case/create",
        {
            "patient_id": patient_id,
            "subject": "Cough",
            "description": "Three days",
            "priority": "P2",
        },
        agent,
    )
    assert case.status_code == 201
    meeting = post(
        crm,
        "/meeting/create",
        {
            "patient_id": patient_id,
            "subject": "Follow-up",
            "date_start": "2030-01-02T15:00:00+00:00",
        },
        agent,
    )
    assert (
        meeting.status_code == 201 and meeting.get_json()["case_id"] != case.get_json()["case_id"]
    )
    note = post(
        crm,
        "/note/create",
        {"patient_id": patient_id, "subject": "Call", "content": "Asked about results."},
        agent,
    )
    assert note.status_code == 201 and note.get_json()["note_id"]
    missing = post(
        crm, "/note/create", {"patient_id": "nope", "subject": "s", "content": "c"}, agent
    )
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "patient_not_found"


def test_suitecrm_round_trip(
    crm: FlaskClient, staff_and_user: dict[str, str], suitecrm: FakeSuiteCrm
) -> None:
    agent = staff_and_user["agent"]
    existing = suitecrm.add_contact(
        first_name="Ann",
        last_name="Lee",
        phone_mobile="+14155550111",
        email1="ann@example.com",
        title="Member",
    )
    found = post(crm, "/patient/search", {"phone": "415-555-0111"}, agent).get_json()
    assert found["patient_id"] == existing
    assert found["attributes"]["email1"] == "ann@example.com"
    assert found["attributes"]["department"] == "Cardiology", "recorded Contact fields come back"
    search = suitecrm.api_requests("GET")[0]
    assert search.query["filter[phone_mobile][eq]"] == ["+14155550111"]

    created = post(crm, "/patient/create", JANE, agent)
    assert created.status_code == 201
    contact_id = created.get_json()["patient_id"]
    assert suitecrm.records["Contacts"][contact_id]["phone_mobile"] == "+14155550142"
    posted = suitecrm.api_requests("POST")[0]
    assert posted.path == "/Api/V8/module" and posted.body["data"]["type"] == "Contacts"

    meeting = post(
        crm,
        "/meeting/create",
        {
            "patient_id": contact_id,
            "subject": "Consult",
            "date_start": "2030-01-02T08:00:00-08:00",
            "duration_minutes": 90,
        },
        agent,
    ).get_json()
    stored = suitecrm.records["Meetings"][meeting["meeting_id"]]
    assert stored["date_start"] == "2030-01-02T16:00:00+00:00"
    assert (stored["duration_hours"], stored["duration_minutes"]) == (1, 30)
    assert stored["parent_id"] == meeting["case_id"]
    assert ("Meetings", meeting["meeting_id"], "Contacts", contact_id) in suitecrm.links
    note = post(
        crm, "/note/create", {"patient_id": contact_id, "subject": "s", "content": "c"}, agent
    ).get_json()
    assert suitecrm.records["Notes"][note["note_id"]]["contact_id"] == contact_id
    assert suitecrm.tokens_issued == 1, "the token is cached across requests"


def test_token_refreshed_after_401_and_on_expiry(
    crm: FlaskClient, staff_and_user: dict[str, str], suitecrm: FakeSuiteCrm, clock: Any
) -> None:
    agent = staff_and_user["agent"]
    assert post(crm, "/patient/search", {"phone": "+14155550100"}, agent).status_code == 200
    suitecrm.revoke_tokens()
    assert post(crm, "/patient/search", {"phone": "+14155550100"}, agent).status_code == 200
    assert suitecrm.tokens_issued == 2
    statuses = [r.authorization is not None for r in suitecrm.api_requests()]
    assert len(statuses) == 3, "one retry after the 401"

    clock.advance(3600)
    assert post(crm, "/patient/search", {"phone": "+14155550100"}, agent).status_code == 200
    assert suitecrm.tokens_issued == 3, "an expired token is renewed before use"


def test_suitecrm_failures_answer_503(
    crm: FlaskClient, staff_and_user: dict[str, str], suitecrm: FakeSuiteCrm, configure: Any
) -> None:
    agent = staff_and_user["agent"]
    suitecrm.fail_next(500, "bad_request")
    broken = post(crm, "/patient/search", {"phone": "+14155550100"}, agent)
    assert broken.status_code == 503 and broken.get_json()["error"]["code"] == "crm_error"

    suitecrm.fail_next(400, "bad_request")
    refused = post(crm, "/patient/create", JANE, agent)
    assert refused.status_code == 422
    assert "last_name" in refused.get_json()["error"]["message"]

    configure(SUITECRM_TIMEOUT_S=0.3)
    suitecrm.stall = True
    slow = post(crm, "/patient/search", {"phone": "+14155550100"}, agent)
    assert slow.status_code == 503 and slow.get_json()["error"]["code"] == "crm_timeout"

    suitecrm.stall = False
    configure(SUITECRM_CLIENT_SECRET="wrong")
    denied = post(crm, "/patient/search", {"phone": "+14155550100"}, agent)
    assert denied.status_code == 503 and denied.get_json()["error"]["code"] == "crm_auth_failed"


VALID_BODIES = {
    "/patient/search": {"phone": "+14155550142"},
    "/patient/create": JANE,
    "/meeting/create": {"patient_id": "p", "subject": "s", "date_start": "2030-01-02T15:00:00Z"},
    "/case/create": {"patient_id": "p", "subject": "s", "description": "d"},
    "/note/create": {"patient_id": "p", "subject": "s", "content": "c"},
}


def test_unauthorised_callers_are_refused(
    crm: FlaskClient, staff_and_user: dict[str, str], suitecrm: FakeSuiteCrm
) -> None:
    for path, body in VALID_BODIES.items():
        assert post(crm, path, body, None).status_code == 401, path
        assert post(crm, path, body, "not-a-jwt").status_code == 401, path
        user = post(crm, path, body, staff_and_user["user"])
        assert user.status_code == 403 and user.get_json()["error"]["code"] == "forbidden", path
    assert suitecrm.requests == [], "nothing reached the CRM"


def test_malformed_and_oversized_input(
    crm: FlaskClient, staff_and_user: dict[str, str], configure: Any
) -> None:
    auth = {"Authorization": f"Bearer {staff_and_user['agent']}"}
    bad_json = crm.post(
        "/patient/create", data="{not json", content_type="application/json", headers=auth
    )
    assert bad_json.status_code == 400 and bad_json.get_json()["error"]["code"] == "invalid_json"
    form = crm.post("/patient/create", data="a=b", content_type="text/plain", headers=auth)
    assert form.status_code == 415
    for path, body in [
        ("/patient/search", {"phone": "call me"}),
        ("/patient/search", ["+14155550142"]),
        ("/patient/create", {**JANE, "additional_attributes": {"deleted": "1"}}),
        ("/patient/create", {**JANE, "user_id": "someone"}),
        ("/meeting/create", {"patient_id": "p", "subject": "s", "date_start": "2030-01-02 15:00"}),
        (
            "/case/create",
            {"patient_id": "p", "subject": "s", "description": "d", "priority": "urgent"},
        ),
        ("/note/create", {"patient_id": "p", "subject": "s"}),
    ]:
        response = crm.post(path, json=body, headers=auth)
        assert response.status_code == 422, (path, body)
        assert response.get_json()["error"]["code"] == "validation_error"
    configure(MAX_BODY_BYTES=1024)
    huge = {**JANE, "additional_attributes": {"description": "x" * 1000, "title": "y" * 900}}
    oversized = crm.post(
        "/patient/create", data=json.dumps(huge), content_type="application/json", headers=auth
    )
    assert oversized.status_code == 413


def test_replayed_create_runs_once(
    crm: FlaskClient,
    staff_and_user: dict[str, str],
    suitecrm: FakeSuiteCrm,
) -> None:
    agent = staff_and_user["agent"]
    first = post(crm, "/patient/create", JANE, agent, **{"Idempotency-Key": "create-jane-1"})
    again = post(crm, "/patient/create", JANE, agent, **{"Idempotency-Key": "create-jane-1"})
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(suitecrm.records["Contacts"]) == 1
    other_body = post(
        crm,
        "/patient/create",
        {**JANE, "first_name": "Janet"},
        agent,
        **{"Idempotency-Key": "create-jane-1"},
    )
    assert other_body.status_code == 422
    assert other_body.get_json()["error"]["code"] == "idempotency_key_reused"
    assert len(suitecrm.records["Contacts"]) == 1


def test_health_and_openapi(crm: FlaskClient) -> None:
    assert crm.get("/patient/healthz").get_json() == {"status": "ok", "function": "crm_api"}
    spec = crm.get("/patient/openapi.json").get_json()
    assert {
        "/patient/search",
        "/patient/create",
        "/meeting/create",
        "/case/create",
        "/note/create",
    } <= set(spec["paths"])
