"""Staff editing of Hanok: the menu, the table inventory, opening hours and closures.

Inventory and hours changes lock the restaurant row like bookings do, so a table is never
retired or the hours never shortened halfway through an allocation.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from convonet.clock import get_clock
from convonet.db.models import DiningTable, MenuItem, ReservationTable, RestaurantClosure
from convonet.db.models.restaurant import HANOK_ID
from convonet.domain import restaurant_rules as rules
from convonet.domain.errors import Conflict, Invalid, NotFound
from convonet.domain.reservations import (
    MenuItemView,
    get_restaurant,
    lock_restaurant,
    menu_item_view,
)
from convonet.domain.schema import Schema

_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"{value!r} is not an IANA time zone") from None
    return value


def _hours(value: rules.OpeningHours) -> rules.OpeningHours:
    return rules.validate_opening_hours(value)


Clean = AfterValidator(rules.clean_text)
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200), Clean]
LongText = Annotated[str, StringConstraints(max_length=2000), Clean]
HhMm = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")]
Interval = Annotated[list[HhMm], Field(min_length=2, max_length=2)]


class MenuItemInput(Schema):
    model_config = ConfigDict(extra="forbid")

    name: ShortText
    name_ko: ShortText | None = None
    description: LongText | None = None
    price_cents: int = Field(ge=0, le=10_000_000)
    active: bool = True
    sort_order: int = Field(default=0, ge=0, le=10_000)


class TableInput(Schema):
    model_config = ConfigDict(extra="forbid")

    capacity: int = Field(ge=1, le=50)
    is_active: bool = True


class TableAdminView(Schema):
    label: str
    capacity: int
    is_active: bool


class HoursInput(Schema):
    """Weekly opening hours in local wall time; a missing or empty day is closed."""

    model_config = ConfigDict(extra="forbid")

    opening_hours: Annotated[dict[str, list[Interval]], AfterValidator(_hours)]
    timezone: Annotated[str, StringConstraints(max_length=64), AfterValidator(_zone)] | None = None
    slot_minutes: Annotated[int, Field(ge=5, le=120)] | None = None
    default_duration_minutes: (
        Annotated[int, Field(ge=rules.DURATION_MIN, le=rules.DURATION_MAX)] | None
    ) = None


class HoursView(Schema):
    timezone: str
    opening_hours: rules.OpeningHours
    slot_minutes: int
    default_duration_minutes: int


class ClosureInput(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(max_length=300), Clean] | None = None


class ClosureView(Schema):
    date: date
    reason: str | None


def put_menu_item(
    session: Session, item_id: str, data: MenuItemInput, restaurant_id: str = HANOK_ID
) -> MenuItemView:
    """Create or replace a menu item; prices of existing pre-orders stay as ordered."""
    get_restaurant(session, restaurant_id)
    item = session.get(MenuItem, item_id)
    if item is not None and item.restaurant_id != restaurant_id:
        raise Conflict("That menu id belongs to another restaurant.", "menu_id_taken")
    if item is None:
        item = MenuItem(id=item_id, restaurant_id=restaurant_id)
        session.add(item)
    for field, value in data.model_dump().items():
        setattr(item, field, value)
    session.flush()
    return menu_item_view(item)


def retire_menu_item(session: Session, item_id: str, restaurant_id: str = HANOK_ID) -> None:
    """Take an item off the menu (kept, since past pre-orders refer to it)."""
    item = session.get(MenuItem, item_id)
    if item is None or item.restaurant_id != restaurant_id:
        raise NotFound("No menu item has that id.", "menu_item_not_found")
    item.active = False


def list_tables(session: Session, restaurant_id: str = HANOK_ID) -> list[TableAdminView]:
    get_restaurant(session, restaurant_id)
    tables = session.scalars(
        select(DiningTable)
        .where(DiningTable.restaurant_id == restaurant_id)
        .order_by(DiningTable.capacity, DiningTable.label)
    )
    return [_table_view(t) for t in tables]


def put_table(
    session: Session, label: str, data: TableInput, restaurant_id: str = HANOK_ID
) -> TableAdminView:
    """Add or change a table. Shrinking or retiring one that future guests hold is refused."""
    lock_restaurant(session, restaurant_id)
    table = _find_table(session, restaurant_id, label)
    if table is None:
        table = DiningTable(restaurant_id=restaurant_id, label=label)
        session.add(table)
    elif (data.capacity < table.capacity or not data.is_active) and _held_in_future(session, table):
        raise Conflict(
            f"Table {label} is allocated to upcoming reservations; move them first.", "table_in_use"
        )
    table.capacity = data.capacity
    table.is_active = data.is_active
    session.flush()
    return _table_view(table)


def retire_table(session: Session, label: str, restaurant_id: str = HANOK_ID) -> None:
    lock_restaurant(session, restaurant_id)
    table = _table(session, restaurant_id, label)
    if _held_in_future(session, table):
        raise Conflict(
            f"Table {label} is allocated to upcoming reservations; move them first.", "table_in_use"
        )
    table.is_active = False


def get_hours(session: Session, restaurant_id: str = HANOK_ID) -> HoursView:
    restaurant = get_restaurant(session, restaurant_id)
    return HoursView(
        timezone=restaurant.timezone,
        opening_hours=rules.validate_opening_hours(restaurant.opening_hours),
        slot_minutes=restaurant.slot_minutes,
        default_duration_minutes=restaurant.default_duration_minutes,
    )


def set_hours(session: Session, data: HoursInput, restaurant_id: str = HANOK_ID) -> HoursView:
    """Replace the weekly hours (and optionally the zone, grid and default stay).

    Existing bookings keep their times; new bookings follow the new hours.
    """
    restaurant = lock_restaurant(session, restaurant_id)
    restaurant.opening_hours = data.opening_hours
    if data.timezone is not None:
        restaurant.timezone = data.timezone
    if data.slot_minutes is not None:
        restaurant.slot_minutes = data.slot_minutes
    if data.default_duration_minutes is not None:
        restaurant.default_duration_minutes = data.default_duration_minutes
    session.flush()
    return get_hours(session, restaurant_id)


def list_closures(session: Session, restaurant_id: str = HANOK_ID) -> list[ClosureView]:
    """Closures from today (restaurant time) on."""
    restaurant = get_restaurant(session, restaurant_id)
    today = rules.local(get_clock().now(), restaurant.timezone).date()
    closures = session.scalars(
        select(RestaurantClosure)
        .where(RestaurantClosure.restaurant_id == restaurant_id, RestaurantClosure.date >= today)
        .order_by(RestaurantClosure.date)
    )
    return [ClosureView(date=c.date, reason=c.reason) for c in closures]


def put_closure(
    session: Session, day: date, data: ClosureInput, restaurant_id: str = HANOK_ID
) -> ClosureView:
    """Close a whole local day. Bookings already made for it stay for staff to handle."""
    lock_restaurant(session, restaurant_id)
    closure = session.scalar(
        select(RestaurantClosure).where(
            RestaurantClosure.restaurant_id == restaurant_id, RestaurantClosure.date == day
        )
    )
    if closure is None:
        closure = RestaurantClosure(restaurant_id=restaurant_id, date=day)
        session.add(closure)
    closure.reason = data.reason
    session.flush()
    return ClosureView(date=closure.date, reason=closure.reason)


def remove_closure(session: Session, day: date, restaurant_id: str = HANOK_ID) -> None:
    closure = session.scalar(
        select(RestaurantClosure).where(
            RestaurantClosure.restaurant_id == restaurant_id, RestaurantClosure.date == day
        )
    )
    if closure is None:
        raise NotFound("The restaurant is not closed that day.", "closure_not_found")
    session.delete(closure)


def _find_table(session: Session, restaurant_id: str, label: str) -> DiningTable | None:
    return session.scalar(
        select(DiningTable).where(
            DiningTable.restaurant_id == restaurant_id, DiningTable.label == label
        )
    )


def _table(session: Session, restaurant_id: str, label: str) -> DiningTable:
    table = _find_table(session, restaurant_id, label)
    if table is None:
        raise NotFound(f"There is no table {label}.", "table_not_found")
    return table


def _held_in_future(session: Session, table: DiningTable) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    ReservationTable.table_id == table.id,
                    ReservationTable.ends_at > get_clock().now(),
                )
            )
        )
    )


def _table_view(table: DiningTable) -> TableAdminView:
    return TableAdminView(label=table.label, capacity=table.capacity, is_active=table.is_active)


def validate_label(label: str) -> str:
    """Path labels are checked like body fields (422, not a database error)."""
    if not _LABEL.fullmatch(label):
        raise Invalid("A table label is 1-32 letters, digits, - or _.", "invalid_label")
    return label
