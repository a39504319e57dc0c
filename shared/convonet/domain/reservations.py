"""Hanok reservations: book, amend, cancel, seat, look up; waitlist and pre-orders.

Plain functions over a SQLAlchemy session, shared by the `reservations` function and the
restaurant tools. Every write first locks the restaurant row (`SELECT ... FOR UPDATE` on
PostgreSQL; SQLite transactions already start with `BEGIN IMMEDIATE`), so allocations of one
restaurant are serialised and two bookings can never take the same table; a booking does
what needs no lock before taking it (checking the time, drawing a code, pricing the pre-order)
and after the commit (building its answer and its event). Times are stored UTC and answered in
the restaurant's own time zone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal, TypeVar
from weakref import WeakKeyDictionary

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints
from sqlalchemy import Connection, Engine, Row, bindparam, case, event, exists, select
from sqlalchemy.orm import Session, aliased, load_only, selectinload

from convonet.clock import get_clock
from convonet.config import get_settings
from convonet.db.models import (
    DiningTable,
    MenuItem,
    PreorderLine,
    Reservation,
    ReservationTable,
    Restaurant,
    RestaurantClosure,
)
from convonet.db.models.restaurant import HANOK_ID
from convonet.domain import restaurant_rules as rules
from convonet.domain.errors import Conflict, Invalid, NotFound
from convonet.domain.schema import Schema
from convonet.phone import InvalidPhoneNumber, normalize_e164

log = logging.getLogger(__name__)
_D = TypeVar("_D", date, datetime)

ACTIVE_STATUSES = ("confirmed", "waitlisted", "seated")
RETENTION_OFFER = (
    "We would love to keep your table: move the booking to another date and keep your pre-order "
    "with a complimentary dessert for the table."
)
_PENDING_EVENTS = "convonet.reservation_events"
# Moves allowed by `set_status`; cancelling has its own rules (`cancel_reservation`).
_STATUS_FROM = {"seated": ("confirmed",), "completed": ("confirmed", "seated")}


# Statements of the hot paths, built once; each call only binds its parameters. Short aliases
# keep the SQL short: pg8000 rescans every statement's text on every execution. Those that
# return plain rows run on the session's connection, skipping the ORM's execution layer.
_PLAN = select(
    Restaurant.timezone,
    Restaurant.opening_hours,
    Restaurant.slot_minutes,
    Restaurant.default_duration_minutes,
).where(Restaurant.id == bindparam("restaurant_id"))
_r, _c, _t, _h, _v = (
    aliased(Restaurant, name="r"),
    aliased(RestaurantClosure, name="c"),
    aliased(DiningTable, name="t"),
    aliased(ReservationTable, name="h"),
    aliased(Reservation, name="v"),
)
_OVERLAPS = (_h.starts_at < bindparam("end")) & (_h.ends_at > bindparam("start"))
_ACTIVE_TABLE = (_t.restaurant_id == bindparam("restaurant_id")) & _t.is_active
# Only what seating and the booking's view read: no timestamps to parse per table.
_FREE_TABLES = (
    select(_t)
    .options(load_only(_t.label, _t.capacity))
    .where(_ACTIVE_TABLE, ~exists().where(_h.table_id == _t.id, _OVERLAPS))
)
_CLOSURE = select(_c.id, _c.reason).where(
    (_c.restaurant_id == bindparam("restaurant_id")) & (_c.date == bindparam("day"))
)
# Whether the restaurant's settings are still those a `_Plan` was made from.
_PLAN_CURRENT = (
    (_r.timezone == bindparam("timezone"))
    & (_r.opening_hours == bindparam("opening_hours"))
    & (_r.slot_minutes == bindparam("slot_minutes"))
    & (_r.default_duration_minutes == bindparam("default_duration_minutes"))
)
_DAY = (
    select(
        _PLAN_CURRENT.label("current"),
        _c.id.label("closure_id"),
        _c.reason,
        _t.id,
        _t.label,
        _t.capacity,
        _h.starts_at,
        _h.ends_at,
    )
    .outerjoin(_c, (_c.restaurant_id == _r.id) & (_c.date == bindparam("day")))
    .outerjoin(_t, (_t.restaurant_id == _r.id) & _t.is_active)
    .outerjoin(_h, (_h.table_id == _t.id) & _OVERLAPS)
    .where(_r.id == bindparam("restaurant_id"))
)
# A booking's one statement before seating: lock the restaurant and, in the same round trip,
# say whether the process's settings are current, whether the day is closed and whether the
# drawn confirmation code is taken. `OF r`: the closure is on the nullable side of the join.
_BOOKING_GATE = (
    select(
        _PLAN_CURRENT.label("current"),
        _c.id.label("closure_id"),
        _c.reason,
        exists().where(_v.confirmation_code == bindparam("code")).label("code_taken"),
    )
    .outerjoin(_c, (_c.restaurant_id == _r.id) & (_c.date == bindparam("day")))
    .where(_r.id == bindparam("restaurant_id"))
    .with_for_update(of=_r)
)
# What a reservation's view reads beyond its row, loaded with it.
_VIEW_LOADS = (
    selectinload(Reservation.tables).selectinload(ReservationTable.table),
    selectinload(Reservation.preorder_lines).selectinload(PreorderLine.menu_item),
)
# Per database engine and restaurant: the settings availability needs (see `_plan`).
_plans: WeakKeyDictionary[Engine | Connection, dict[str, _Plan]] = WeakKeyDictionary()


class StartInPast(Invalid):
    """A booking for a time already gone: 400 (the request is wrong, not merely invalid)."""

    status = 400


# Input types ------------------------------------------------------------------------------


def _phone(value: str) -> str:
    try:
        return normalize_e164(value)
    except InvalidPhoneNumber as exc:
        raise ValueError(str(exc)) from None


def _sane_year(value: _D) -> _D:
    """Far-off years cannot be booked, and near datetime's limits they overflow arithmetic."""
    if not 2000 <= value.year <= 2200:
        raise ValueError("the year must be between 2000 and 2200")
    return value


GuestName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    AfterValidator(rules.clean_text),
]
Phone = Annotated[str, StringConstraints(max_length=32), AfterValidator(_phone)]
Requests = Annotated[str, StringConstraints(max_length=2000), AfterValidator(rules.clean_text)]
StartsAt = Annotated[datetime, AfterValidator(_sane_year)]
BookingDate = Annotated[date, AfterValidator(_sane_year)]
PartySize = Annotated[int, Field(ge=rules.PARTY_MIN, le=rules.PARTY_MAX)]
Duration = Annotated[int, Field(ge=rules.DURATION_MIN, le=rules.DURATION_MAX)]
MENU_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MenuSlug = Annotated[str, StringConstraints(pattern=f"^{MENU_SLUG.pattern}$", max_length=64)]
SourceChannel = Literal["online", "voice", "api"]
Locale = Literal["en", "ko"]


class PreorderItem(Schema):
    model_config = ConfigDict(extra="forbid")

    menu_item_id: MenuSlug
    quantity: int = Field(ge=1, le=99)


Preorder = Annotated[list[PreorderItem], Field(max_length=30)]


class BookingRequest(Schema):
    """A new booking. A naive `starts_at` is the restaurant's wall time."""

    model_config = ConfigDict(extra="forbid")

    guest_name: GuestName
    guest_phone: Phone
    party_size: PartySize
    starts_at: StartsAt
    duration_minutes: Duration | None = None
    special_requests: Requests | None = None
    preorder: Preorder = Field(default_factory=list)
    source_channel: SourceChannel = "online"
    preferred_locale: Locale = "en"
    waitlist_if_full: bool = False


class AmendRequest(Schema):
    """Changes to a booking; absent fields stay as they are, `preorder` replaces the order."""

    model_config = ConfigDict(extra="forbid")

    guest_name: GuestName | None = None
    guest_phone: Phone | None = None
    party_size: PartySize | None = None
    starts_at: StartsAt | None = None
    duration_minutes: Duration | None = None
    special_requests: Requests | None = None
    preorder: Preorder | None = None
    preferred_locale: Locale | None = None


# Views ------------------------------------------------------------------------------------


class MenuItemView(Schema):
    id: str
    name: str
    name_ko: str | None
    description: str | None
    price_cents: int
    active: bool


class TableView(Schema):
    label: str
    capacity: int


class PreorderLineView(Schema):
    menu_item_id: str
    name: str
    quantity: int
    unit_price_cents: int


class GuestReservationView(Schema):
    """What a guest needs to see; name and phone masked, no id, no special requests."""

    confirmation_code: str
    status: str
    seating_status: str
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    party_size: int
    guest_name: str
    guest_phone: str
    tables: list[TableView]
    preorder: list[PreorderLineView]
    food_subtotal_cents: int
    discount_cents: int
    total_cents: int
    guest_priority: str
    preferred_locale: str


class ReservationView(GuestReservationView):
    """The whole booking: for its creator, a guest who proved phone and name, and staff."""

    id: str
    special_requests: str | None
    source_channel: str
    created_at: datetime
    cancelled_at: datetime | None


class SlotView(Schema):
    starts_at: datetime
    ends_at: datetime


class AvailabilityView(Schema):
    date: date
    party_size: int
    duration_minutes: int
    timezone: str
    closed: bool
    closure_reason: str | None = None
    slots: list[SlotView]
    full_slots: list[datetime]


class BookingOutcome(Schema):
    reservation: ReservationView
    deduplicated: bool = False


class CallerProfile(Schema):
    """Who is calling, for the phone assistant's first words."""

    caller_phone: str
    known_guest: bool
    guest_name: str | None
    is_vip: bool
    preferred_locale: str
    upcoming_reservations: list[GuestReservationView]


# Reads ------------------------------------------------------------------------------------


def get_restaurant(session: Session, restaurant_id: str = HANOK_ID) -> Restaurant:
    restaurant = session.get(Restaurant, restaurant_id)
    if restaurant is None:
        raise NotFound(f"There is no restaurant {restaurant_id!r}.", "restaurant_not_found")
    return restaurant


def list_menu(session: Session, restaurant_id: str = HANOK_ID) -> list[MenuItemView]:
    """The dishes on offer now, in menu order."""
    get_restaurant(session, restaurant_id)
    items = session.scalars(
        select(MenuItem)
        .where(MenuItem.restaurant_id == restaurant_id, MenuItem.active.is_(True))
        .order_by(MenuItem.sort_order, MenuItem.id)
    )
    return [menu_item_view(item) for item in items]


def availability(
    session: Session,
    day: date,
    party_size: int,
    duration_minutes: int | None = None,
    restaurant_id: str = HANOK_ID,
) -> AvailabilityView:
    """Grid starts on `day` whose whole stay fits the opening hours, split open and full.

    The busiest read of the restaurant, so it is one query of plain rows (the day's closure,
    the tables, their holds): the restaurant's settings come from the process's copy, which
    that query checks is still current.
    """
    plan = _plan(session, restaurant_id)
    floor = _day_floor(session, plan, restaurant_id, day, duration_minutes)
    if not floor.current:
        plan = _plan(session, restaurant_id, refresh=True)
        floor = _day_floor(session, plan, restaurant_id, day, duration_minutes)
    view = AvailabilityView(
        date=day,
        party_size=party_size,
        duration_minutes=floor.duration,
        timezone=plan.timezone,
        closed=floor.closed,
        closure_reason=floor.closure_reason,
        slots=[],
        full_slots=[],
    )
    if floor.closed:
        return view
    stay = timedelta(minutes=floor.duration)
    for start in floor.starts:
        end = start + stay
        busy = {table_id for table_id, s, e in floor.holds if s < end and e > start}
        free = [t for t in floor.tables if t.id not in busy]
        if rules.choose_tables(free, party_size) is None:
            view.full_slots.append(start)
        else:
            view.slots.append(SlotView(starts_at=start, ends_at=end))
    return view


def reservation_by_id(session: Session, reservation_id: str) -> Reservation:
    reservation = session.get(Reservation, reservation_id)
    if reservation is None:
        raise NotFound("No reservation has that id.", "reservation_not_found")
    return reservation


def reservation_by_code(session: Session, code: str) -> Reservation:
    normalized = code.strip().upper()
    if not normalized.startswith(rules.CODE_PREFIX):
        normalized = rules.CODE_PREFIX + normalized
    reservation = session.scalar(
        select(Reservation).where(Reservation.confirmation_code == normalized)
    )
    if reservation is None:
        raise NotFound("No reservation has that confirmation code.", "reservation_not_found")
    return reservation


def lookup(session: Session, phone: str, name: str) -> list[Reservation]:
    """Active upcoming bookings under this phone AND this name (both must match)."""
    wanted = _same_name_key(name)
    matches = [
        r for r in _upcoming_for_phone(session, phone) if _same_name_key(r.guest_name) == wanted
    ]
    if not matches:
        raise NotFound("No upcoming reservation matches that phone and name.", "no_match")
    return matches


def guest_reservations(
    session: Session, *, user_id: str | None, phone: str | None, name: str | None = None
) -> list[Reservation]:
    """Active upcoming bookings made by this user or under this phone, optionally by name."""
    now = get_clock().now()
    owner = []
    if user_id:
        owner.append(Reservation.user_id == user_id)
    if phone:
        owner.append(Reservation.guest_phone_e164 == phone)
    if not owner:
        return []
    found = session.scalars(
        select(Reservation)
        .where(Reservation.status.in_(ACTIVE_STATUSES), Reservation.ends_at > now)
        .where(owner[0] if len(owner) == 1 else owner[0] | owner[1])
        .order_by(Reservation.starts_at)
    ).all()
    if name:
        found = [r for r in found if _same_name_key(r.guest_name) == _same_name_key(name)]
    return list(found)


def list_reservations(
    session: Session,
    *,
    day: date | None = None,
    status: str | None = None,
    restaurant_id: str = HANOK_ID,
    limit: int = 200,
) -> list[ReservationView]:
    restaurant = get_restaurant(session, restaurant_id)
    stmt = select(Reservation).where(Reservation.restaurant_id == restaurant.id)
    if day is not None:
        tz = restaurant.timezone
        day_start = rules.to_utc(datetime.combine(day, time(0)), tz)
        day_end = rules.to_utc(datetime.combine(day + timedelta(days=1), time(0)), tz)
        stmt = stmt.where(Reservation.starts_at >= day_start, Reservation.starts_at < day_end)
    if status is not None:
        stmt = stmt.where(Reservation.status == status)
    stmt = stmt.options(*_VIEW_LOADS)
    rows = session.scalars(stmt.order_by(Reservation.starts_at).limit(limit))
    return [full_view(session, r) for r in rows]


def caller_profile(session: Session, phone: str) -> CallerProfile:
    upcoming = _upcoming_for_phone(session, phone)
    latest = session.scalar(
        select(Reservation)
        .where(Reservation.guest_phone_e164 == phone)
        .order_by(Reservation.created_at.desc())
        .limit(1)
    )
    is_vip = session.scalar(
        select(
            exists().where(
                Reservation.guest_phone_e164 == phone,
                Reservation.guest_priority == "vip",
                Reservation.status != "cancelled",
            )
        )
    )
    return CallerProfile(
        caller_phone=phone,
        known_guest=latest is not None,
        guest_name=latest.guest_name if latest else None,
        is_vip=bool(is_vip),
        preferred_locale=latest.preferred_locale if latest else "en",
        upcoming_reservations=[guest_view(session, r) for r in upcoming],
    )


# Writes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Booked:
    """A booking made (or, for a repeated voice booking, found) in a transaction.

    Its view is built with `outcome()`, best after the commit: outside the restaurant's lock.
    Every attribute the view reads is loaded, so it can be built after the session closes.
    """

    reservation: Reservation
    timezone: str
    deduplicated: bool = False

    def outcome(self) -> BookingOutcome:
        return BookingOutcome(
            reservation=_full_view(self.reservation, self.timezone),
            deduplicated=self.deduplicated,
        )


def create_reservation(
    session: Session,
    request: BookingRequest,
    *,
    user_id: str | None = None,
    restaurant_id: str = HANOK_ID,
) -> BookingOutcome:
    """Book a table (or the waitlist) and answer its view in the same transaction."""
    return book(session, request, user_id=user_id, restaurant_id=restaurant_id).outcome()


def book(
    session: Session,
    request: BookingRequest,
    *,
    user_id: str | None = None,
    restaurant_id: str = HANOK_ID,
) -> Booked:
    """Book a table (or the waitlist); a voice booking repeated within the window is the first.

    Bookings of one restaurant wait for each other on its lock, so the lock is held only for
    what needs it. Before it: the time checked against the process's copy of the settings, a
    confirmation code drawn, the pre-order priced. Under it: one statement that locks and
    checks the copy is current, the day open and the code free, then the free tables and the
    inserts (a stale copy is refreshed and the checks made again, under the lock).
    """
    plan = _plan(session, restaurant_id)
    stay = _Stay.of(plan, request)
    reservation = Reservation(
        restaurant_id=restaurant_id,
        confirmation_code=rules.new_confirmation_code(),
        guest_name=request.guest_name,
        guest_phone_e164=request.guest_phone,
        party_size=request.party_size,
        special_requests=request.special_requests,
        source_channel=request.source_channel,
        preferred_locale=request.preferred_locale,
        user_id=user_id,
    )
    _set_preorder(session, reservation, request.preorder)
    gate = _booking_gate(session, plan, restaurant_id, stay, reservation.confirmation_code)
    if not gate.current:
        plan = _plan(session, restaurant_id, refresh=True)
        stay = _Stay.of(plan, request)
        gate = _booking_gate(session, plan, restaurant_id, stay, reservation.confirmation_code)
    if gate.closure_id is not None:
        raise _closed_that_day(gate.reason)
    if request.source_channel == "voice":
        first = _recent_voice_booking(session, restaurant_id, request, stay.starts_at)
        if first is not None:
            return Booked(first, plan.timezone, deduplicated=True)
    if gate.code_taken:
        reservation.confirmation_code = _unused_code(session)
    reservation.starts_at, reservation.ends_at = stay.starts_at, stay.ends_at
    reservation.duration_minutes = stay.duration
    if not _seat(session, reservation):
        if not request.waitlist_if_full:
            raise Conflict(
                "No table is free for that party at that time.",
                "fully_booked",
                details={"waitlist_available": True},
            )
        _put_on_waitlist(reservation)
    session.add(reservation)
    session.flush()
    _queue_event(session, reservation, "created")
    return Booked(reservation, plan.timezone)


def amend_reservation(
    session: Session, reservation_id: str, changes: AmendRequest
) -> ReservationView:
    """Change a booking; a new time or party size is re-seated or the change is refused."""
    reservation = _locked_reservation(session, reservation_id)
    if reservation.status not in ("confirmed", "waitlisted"):
        raise Conflict(f"A {reservation.status} reservation cannot be changed.", "not_amendable")
    restaurant = get_restaurant(session, reservation.restaurant_id)
    for field in ("guest_name", "special_requests", "preferred_locale"):
        value = getattr(changes, field)
        if value is not None:
            setattr(reservation, field, value)
    if changes.guest_phone is not None:
        reservation.guest_phone_e164 = changes.guest_phone
    if changes.preorder is not None:
        _set_preorder(session, reservation, changes.preorder)
    if _slot_changed(changes):
        _move(session, restaurant, reservation, changes)
    session.flush()
    _queue_event(session, reservation, "changed")
    return full_view(session, reservation)


def cancel_reservation(
    session: Session, reservation_id: str, *, retention_offer_acknowledged: bool = False
) -> ReservationView:
    """Cancel; a large pre-order first hears a retention offer (409) and must acknowledge it."""
    reservation = _locked_reservation(session, reservation_id)
    if reservation.status == "cancelled":
        return full_view(session, reservation)
    if reservation.status == "completed":
        raise Conflict("A completed reservation cannot be cancelled.", "not_cancellable")
    if rules.needs_retention_step(reservation.total_cents) and not retention_offer_acknowledged:
        raise Conflict(
            "This booking has a large pre-order. Offer the guest to reschedule instead; "
            "cancel again with retention_offer_acknowledged set to confirm.",
            "premium_cancel_requires_retention_step",
            details={"total_cents": reservation.total_cents, "retention_offer": RETENTION_OFFER},
        )
    reservation.status = "cancelled"
    reservation.seating_status = "not_applicable"
    reservation.cancelled_at = get_clock().now()
    _release_and_promote(session, reservation)
    _queue_event(session, reservation, "cancelled")
    return full_view(session, reservation)


def set_status(
    session: Session,
    reservation_id: str,
    status: Literal["seated", "completed", "cancelled"],
    *,
    retention_offer_acknowledged: bool = False,
) -> ReservationView:
    """Seat, complete or cancel; completing frees the tables for the waitlist."""
    if status == "cancelled":
        return cancel_reservation(
            session, reservation_id, retention_offer_acknowledged=retention_offer_acknowledged
        )
    reservation = _locked_reservation(session, reservation_id)
    if reservation.status not in _STATUS_FROM[status]:
        raise Conflict(
            f"A {reservation.status} reservation cannot become {status}.", "invalid_transition"
        )
    reservation.status = status
    if status == "completed":
        reservation.seating_status = "not_applicable"
        _release_and_promote(session, reservation)
    session.flush()
    _queue_event(session, reservation, "changed")
    return full_view(session, reservation)


# View builders ----------------------------------------------------------------------------


def menu_item_view(item: MenuItem) -> MenuItemView:
    return MenuItemView(
        id=item.id,
        name=item.name,
        name_ko=item.name_ko,
        description=item.description,
        price_cents=item.price_cents,
        active=item.active,
    )


def full_view(session: Session, reservation: Reservation) -> ReservationView:
    return _full_view(reservation, _timezone(session, reservation))


def _full_view(reservation: Reservation, timezone: str) -> ReservationView:
    base = _view_fields(reservation, timezone)
    base.update(guest_name=reservation.guest_name, guest_phone=reservation.guest_phone_e164)
    return ReservationView(
        **base,
        id=reservation.id,
        special_requests=reservation.special_requests,
        source_channel=reservation.source_channel,
        created_at=rules.local(reservation.created_at, timezone),
        cancelled_at=(
            rules.local(reservation.cancelled_at, timezone) if reservation.cancelled_at else None
        ),
    )


def guest_view(session: Session, reservation: Reservation) -> GuestReservationView:
    base = _view_fields(reservation, _timezone(session, reservation))
    base.update(
        guest_name=rules.mask_name(reservation.guest_name),
        guest_phone=rules.mask_phone(reservation.guest_phone_e164),
    )
    return GuestReservationView(**base)


def _view_fields(reservation: Reservation, timezone: str) -> dict[str, Any]:
    return {
        "confirmation_code": reservation.confirmation_code,
        "status": reservation.status,
        "seating_status": reservation.seating_status,
        "starts_at": rules.local(reservation.starts_at, timezone),
        "ends_at": rules.local(reservation.ends_at, timezone),
        "duration_minutes": reservation.duration_minutes,
        "party_size": reservation.party_size,
        "tables": sorted(
            (TableView(label=h.table.label, capacity=h.table.capacity) for h in reservation.tables),
            key=lambda t: t.label,
        ),
        "preorder": [
            PreorderLineView(
                menu_item_id=line.menu_item_id,
                name=line.menu_item.name,
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
            )
            for line in sorted(reservation.preorder_lines, key=lambda line: line.menu_item_id)
        ],
        "food_subtotal_cents": reservation.food_subtotal_cents,
        "discount_cents": reservation.discount_cents,
        "total_cents": reservation.total_cents,
        "guest_priority": reservation.guest_priority,
        "preferred_locale": reservation.preferred_locale,
    }


def _timezone(session: Session, reservation: Reservation) -> str:
    return get_restaurant(session, reservation.restaurant_id).timezone


# Internals --------------------------------------------------------------------------------


def lock_restaurant(session: Session, restaurant_id: str) -> Restaurant:
    """Serialise every allocation of this restaurant for the rest of the transaction."""
    restaurant = session.scalar(
        select(Restaurant).where(Restaurant.id == restaurant_id).with_for_update()
    )
    if restaurant is None:
        raise NotFound(f"There is no restaurant {restaurant_id!r}.", "restaurant_not_found")
    return restaurant


def _locked_reservation(session: Session, reservation_id: str) -> Reservation:
    reservation = reservation_by_id(session, reservation_id)
    lock_restaurant(session, reservation.restaurant_id)
    session.refresh(reservation)
    return reservation


def _check_bookable(
    session: Session, restaurant: Restaurant, starts_at: datetime, ends_at: datetime
) -> None:
    plan = _Plan.of(restaurant)
    _check_times(plan, starts_at, ends_at)
    closure = session.execute(
        _CLOSURE,
        {"restaurant_id": restaurant.id, "day": rules.local(starts_at, plan.timezone).date()},
    ).one_or_none()
    if closure is not None:
        raise _closed_that_day(closure.reason)


def _closed_that_day(reason: str | None) -> Invalid:
    detail = f" ({reason})" if reason else ""
    return Invalid(f"The restaurant is closed that day{detail}.", "closed_that_day")


def _check_times(plan: _Plan, starts_at: datetime, ends_at: datetime) -> None:
    """The checks of a stay that need no database: ahead, on the grid, within opening hours."""
    if starts_at <= get_clock().now():
        raise StartInPast("That time has already passed.", "starts_in_past")
    if not rules.on_grid(starts_at, plan.timezone, plan.slot_minutes):
        raise Invalid(
            f"Bookings start on the {plan.slot_minutes}-minute grid (e.g. 19:00, 19:30).",
            "not_on_slot_grid",
        )
    if not rules.fits_opening_hours(plan.opening_hours, plan.timezone, starts_at, ends_at):
        raise Invalid("The stay must start and end within opening hours.", "outside_opening_hours")


def _booking_gate(
    session: Session, plan: _Plan, restaurant_id: str, stay: _Stay, code: str
) -> Row[bool, str, str | None, bool]:
    """Lock the restaurant; the row says if `plan` is current, the day closed, `code` taken."""
    gate = (
        session.connection()
        .execute(
            _BOOKING_GATE,
            {**plan.params(), "restaurant_id": restaurant_id, "day": stay.day, "code": code},
        )
        .one_or_none()
    )
    if gate is None:
        raise NotFound(f"There is no restaurant {restaurant_id!r}.", "restaurant_not_found")
    return gate


def _recent_voice_booking(
    session: Session, restaurant_id: str, request: BookingRequest, starts_at: datetime
) -> Reservation | None:
    since = get_clock().now() - timedelta(seconds=get_settings().voice_dedupe_window_s)
    return session.scalar(
        select(Reservation)
        .where(
            Reservation.restaurant_id == restaurant_id,
            Reservation.guest_phone_e164 == request.guest_phone,
            Reservation.starts_at == starts_at,
            Reservation.party_size == request.party_size,
            Reservation.source_channel == "voice",
            Reservation.status != "cancelled",
            Reservation.created_at >= since,
        )
        .order_by(Reservation.created_at)
        .limit(1)
        .options(*_VIEW_LOADS)
    )


def _unused_code(session: Session) -> str:
    for _ in range(20):
        code = rules.new_confirmation_code()
        taken = session.scalar(select(exists().where(Reservation.confirmation_code == code)))
        if not taken:
            return code
    raise Conflict("Could not find a free confirmation code; try again.", "code_exhausted")


def _set_preorder(
    session: Session, reservation: Reservation, items: Sequence[PreorderItem]
) -> None:
    quantities: dict[str, int] = {}
    for item in items:
        quantities[item.menu_item_id] = quantities.get(item.menu_item_id, 0) + item.quantity
    menu = (
        {
            m.id: m
            for m in session.scalars(
                select(MenuItem).where(
                    MenuItem.restaurant_id == reservation.restaurant_id,
                    MenuItem.id.in_(quantities),
                    MenuItem.active.is_(True),
                )
            )
        }
        if quantities
        else {}
    )
    unknown = sorted(set(quantities) - set(menu))
    if unknown:
        raise Invalid(
            f"Not on the menu: {', '.join(unknown)}.", "unknown_menu_item", details=unknown
        )
    reservation.preorder_lines = [
        PreorderLine(
            menu_item_id=item_id,
            menu_item=menu[item_id],
            quantity=quantity,
            unit_price_cents=menu[item_id].price_cents,
        )
        for item_id, quantity in sorted(quantities.items())
    ]
    totals = rules.preorder_totals(
        [(line.unit_price_cents, line.quantity) for line in reservation.preorder_lines]
    )
    reservation.food_subtotal_cents = totals.subtotal_cents
    reservation.discount_cents = totals.discount_cents
    reservation.total_cents = totals.total_cents
    reservation.guest_priority = rules.guest_priority(totals.total_cents)


@dataclass(frozen=True)
class _Plan:
    """The restaurant settings availability needs.

    Staff change them rarely (`set_hours`) while every availability answer needs them, so
    each process keeps a copy; the one availability query also compares the copy with the
    row, and an answer made from a copy that is no longer current is made again from a fresh
    one, never returned.
    """

    timezone: str
    opening_hours: rules.OpeningHours
    slot_minutes: int
    default_duration_minutes: int

    def params(self) -> dict[str, Any]:
        """The settings as `_PLAN_CURRENT`'s parameters (not `asdict`: no deep copy per call)."""
        return {
            "timezone": self.timezone,
            "opening_hours": self.opening_hours,
            "slot_minutes": self.slot_minutes,
            "default_duration_minutes": self.default_duration_minutes,
        }

    @classmethod
    def of(cls, restaurant: Restaurant) -> _Plan:
        return cls(
            restaurant.timezone,
            restaurant.opening_hours,
            restaurant.slot_minutes,
            restaurant.default_duration_minutes,
        )


@dataclass(frozen=True)
class _Stay:
    """A requested booking's stay in UTC and its local day, checked against the settings."""

    starts_at: datetime
    ends_at: datetime
    duration: int
    day: date

    @classmethod
    def of(cls, plan: _Plan, request: BookingRequest) -> _Stay:
        starts_at = rules.to_utc(request.starts_at, plan.timezone)
        duration = request.duration_minutes or plan.default_duration_minutes
        ends_at = starts_at + timedelta(minutes=duration)
        _check_times(plan, starts_at, ends_at)
        return cls(starts_at, ends_at, duration, rules.local(starts_at, plan.timezone).date())


@dataclass(frozen=True)
class _DayFloor:
    """One local day of a restaurant: its closure, its active tables and their holds."""

    current: bool
    duration: int
    starts: list[datetime]
    closed: bool
    closure_reason: str | None
    tables: list[rules.TableInfo]
    holds: list[tuple[str, datetime, datetime]]


def _plan(session: Session, restaurant_id: str, *, refresh: bool = False) -> _Plan:
    plans = _plans.setdefault(session.get_bind(), {})
    plan = None if refresh else plans.get(restaurant_id)
    if plan is None:
        row = session.execute(_PLAN, {"restaurant_id": restaurant_id}).one_or_none()
        if row is None:
            raise NotFound(f"There is no restaurant {restaurant_id!r}.", "restaurant_not_found")
        plan = plans[restaurant_id] = _Plan(*row)
    return plan


def _day_floor(
    session: Session, plan: _Plan, restaurant_id: str, day: date, duration_minutes: int | None
) -> _DayFloor:
    """The grid starts of `day` still ahead, and in one query what decides which are free."""
    duration = duration_minutes or plan.default_duration_minutes
    now = get_clock().now()
    starts = [
        s
        for s in rules.slot_starts(
            plan.opening_hours, day, plan.timezone, plan.slot_minutes, duration
        )
        if s > now
    ]
    window_end = starts[-1] + timedelta(minutes=duration) if starts else now
    rows = (
        session.connection()
        .execute(
            _DAY,
            {
                **plan.params(),
                "restaurant_id": restaurant_id,
                "day": day,
                "start": starts[0] if starts else now,
                "end": window_end,
            },
        )
        .all()
    )
    tables: dict[str, rules.TableInfo] = {}
    holds = []
    for row in rows:
        if row.id is not None and row.id not in tables:
            tables[row.id] = rules.TableInfo(row.id, row.label, row.capacity)
        if row.starts_at is not None:
            holds.append((row.id, row.starts_at, row.ends_at))
    return _DayFloor(
        current=bool(rows) and rows[0].current,
        duration=duration,
        starts=starts,
        closed=bool(rows) and rows[0].closure_id is not None,
        closure_reason=rows[0].reason if rows else None,
        tables=list(tables.values()),
        holds=holds,
    )


def _seat(session: Session, reservation: Reservation) -> bool:
    """Give the reservation free tables for its stay; False when none fit."""
    free = session.scalars(
        _FREE_TABLES,
        {
            "restaurant_id": reservation.restaurant_id,
            "start": reservation.starts_at,
            "end": reservation.ends_at,
        },
    ).all()
    by_id = {t.id: t for t in free}
    chosen = rules.choose_tables(
        (rules.TableInfo(t.id, t.label, t.capacity) for t in free), reservation.party_size
    )
    if chosen is None:
        return False
    reservation.tables = [
        ReservationTable(
            table=by_id[t.id], starts_at=reservation.starts_at, ends_at=reservation.ends_at
        )
        for t in chosen
    ]
    reservation.status = "confirmed"
    reservation.seating_status = "allocated"
    return True


def _put_on_waitlist(reservation: Reservation) -> None:
    reservation.tables = []
    reservation.status = "waitlisted"
    reservation.seating_status = "waitlist"


def _slot_changed(changes: AmendRequest) -> bool:
    return any(
        value is not None
        for value in (changes.starts_at, changes.party_size, changes.duration_minutes)
    )


def _move(
    session: Session, restaurant: Restaurant, reservation: Reservation, changes: AmendRequest
) -> None:
    old_start, old_end = reservation.starts_at, reservation.ends_at
    if changes.starts_at is not None:
        reservation.starts_at = rules.to_utc(changes.starts_at, restaurant.timezone)
    if changes.duration_minutes is not None:
        reservation.duration_minutes = changes.duration_minutes
    if changes.party_size is not None:
        reservation.party_size = changes.party_size
    reservation.ends_at = reservation.starts_at + timedelta(minutes=reservation.duration_minutes)
    _check_bookable(session, restaurant, reservation.starts_at, reservation.ends_at)
    was_waitlisted = reservation.status == "waitlisted"
    reservation.tables = []
    session.flush()
    if not _seat(session, reservation):
        if not was_waitlisted:
            raise Conflict(
                "No table is free for that change; the booking is unchanged.", "fully_booked"
            )
        _put_on_waitlist(reservation)
    session.flush()
    if not was_waitlisted:
        _promote_waitlist(session, reservation.restaurant_id, old_start, old_end)


def _release_and_promote(session: Session, reservation: Reservation) -> None:
    reservation.tables = []
    session.flush()
    _promote_waitlist(
        session, reservation.restaurant_id, reservation.starts_at, reservation.ends_at
    )


def _promote_waitlist(session: Session, restaurant_id: str, start: datetime, end: datetime) -> None:
    """Seat waitlisted guests overlapping a freed stay: VIPs first, then first come."""
    waiting = session.scalars(
        select(Reservation)
        .where(
            Reservation.restaurant_id == restaurant_id,
            Reservation.status == "waitlisted",
            Reservation.starts_at < end,
            Reservation.ends_at > start,
            Reservation.starts_at > get_clock().now(),
        )
        .order_by(case((Reservation.guest_priority == "vip", 0), else_=1), Reservation.created_at)
    ).all()
    for reservation in waiting:
        if _seat(session, reservation):
            session.flush()
            _queue_event(session, reservation, "waitlist_promoted")


def _upcoming_for_phone(session: Session, phone: str) -> list[Reservation]:
    return list(
        session.scalars(
            select(Reservation)
            .where(
                Reservation.guest_phone_e164 == phone,
                Reservation.status.in_(ACTIVE_STATUSES),
                Reservation.ends_at > get_clock().now(),
            )
            .order_by(Reservation.starts_at)
        )
    )


def _same_name_key(name: str) -> str:
    return " ".join(name.casefold().split())


# Events -----------------------------------------------------------------------------------


def _queue_event(session: Session, reservation: Reservation, kind: str) -> None:
    """Publish after the commit, so a rolled-back change never tells the guest anything.

    Only the values are taken now; the event is built after the commit, outside the
    restaurant's lock (and its schemas load then, on the first write: reads never need them).
    """
    pending: list[dict[str, Any]] | None = session.info.get(_PENDING_EVENTS)
    if pending is None:
        pending = session.info[_PENDING_EVENTS] = []
        event.listen(session, "after_commit", _publish_pending)
        event.listen(session, "after_rollback", _drop_pending)
    pending.append(
        {
            "kind": kind,
            "reservation_id": reservation.id,
            "confirmation_code": reservation.confirmation_code,
            "guest_phone_e164": reservation.guest_phone_e164,
            "guest_name": reservation.guest_name,
            "starts_at": reservation.starts_at.astimezone(UTC),
            "party_size": reservation.party_size,
            "status": reservation.status,
            "locale": reservation.preferred_locale,
        }
    )


def _publish_pending(session: Session) -> None:
    from convonet.events import ReservationEvent, get_event_bus

    pending: list[dict[str, Any]] = session.info.get(_PENDING_EVENTS) or []
    events, pending[:] = list(pending), []
    for fields in events:
        try:
            reservation_event = ReservationEvent(**fields)
            get_event_bus().publish(
                ReservationEvent.TOPIC,
                reservation_event,
                ordering_key=reservation_event.reservation_id,
            )
        except Exception:
            log.exception("could not publish %s", fields["kind"])


def _drop_pending(session: Session) -> None:
    pending: list[dict[str, Any]] = session.info.get(_PENDING_EVENTS) or []
    pending.clear()
