"""The `reservations` function loaded through functions-framework, on PostgreSQL and SQLite."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from convonet.db.engine import session_scope
from convonet.db.models import Reservation
from flask.testing import FlaskClient
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from tests.integration.test_reservations_fixtures import (
    SATURDAY,
    Hanok,
    booking,
    hanok_fixture,  # noqa: F401
)

BASE = "/api/reservations"
WEBHOOK = "/webhooks/hanok_table/variables"


@pytest.fixture
def client(hanok: Hanok, function_client: Callable[[str], FlaskClient]) -> FlaskClient:
    return function_client("reservations")


def create(client: FlaskClient, headers: dict[str, str] | None = None, **overrides: Any) -> Any:
    return client.post(BASE, json=booking(**overrides), headers=headers or {})


def error_code(response: Any) -> str:
    return str(response.get_json()["error"]["code"])


def count_reservations() -> int:
    with session_scope() as session:
        return int(session.scalar(select(func.count()).select_from(Reservation)) or 0)


def test_menu_lists_slug_ids_with_prices(client: FlaskClient) -> None:
    items = client.get(f"{BASE}/menu").get_json()["items"]
    assert len(items) == 6
    assert {"id": "bulgogi", "name": "Bulgogi", "price_cents": 2400}.items() <= items[0].items()


def test_availability_answers_local_times_with_offset(client: FlaskClient) -> None:
    response = client.get(f"{BASE}/availability?date={SATURDAY}&party_size=4")
    assert response.status_code == 200, response.text
    body = response.get_json()
    assert body["timezone"] == "America/Los_Angeles"
    assert body["slots"][0]["starts_at"] == f"{SATURDAY}T11:30:00-08:00"
    for bad in ("date=tomorrow&party_size=4", f"date={SATURDAY}&party_size=21", "party_size=4"):
        answer = client.get(f"{BASE}/availability?{bad}")
        assert answer.status_code == 422 and error_code(answer) == "validation_error"


def test_create_answers_201_with_the_whole_booking(client: FlaskClient, hanok: Hanok) -> None:
    order = [{"menu_item_id": "bulgogi", "quantity": 2}]
    response = create(client, preorder=order, special_requests="window seat")
    assert response.status_code == 201, response.text
    body = response.get_json()
    assert body["confirmation_code"].startswith("HNK-") and len(body["confirmation_code"]) == 8
    assert (body["status"], body["seating_status"]) == ("confirmed", "allocated")
    assert body["tables"] == [{"label": "T4-1", "capacity": 4}]
    assert (body["food_subtotal_cents"], body["discount_cents"], body["total_cents"]) == (
        4800,
        336,
        4464,
    )
    assert body["guest_priority"] == "normal" and body["guest_phone"] == "+14155550111"
    assert body["starts_at"] == f"{SATURDAY}T19:00:00-08:00"
    assert hanok.published.kinds() == [("created", body["confirmation_code"])]


def test_create_refusals(client: FlaskClient, hanok: Hanok) -> None:
    past = create(client, starts_at="2026-01-04T19:00:00")
    assert past.status_code == 400 and error_code(past) == "starts_in_past"
    closed_hours = create(client, starts_at=f"{SATURDAY}T23:00:00")
    assert closed_hours.status_code == 422 and error_code(closed_hours) == "outside_opening_hours"
    unknown = create(client, preorder=[{"menu_item_id": "pizza", "quantity": 1}])
    assert unknown.status_code == 422 and error_code(unknown) == "unknown_menu_item"
    for _ in range(10):
        assert create(client).status_code == 201
    full = create(client)
    assert full.status_code == 409 and error_code(full) == "fully_booked"
    waiting = create(client, waitlist_if_full=True)
    assert waiting.status_code == 201
    assert waiting.get_json()["status"] == "waitlisted"
    assert waiting.get_json()["seating_status"] == "waitlist"


def test_malformed_and_oversized_bodies(client: FlaskClient, configure: Any) -> None:
    not_json = client.post(BASE, data="{nope", content_type="application/json")
    assert not_json.status_code == 400 and error_code(not_json) == "invalid_json"
    form = client.post(BASE, data={"guest_name": "x"})
    assert form.status_code == 415
    bad_bodies = [
        {"party_size": 0},
        {"party_size": 21},
        {"duration_minutes": 500},
        {"starts_at": "soon"},
        {"guest_phone": "12"},
        {"unexpected": 1},
        {"guest_name": "a\x00b"},
        {"starts_at": "9999-12-31T23:30:00"},
    ]
    for bad in bad_bodies:
        answer = create(client, **bad)
        assert answer.status_code == 422, (bad, answer.text)
    configure(MAX_BODY_BYTES=2048)
    huge = create(client, special_requests="x" * 4000)
    assert huge.status_code == 413 and error_code(huge) == "payload_too_large"
    assert count_reservations() == 0


def test_idempotency_key_replays_the_first_answer(client: FlaskClient) -> None:
    headers = {"Idempotency-Key": "booking-1"}
    first = create(client, headers)
    again = create(client, headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    reused = create(client, headers, party_size=2)
    assert reused.status_code == 422 and error_code(reused) == "idempotency_key_reused"
    assert count_reservations() == 1


def test_repeated_voice_booking_answers_200_with_the_first(
    client: FlaskClient, hanok: Hanok
) -> None:
    first = create(client, source_channel="voice")
    again = create(client, source_channel="voice", guest_phone="+1 415 555 0111")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["X-Hanok-Deduplicated"] == "1"
    assert again.get_json()["id"] == first.get_json()["id"]
    hanok.clock.advance(121)
    assert create(client, source_channel="voice").status_code == 201


def test_public_reads_show_only_what_the_guest_needs(client: FlaskClient, hanok: Hanok) -> None:
    made = create(client, special_requests="peanut allergy").get_json()
    by_id = client.get(f"{BASE}/{made['id']}").get_json()
    by_code = client.get(f"{BASE}/by-code/{made['confirmation_code'].lower()}").get_json()
    for view in (by_id, by_code):
        assert view["confirmation_code"] == made["confirmation_code"]
        assert view["guest_name"] == "Alice K." and view["guest_phone"].endswith("0111")
        assert "+1415" not in json.dumps(view) and "peanut" not in json.dumps(view)
        assert "id" not in view
    staff = client.get(f"{BASE}/{made['id']}", headers=hanok.staff_headers()).get_json()
    assert staff["special_requests"] == "peanut allergy"
    assert client.get(f"{BASE}/by-code/HNK-0000").status_code == 404
    assert client.get(f"{BASE}/not-an-id").status_code == 404
    assert client.get(f"{BASE}/{'x' * 300}").status_code == 404


def test_lookup_needs_phone_and_name(client: FlaskClient) -> None:
    made = create(client).get_json()
    found = client.get(f"{BASE}/lookup?phone=4155550111&name=alice%20kim")
    assert found.status_code == 200
    assert [r["id"] for r in found.get_json()["reservations"]] == [made["id"]]
    assert client.get(f"{BASE}/lookup?phone=4155550111").status_code == 422
    assert client.get(f"{BASE}/lookup?phone=4155550111&name=Eve").status_code == 404


def test_amend_and_the_premium_cancel_gate(client: FlaskClient, hanok: Hanok) -> None:
    order = [{"menu_item_id": "galbi-jjim", "quantity": 9}]
    made = create(client, preorder=order).get_json()
    moved = client.patch(f"{BASE}/{made['id']}", json={"starts_at": f"{SATURDAY}T18:00:00"})
    assert moved.status_code == 200 and moved.get_json()["starts_at"].endswith("T18:00:00-08:00")
    first = client.post(f"{BASE}/{made['id']}/cancel", json={})
    assert first.status_code == 409
    assert error_code(first) == "premium_cancel_requires_retention_step"
    assert first.get_json()["error"]["details"]["retention_offer"]
    done = client.post(
        f"{BASE}/{made['id']}/cancel",
        json={"retention_offer_acknowledged": True},
        headers={"Idempotency-Key": "cancel-1"},
    )
    replay = client.post(
        f"{BASE}/{made['id']}/cancel",
        json={"retention_offer_acknowledged": True},
        headers={"Idempotency-Key": "cancel-1"},
    )
    assert done.status_code == replay.status_code == 200
    assert done.get_json()["status"] == "cancelled"
    assert replay.headers["Idempotent-Replayed"] == "true"
    code = made["confirmation_code"]
    assert [k for k in hanok.published.kinds() if k[1] == code] == [
        ("created", code),
        ("changed", code),
        ("cancelled", code),
    ]


def test_staff_list_needs_the_staff_role(client: FlaskClient, hanok: Hanok) -> None:
    create(client)
    anonymous = client.get(BASE)
    assert anonymous.status_code == 401 and error_code(anonymous) == "unauthorized"
    guest = client.get(BASE, headers={"Authorization": f"Bearer {hanok.token(hanok.alice)}"})
    assert guest.status_code == 403
    forged = client.get(BASE, headers={"Authorization": "Bearer not.a.jwt"})
    assert forged.status_code == 401
    listed = client.get(f"{BASE}?date={SATURDAY}", headers=hanok.staff_headers())
    assert listed.status_code == 200
    assert [r["guest_phone"] for r in listed.get_json()["reservations"]] == ["+14155550111"]
    assert client.get(f"{BASE}?date=2026-01-11", headers=hanok.staff_headers()).get_json() == {
        "reservations": []
    }


STAFF_WRITES = [
    ("put", f"{BASE}/menu/hotteok", {"name": "Hotteok", "price_cents": 900}),
    ("delete", f"{BASE}/menu/bulgogi", None),
    ("put", f"{BASE}/tables/T12-1", {"capacity": 12}),
    ("delete", f"{BASE}/tables/T4-1", None),
    ("put", f"{BASE}/hours", {"opening_hours": {"sat": [["17:00", "22:00"]]}}),
    ("put", f"{BASE}/closures/{SATURDAY}", {"reason": "Seollal"}),
    ("delete", f"{BASE}/closures/{SATURDAY}", None),
    ("post", f"{BASE}/00000000-0000-0000-0000-000000000000/status", {"status": "seated"}),
]


@pytest.mark.parametrize(("method", "path", "body"), STAFF_WRITES)
def test_staff_writes_refuse_guests(
    client: FlaskClient, hanok: Hanok, method: str, path: str, body: Any
) -> None:
    send = getattr(client, method)
    assert send(path, json=body).status_code == 401
    guest = {"Authorization": f"Bearer {hanok.token(hanok.alice)}"}
    assert send(path, json=body, headers=guest).status_code == 403


def test_staff_edit_menu_tables_hours_and_closures(client: FlaskClient, hanok: Hanok) -> None:
    staff = hanok.staff_headers()
    added = client.put(
        f"{BASE}/menu/hotteok", json={"name": "Hotteok", "price_cents": 900}, headers=staff
    )
    assert added.status_code == 200
    assert client.delete(f"{BASE}/menu/bulgogi", headers=staff).status_code == 204
    ids = [i["id"] for i in client.get(f"{BASE}/menu").get_json()["items"]]
    assert "hotteok" in ids and "bulgogi" not in ids
    bad_slug = client.put(
        f"{BASE}/menu/Bad%20Id", json={"name": "x", "price_cents": 1}, headers=staff
    )
    assert bad_slug.status_code == 422

    assert (
        client.put(f"{BASE}/tables/T12-1", json={"capacity": 12}, headers=staff).status_code == 200
    )
    big = create(client, party_size=12).get_json()
    assert [t["label"] for t in big["tables"]] == ["T12-1"]
    in_use = client.delete(f"{BASE}/tables/T12-1", headers=staff)
    assert in_use.status_code == 409 and error_code(in_use) == "table_in_use"
    labels = [t["label"] for t in client.get(f"{BASE}/tables", headers=staff).get_json()["tables"]]
    assert "T12-1" in labels

    hours = {"opening_hours": {"sat": [["11:30", "14:00"], ["17:00", "22:00"]]}}
    assert client.put(f"{BASE}/hours", json=hours, headers=staff).status_code == 200
    assert client.get(f"{BASE}/hours").get_json()["opening_hours"]["mon"] == []
    lunch_gap = create(client, starts_at=f"{SATURDAY}T13:00:00")
    assert lunch_gap.status_code == 422 and error_code(lunch_gap) == "outside_opening_hours"
    overlap = {"opening_hours": {"sat": [["11:30", "18:00"], ["17:00", "22:00"]]}}
    assert client.put(f"{BASE}/hours", json=overlap, headers=staff).status_code == 422
    bad_zone = {"opening_hours": {}, "timezone": "Mars/Olympus"}
    assert client.put(f"{BASE}/hours", json=bad_zone, headers=staff).status_code == 422

    closure = client.put(f"{BASE}/closures/2026-01-17", json={"reason": "Seollal"}, headers=staff)
    assert closure.status_code == 200
    assert client.get(f"{BASE}/closures").get_json()["closures"] == [
        {"date": "2026-01-17", "reason": "Seollal"}
    ]
    closed = create(client, starts_at="2026-01-17T19:00:00")
    assert closed.status_code == 422 and error_code(closed) == "closed_that_day"
    assert client.delete(f"{BASE}/closures/2026-01-17", headers=staff).status_code == 204
    assert create(client, starts_at="2026-01-17T19:00:00").status_code == 201
    assert client.put(f"{BASE}/closures/someday", json={}, headers=staff).status_code == 422


def test_staff_seat_and_complete(client: FlaskClient, hanok: Hanok) -> None:
    made = create(client).get_json()
    url = f"{BASE}/{made['id']}/status"
    staff = hanok.staff_headers()
    assert (
        client.post(url, json={"status": "seated"}, headers=staff).get_json()["status"] == "seated"
    )
    done = client.post(url, json={"status": "completed"}, headers=staff).get_json()
    assert (done["status"], done["tables"]) == ("completed", [])
    again = client.post(url, json={"status": "seated"}, headers=staff)
    assert again.status_code == 409 and error_code(again) == "invalid_transition"


def _signed(url: str, params: dict[str, str]) -> dict[str, str]:
    validator = RequestValidator("dev-only-twilio-auth-token")
    return {"X-Twilio-Signature": validator.compute_signature(url, params)}


def test_caller_variables_webhook_needs_twilio_signature(
    client: FlaskClient, hanok: Hanok, configure: Any
) -> None:
    create(client, preorder=[{"menu_item_id": "galbi-jjim", "quantity": 15}])
    params = {"From": "+14155550111", "To": "+14155550142", "CallSid": "CA123"}
    signed = _signed(f"http://127.0.0.1:8080{WEBHOOK}", params)
    profile = client.post(WEBHOOK, data=params, headers=signed)
    assert profile.status_code == 200, profile.text
    body = profile.get_json()
    assert (body["known_guest"], body["guest_name"], body["is_vip"]) == (True, "Alice Kim", True)
    assert [r["confirmation_code"][:4] for r in body["upcoming_reservations"]] == ["HNK-"]

    assert client.post(WEBHOOK, data=params).status_code == 403
    tampered = client.post(WEBHOOK, data={**params, "From": "+14155550122"}, headers=signed)
    assert tampered.status_code == 403 and error_code(tampered) == "invalid_signature"
    as_json = client.post(WEBHOOK, json=params, headers=signed)
    assert as_json.status_code == 415

    configure(PUBLIC_BASE_URL="https://hanok.example.com")
    assert client.post(WEBHOOK, data=params, headers=signed).status_code == 403
    public = _signed(f"https://hanok.example.com{WEBHOOK}", params)
    assert client.post(WEBHOOK, data=params, headers=public).status_code == 200
    stranger = {"From": "+14155550199"}
    stranger_signed = _signed(f"https://hanok.example.com{WEBHOOK}", stranger)
    unknown = client.post(WEBHOOK, data=stranger, headers=stranger_signed).get_json()
    assert (unknown["known_guest"], unknown["upcoming_reservations"]) == (False, [])


def test_openapi_and_health(client: FlaskClient) -> None:
    doc = client.get(f"{BASE}/openapi.json").get_json()
    assert {f"{BASE}/availability", f"{BASE}/{{reservation_id}}/cancel", WEBHOOK} <= set(
        doc["paths"]
    )
    assert client.get(f"{BASE}/healthz").get_json() == {"status": "ok", "function": "reservations"}
    assert client.get("/webhooks/hanok_table/healthz").status_code == 200
