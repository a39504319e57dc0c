"""Hanok: the restaurant, its tables, closures, menu, reservations and pre-orders.

Each allocated table gets a `ReservationTable` row carrying a copy of the reservation's
slot, so "is table T free from A to B" is one indexed query (table_id, starts_at, ends_at)
instead of a join through reservations.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convonet.db.models.base import (
    Base,
    JSONDocument,
    Timestamps,
    UUIDPrimaryKey,
    str_enum,
    user_fk,
)

HANOK_ID = "hanok"
# Keys of `Restaurant.opening_hours`, indexed by `date.weekday()` (Monday = 0).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RESERVATION_STATUSES = ("confirmed", "waitlisted", "seated", "completed", "cancelled")
SEATING_STATUSES = ("allocated", "waitlist", "not_applicable")
SOURCE_CHANNELS = ("online", "voice", "api")
GUEST_LOCALES = ("en", "ko")
GUEST_PRIORITIES = ("normal", "vip")


class Restaurant(Timestamps, Base):
    __tablename__ = "restaurants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    phone_e164: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(300))
    # {"mon": [["11:30", "22:00"]], ...}: local wall-clock intervals; a missing or empty day
    # is closed. Several intervals allow a lunch/dinner split.
    opening_hours: Mapped[dict[str, list[list[str]]]] = mapped_column(JSONDocument(), default=dict)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30)
    default_duration_minutes: Mapped[int] = mapped_column(Integer, default=120)

    tables: Mapped[list[DiningTable]] = relationship(order_by="DiningTable.label")
    menu_items: Mapped[list[MenuItem]] = relationship()


class DiningTable(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "dining_tables"
    __table_args__ = (UniqueConstraint("restaurant_id", "label"),)

    restaurant_id: Mapped[str] = mapped_column(ForeignKey("restaurants.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(32))
    capacity: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class RestaurantClosure(UUIDPrimaryKey, Timestamps, Base):
    """A whole local day the restaurant is closed (holidays, private events)."""

    __tablename__ = "restaurant_closures"
    __table_args__ = (UniqueConstraint("restaurant_id", "date"),)

    restaurant_id: Mapped[str] = mapped_column(ForeignKey("restaurants.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(300))


class MenuItem(Timestamps, Base):
    __tablename__ = "menu_items"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    restaurant_id: Mapped[str] = mapped_column(
        ForeignKey("restaurants.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    name_ko: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    price_cents: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Reservation(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "reservations"
    __table_args__ = (
        Index(None, "restaurant_id", "starts_at"),
        Index(None, "guest_phone_e164", "starts_at"),
        Index(None, "status", "seating_status", "starts_at"),
    )

    restaurant_id: Mapped[str] = mapped_column(
        ForeignKey("restaurants.id", ondelete="RESTRICT"), default=HANOK_ID
    )
    confirmation_code: Mapped[str] = mapped_column(String(16), unique=True)
    guest_name: Mapped[str] = mapped_column(String(255))
    guest_phone_e164: Mapped[str] = mapped_column(String(16))
    party_size: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    duration_minutes: Mapped[int] = mapped_column(Integer, default=120)
    status: Mapped[str] = mapped_column(
        str_enum("reservation_status", *RESERVATION_STATUSES), default="confirmed"
    )
    seating_status: Mapped[str] = mapped_column(
        str_enum("seating_status", *SEATING_STATUSES), default="not_applicable"
    )
    special_requests: Mapped[str | None] = mapped_column(Text)
    source_channel: Mapped[str] = mapped_column(
        str_enum("source_channel", *SOURCE_CHANNELS), default="online"
    )
    preferred_locale: Mapped[str] = mapped_column(
        str_enum("guest_locale", *GUEST_LOCALES), default="en"
    )
    food_subtotal_cents: Mapped[int] = mapped_column(Integer, default=0)
    discount_cents: Mapped[int] = mapped_column(Integer, default=0)
    total_cents: Mapped[int] = mapped_column(Integer, default=0)
    guest_priority: Mapped[str] = mapped_column(
        str_enum("guest_priority", *GUEST_PRIORITIES), default="normal"
    )
    user_id: Mapped[str | None] = mapped_column(user_fk("SET NULL"), index=True)
    cancelled_at: Mapped[dt.datetime | None]

    tables: Mapped[list[ReservationTable]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    preorder_lines: Mapped[list[PreorderLine]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class ReservationTable(UUIDPrimaryKey, Base):
    __tablename__ = "reservation_tables"
    __table_args__ = (
        UniqueConstraint("reservation_id", "table_id"),
        Index(None, "table_id", "starts_at", "ends_at"),
    )

    reservation_id: Mapped[str] = mapped_column(ForeignKey("reservations.id", ondelete="CASCADE"))
    table_id: Mapped[str] = mapped_column(ForeignKey("dining_tables.id", ondelete="RESTRICT"))
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]

    table: Mapped[DiningTable] = relationship()


class PreorderLine(UUIDPrimaryKey, Base):
    __tablename__ = "preorder_lines"
    __table_args__ = (UniqueConstraint("reservation_id", "menu_item_id"),)

    reservation_id: Mapped[str] = mapped_column(ForeignKey("reservations.id", ondelete="CASCADE"))
    menu_item_id: Mapped[str] = mapped_column(
        ForeignKey("menu_items.id", ondelete="RESTRICT"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    # The price when ordered, so later menu changes leave past bookings' totals alone.
    unit_price_cents: Mapped[int] = mapped_column(Integer)

    menu_item: Mapped[MenuItem] = relationship()
