"""The eight restaurant tools through the registry, as the agent and MCP call them."""

from __future__ import annotations

from typing import Any

import pytest
from convonet.tools import ToolContext, get_registry

from tests.integration.test_reservations_fixtures import (
    ALICE_PHONE,
    SATURDAY,
    Hanok,
    hanok_fixture,  # noqa: F401
)

TOOLS = {
    "list_menu_items",
    "search_seating_availability",
    "create_reservation",
    "get_reservation",
    "get_reservation_by_code",
    "update_reservation_details",
    "set_reservation_status",
    "cancel_reservation",
}


def call(ctx: ToolContext, name: str, **arguments: Any) -> Any:
    outcome = get_registry().call(ctx, name, arguments)
    return outcome.result if outcome.status == "ok" else outcome.error


def book(ctx: ToolContext, **overrides: Any) -> dict[str, Any]:
    arguments = {
        "guest_name": "Alice Kim",
        "party_size": 4,
        "starts_at": f"{SATURDAY}T19:00",
        **overrides,
    }
    result: dict[str, Any] = call(ctx, "create_reservation", **arguments)
    return result


def test_the_eight_tools_are_registered() -> None:
    tools = {t.name for t in get_registry().tools(["restaurant"])}
    assert tools == TOOLS
    for tool in get_registry().tools(["restaurant"]):
        properties = tool.json_schema().get("properties", {})
        assert not {"user_id", "owner_id", "member_id"} & set(properties), tool.name


def test_menu_and_availability(hanok: Hanok) -> None:
    ctx = ToolContext(user_id=hanok.alice)
    menu = call(ctx, "list_menu_items")["items"]
    assert menu[0] == {"id": "bulgogi", "name": "Bulgogi", "price_cents": 2400}
    slots = call(ctx, "search_seating_availability", date=SATURDAY, party_size=4)
    assert slots["open_times"][0] == f"{SATURDAY}T11:30:00-08:00" and not slots["closed"]
    bad = call(ctx, "search_seating_availability", date=SATURDAY, party_size=40)
    assert bad["kind"] == "invalid"


def test_create_uses_the_account_phone_and_the_voice_channel(hanok: Hanok) -> None:
    web = ToolContext(user_id=hanok.alice)
    made = book(web, preorder=[{"menu_item_id": "bulgogi", "quantity": 2}])
    assert made["status"] == "confirmed" and made["confirmation_code"].startswith("HNK-")
    assert made["preorder"] == ["2 x Bulgogi"] and made["food_total_cents"] == 4464
    phone = ToolContext(user_id=hanok.bob, channel="phone", caller_phone="+14155550177")
    first = book(phone, guest_name="Bob Lee", party_size=2)
    # The model retries after a barge-in with a new tool-call id: the booking is de-duplicated.
    retried = get_registry().call(
        ToolContext(
            user_id=hanok.bob,
            channel="phone",
            caller_phone="+14155550177",
            session_id="s1",
            tool_call_id="call-2",
        ),
        "create_reservation",
        {"guest_name": "Bob Lee", "party_size": 2, "starts_at": f"{SATURDAY}T19:00"},
    )
    assert retried.result["reservation_id"] == first["reservation_id"]
    no_phone = ToolContext(user_id=hanok.staff)
    assert book(no_phone)["kind"] == "invalid"
    assert book(no_phone, guest_phone="415-555-0188")["status"] == "confirmed"


def test_full_slot_and_waitlist(hanok: Hanok) -> None:
    ctx = ToolContext(user_id=hanok.alice)
    for n in range(10):
        book(ctx, guest_name=f"Guest {n}")
    full = book(ctx)
    assert full["kind"] == "conflict"
    waiting = book(ctx, waitlist_if_full=True)
    assert (waiting["status"], waiting["seating_status"]) == ("waitlisted", "waitlist")


def test_guests_see_and_change_only_their_own_bookings(hanok: Hanok) -> None:
    alice = ToolContext(user_id=hanok.alice)
    bob = ToolContext(user_id=hanok.bob)
    caller_alice = ToolContext(user_id="phone-guest", channel="phone", caller_phone=ALICE_PHONE)
    made = book(alice)
    rid, code = made["reservation_id"], made["confirmation_code"]

    assert [r["reservation_id"] for r in call(alice, "get_reservation")["reservations"]] == [rid]
    assert call(caller_alice, "get_reservation")["reservations"][0]["reservation_id"] == rid
    assert call(alice, "get_reservation", guest_name="Someone Else")["kind"] == "not_found"
    assert call(bob, "get_reservation")["kind"] == "not_found"
    assert call(bob, "get_reservation_by_code", confirmation_code=code)["kind"] == "not_found"
    assert call(alice, "get_reservation_by_code", confirmation_code=code)["reservation_id"] == rid

    for name, extra in (
        ("update_reservation_details", {"party_size": 2}),
        ("cancel_reservation", {}),
        ("set_reservation_status", {"status": "cancelled"}),
    ):
        refused = call(bob, name, reservation_id=rid, **extra)
        assert refused["kind"] == "not_found", name
    assert call(alice, "get_reservation_by_code", confirmation_code=code)["status"] == "confirmed"


def test_update_status_and_cancel(hanok: Hanok) -> None:
    alice = ToolContext(user_id=hanok.alice)
    staff = ToolContext(user_id=hanok.staff, roles=frozenset({"user", "staff"}))
    made = book(alice, preorder=[{"menu_item_id": "galbi-jjim", "quantity": 9}])
    rid = made["reservation_id"]
    moved = call(
        alice, "update_reservation_details", reservation_id=rid, starts_at=f"{SATURDAY}T18:00"
    )
    assert moved["starts_at"] == f"{SATURDAY}T18:00:00-08:00"
    assert call(alice, "set_reservation_status", reservation_id=rid, status="seated")["kind"] == (
        "forbidden"
    )
    gate = call(alice, "cancel_reservation", reservation_id=rid)
    assert gate["kind"] == "conflict" and "reschedule" in gate["message"]
    done = call(alice, "cancel_reservation", reservation_id=rid, retention_offer_acknowledged=True)
    assert done["status"] == "cancelled"

    other = book(alice, guest_name="Second Booking", party_size=2)
    seated = call(
        staff, "set_reservation_status", reservation_id=other["reservation_id"], status="seated"
    )
    assert seated["status"] == "seated"
    kinds = [kind for kind, code in hanok.published.kinds() if code == made["confirmation_code"]]
    assert kinds == ["created", "changed", "cancelled"]


@pytest.mark.parametrize(
    "arguments",
    [
        {"guest_name": "A", "party_size": 4, "starts_at": "2026-01-10T19:00", "user_id": "x"},
        {"guest_name": "A", "party_size": 0, "starts_at": "2026-01-10T19:00"},
        {"guest_name": "A", "party_size": 2, "starts_at": "whenever"},
    ],
)
def test_malformed_arguments_are_typed_errors(hanok: Hanok, arguments: dict[str, Any]) -> None:
    outcome = get_registry().call(ToolContext(user_id=hanok.alice), "create_reservation", arguments)
    assert outcome.status == "error" and outcome.error is not None
    assert outcome.error["kind"] == "invalid"
