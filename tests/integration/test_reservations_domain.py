"""The reservation core on real PostgreSQL and SQLite: every booking rule, and concurrency."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any

import pytest
from convonet.db.engine import session_scope
from convonet.db.models import Reservation, ReservationTable
from convonet.domain import reservations as core
from convonet.domain import restaurant_admin as admin
from convonet.domain.errors import Conflict, DomainError, Invalid, NotFound
from pydantic import ValidationError
from sqlalchemy import select

from tests.integration.test_reservations_fixtures import (
    SATURDAY,
    Hanok,
    booking,
    hanok_fixture,  # noqa: F401
)

SAT = date.fromisoformat(SATURDAY)


def book(user_id: str | None = None, **overrides: Any) -> core.BookingOutcome:
    with session_scope() as session:
        return core.create_reservation(
            session, core.BookingRequest.model_validate(booking(**overrides)), user_id=user_id
        )


def only_tables(*labels: str) -> None:
    """Retire every table but `labels` (staff inventory edit), to make a slot fill fast."""
    with session_scope() as session:
        for table in admin.list_tables(session):
            if table.label not in labels:
                admin.retire_table(session, table.label)


def fails(exc: type[DomainError], code: str, **overrides: Any) -> DomainError:
    with pytest.raises(exc) as info:
        book(**overrides)
    assert info.value.code == code, info.value.message
    return info.value


def test_booking_answers_restaurant_time_and_stores_utc(hanok: Hanok) -> None:
    made = book().reservation
    assert re.fullmatch(r"HNK-[A-HJ-NP-Z2-9]{4}", made.confirmation_code)
    assert made.starts_at.isoformat() == "2026-01-10T19:00:00-08:00"
    assert made.ends_at.isoformat() == "2026-01-10T21:00:00-08:00"
    assert made.duration_minutes == 120
    assert (made.status, made.seating_status) == ("confirmed", "allocated")
    assert made.guest_phone == "+14155550111"
    with session_scope() as session:
        row = session.get(Reservation, made.id)
        assert row is not None and row.starts_at == datetime(2026, 1, 11, 3, 0, tzinfo=UTC)
    same_instant = book(starts_at="2026-01-11T03:00:00Z", guest_name="Other").reservation
    assert same_instant.starts_at == made.starts_at
    assert hanok.published.kinds() == [
        ("created", made.confirmation_code),
        ("created", same_instant.confirmation_code),
    ]


def test_past_start_is_400(hanok: Hanok) -> None:
    error = fails(Invalid, "starts_in_past", starts_at="2026-01-05T08:30:00")
    assert error.status == 400


@pytest.mark.parametrize(
    ("starts_at", "duration", "code"),
    [
        (f"{SATURDAY}T11:00:00", None, "outside_opening_hours"),
        (f"{SATURDAY}T21:00:00", None, "outside_opening_hours"),
        (f"{SATURDAY}T21:30:00", 60, "outside_opening_hours"),
        (f"{SATURDAY}T19:15:00", None, "not_on_slot_grid"),
    ],
)
def test_stay_must_fit_opening_hours_on_the_grid(
    hanok: Hanok, starts_at: str, duration: int | None, code: str
) -> None:
    fails(Invalid, code, starts_at=starts_at, duration_minutes=duration)


def test_first_and_last_slots_and_closure_days(hanok: Hanok) -> None:
    assert book(starts_at=f"{SATURDAY}T11:30:00").reservation.status == "confirmed"
    assert book(starts_at=f"{SATURDAY}T21:30:00", duration_minutes=30).reservation
    with session_scope() as session:
        admin.put_closure(session, SAT, admin.ClosureInput(reason="Seollal"))
    error = fails(Invalid, "closed_that_day")
    assert "Seollal" in error.message
    with session_scope() as session:
        view = core.availability(session, SAT, 2)
    assert view.closed and view.slots == [] and view.closure_reason == "Seollal"


def test_party_and_duration_limits() -> None:
    bad_requests: list[dict[str, Any]] = [
        {"party_size": 0},
        {"party_size": 21},
        {"duration_minutes": 29},
        {"duration_minutes": 481},
        {"guest_phone": "call me"},
    ]
    for bad in bad_requests:
        with pytest.raises(ValidationError):
            core.BookingRequest.model_validate(booking(**bad))
    ok = core.BookingRequest.model_validate(booking(party_size=20, duration_minutes=480))
    assert ok.guest_phone == "+14155550111"


def test_availability_is_a_grid_within_opening_hours(hanok: Hanok) -> None:
    with session_scope() as session:
        view = core.availability(session, SAT, 4)
    starts = [s.starts_at.strftime("%H:%M") for s in view.slots]
    assert starts[0] == "11:30" and starts[-1] == "20:00" and len(starts) == 18
    assert all(s.starts_at.utcoffset() is not None for s in view.slots)
    only_tables("T4-1")
    book()
    with session_scope() as session:
        view = core.availability(session, SAT, 4)
    full = {t.strftime("%H:%M") for t in view.full_slots}
    assert full == {"17:30", "18:00", "18:30", "19:00", "19:30", "20:00"}


def test_availability_follows_new_hours_at_once(hanok: Hanok) -> None:
    """Availability keeps the restaurant's settings per process; a change is seen at once."""
    with session_scope() as session:
        assert len(core.availability(session, SAT, 4).slots) == 18
    hours = {"sat": [["17:00", "22:00"]]}
    with session_scope() as session:
        admin.set_hours(session, admin.HoursInput(opening_hours=hours, slot_minutes=60))
    with session_scope() as session:
        view = core.availability(session, SAT, 4)
    assert [s.starts_at.strftime("%H:%M") for s in view.slots] == [
        "17:00",
        "18:00",
        "19:00",
        "20:00",
    ]
    with session_scope() as session:
        assert core.availability(session, SAT, 4, duration_minutes=60).duration_minutes == 60


def test_booking_follows_new_hours_at_once(hanok: Hanok) -> None:
    """Booking checks the time against the process's settings before the lock; a change of
    hours made since is caught under the lock and the booking is judged by the new ones."""
    assert book(starts_at=f"{SATURDAY}T12:30:00").reservation.status == "confirmed"
    hours = {"sat": [["17:00", "22:00"]]}
    with session_scope() as session:
        admin.set_hours(
            session,
            admin.HoursInput(opening_hours=hours, slot_minutes=60, default_duration_minutes=60),
        )
    fails(Invalid, "outside_opening_hours", starts_at=f"{SATURDAY}T12:00:00")
    fails(Invalid, "not_on_slot_grid", starts_at=f"{SATURDAY}T17:30:00")
    made = book(starts_at=f"{SATURDAY}T21:00:00").reservation
    assert made.status == "confirmed" and made.duration_minutes == 60


def test_smallest_single_table_then_best_pair(hanok: Hanok) -> None:
    assert [t.label for t in book(party_size=3).reservation.tables] == ["T4-1"]
    assert [t.label for t in book(party_size=5).reservation.tables] == ["T6-1"]
    book(party_size=10)
    book(party_size=10)
    pair = book(party_size=12).reservation
    assert [t.label for t in pair.tables] == ["T6-2", "T6-3"]


def test_full_slot_is_409_or_waitlist_which_never_looks_confirmed(hanok: Hanok) -> None:
    only_tables("T4-1")
    book()
    fails(Conflict, "fully_booked", guest_name="Late Guest")
    waiting = book(guest_name="Late Guest", waitlist_if_full=True).reservation
    assert (waiting.status, waiting.seating_status, waiting.tables) == (
        "waitlisted",
        "waitlist",
        [],
    )


def test_vip_is_promoted_first_when_a_table_frees(hanok: Hanok) -> None:
    only_tables("T4-1")
    seated = book().reservation
    first = book(guest_name="First Come", waitlist_if_full=True).reservation
    vip = book(
        guest_name="Big Order",
        waitlist_if_full=True,
        preorder=[{"menu_item_id": "galbi-jjim", "quantity": 15}],
    ).reservation
    assert vip.guest_priority == "vip" and vip.status == "waitlisted"
    with session_scope() as session:
        core.cancel_reservation(session, seated.id)
        promoted = core.full_view(session, core.reservation_by_id(session, vip.id))
        still = core.full_view(session, core.reservation_by_id(session, first.id))
    assert (promoted.status, [t.label for t in promoted.tables]) == ("confirmed", ["T4-1"])
    assert still.status == "waitlisted"
    assert ("waitlist_promoted", vip.confirmation_code) in hanok.published.kinds()


def test_preorder_discount_and_vip_threshold(hanok: Hanok) -> None:
    order = [
        {"menu_item_id": "bulgogi", "quantity": 2},
        {"menu_item_id": "bibimbap", "quantity": 1},
    ]
    made = book(preorder=order).reservation
    assert (made.food_subtotal_cents, made.discount_cents, made.total_cents) == (7000, 490, 6510)
    assert made.guest_priority == "normal"
    assert [(p.menu_item_id, p.quantity) for p in made.preorder] == [
        ("bibimbap", 1),
        ("bulgogi", 2),
    ]
    big = book(preorder=[{"menu_item_id": "galbi-jjim", "quantity": 15}]).reservation
    assert (big.total_cents, big.guest_priority) == (53010, "vip")
    just_under = book(preorder=[{"menu_item_id": "galbi-jjim", "quantity": 14}]).reservation
    assert just_under.guest_priority == "normal"
    fails(Invalid, "unknown_menu_item", preorder=[{"menu_item_id": "pizza", "quantity": 1}])


def test_premium_cancel_needs_the_retention_step(hanok: Hanok) -> None:
    made = book(preorder=[{"menu_item_id": "galbi-jjim", "quantity": 9}]).reservation
    assert made.total_cents == 31806
    with pytest.raises(Conflict) as info, session_scope() as session:
        core.cancel_reservation(session, made.id)
    assert info.value.code == "premium_cancel_requires_retention_step"
    assert info.value.details["retention_offer"]
    with session_scope() as session:
        done = core.cancel_reservation(session, made.id, retention_offer_acknowledged=True)
    assert done.status == "cancelled" and done.tables == [] and done.cancelled_at is not None
    small = book(guest_name="Small").reservation
    with session_scope() as session:
        assert core.cancel_reservation(session, small.id).status == "cancelled"
    kinds = hanok.published.kinds()
    assert ("cancelled", made.confirmation_code) in kinds
    assert ("cancelled", small.confirmation_code) in kinds


def test_voice_booking_repeated_within_the_window_is_the_first(
    hanok: Hanok, configure: Any
) -> None:
    first = book(source_channel="voice")
    again = book(source_channel="voice")
    assert again.deduplicated and again.reservation.id == first.reservation.id
    assert book(source_channel="online").reservation.id != first.reservation.id
    hanok.clock.advance(121)
    assert book(source_channel="voice").reservation.id != first.reservation.id
    configure(VOICE_DEDUPE_WINDOW_S=5)
    short = book(source_channel="voice", party_size=2)
    hanok.clock.advance(6)
    assert book(source_channel="voice", party_size=2).reservation.id != short.reservation.id


def test_amend_reseats_or_refuses_and_frees_the_old_tables(hanok: Hanok) -> None:
    only_tables("T4-1")
    made = book().reservation
    waiting = book(guest_name="Waiting", waitlist_if_full=True).reservation
    later = core.AmendRequest.model_validate({"starts_at": f"{SATURDAY}T12:00:00"})
    with session_scope() as session:
        moved = core.amend_reservation(session, made.id, later)
    assert moved.starts_at.isoformat() == "2026-01-10T12:00:00-08:00"
    assert [t.label for t in moved.tables] == ["T4-1"]
    with session_scope() as session:
        promoted = core.full_view(session, core.reservation_by_id(session, waiting.id))
    assert promoted.status == "confirmed"
    too_big = core.AmendRequest(party_size=6)
    with pytest.raises(Conflict), session_scope() as session:
        core.amend_reservation(session, made.id, too_big)
    with session_scope() as session:
        unchanged = core.full_view(session, core.reservation_by_id(session, made.id))
    assert unchanged.party_size == 4 and [t.label for t in unchanged.tables] == ["T4-1"]


def test_status_moves_and_completion_frees_tables(hanok: Hanok) -> None:
    only_tables("T4-1")
    made = book().reservation
    waiting = book(guest_name="Waiting", waitlist_if_full=True).reservation
    with pytest.raises(Conflict), session_scope() as session:
        core.set_status(session, waiting.id, "seated")
    with session_scope() as session:
        assert core.set_status(session, made.id, "seated").status == "seated"
    with session_scope() as session:
        assert core.set_status(session, made.id, "completed").tables == []
        promoted = core.full_view(session, core.reservation_by_id(session, waiting.id))
    assert promoted.status == "confirmed"


def test_lookup_needs_phone_and_name(hanok: Hanok) -> None:
    made = book().reservation
    with session_scope() as session:
        found = core.lookup(session, "+14155550111", "  alice   KIM ")
        assert [r.id for r in found] == [made.id]
        with pytest.raises(NotFound):
            core.lookup(session, "+14155550111", "Mallory")
        with pytest.raises(NotFound):
            core.lookup(session, "+14155550199", "Alice Kim")
        guest = core.guest_view(session, found[0])
    assert guest.guest_name == "Alice K." and guest.guest_phone.endswith("0111")
    assert "+1415" not in guest.guest_phone and "id" not in guest.model_dump()


def test_nothing_is_published_when_the_transaction_rolls_back(hanok: Hanok) -> None:
    with pytest.raises(RuntimeError), session_scope() as session:
        core.create_reservation(session, core.BookingRequest.model_validate(booking()))
        raise RuntimeError("the caller fails after booking")
    with session_scope() as session:
        assert session.scalars(select(Reservation)).all() == []
    assert hanok.published.kinds() == []


@pytest.mark.parametrize("waitlist", [False, True])
def test_thirty_concurrent_bookings_never_overbook(hanok: Hanok, waitlist: bool) -> None:
    """Ten tables seat ten parties of four at 19:00; 30 racing bookings end with exactly 10."""

    def attempt(n: int) -> str:
        try:
            made = book(guest_name=f"Guest {n}", waitlist_if_full=waitlist).reservation
        except Conflict:
            return "rejected"
        return made.status

    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(attempt, range(30)))
    assert outcomes.count("confirmed") == 10
    assert outcomes.count("waitlisted" if waitlist else "rejected") == 20
    with session_scope() as session:
        holds = session.scalars(select(ReservationTable)).all()
    assert len(holds) == 10 and len({h.table_id for h in holds}) == 10
