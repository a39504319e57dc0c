"""Hanok's booking rules that need no database: time, opening hours, tables, money, codes.

Kept pure so each rule is unit-tested on its own; `convonet.domain.reservations` applies them
inside a transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

from convonet.db.models.restaurant import WEEKDAYS

PARTY_MIN, PARTY_MAX = 1, 20
DURATION_MIN, DURATION_MAX = 30, 480
PREORDER_DISCOUNT_PERCENT = 7
VIP_FOOD_TOTAL_CENTS = 50_000
PREMIUM_CANCEL_CENTS = 30_000
CODE_PREFIX = "HNK-"
# No 0/O, 1/I/L: a code is read aloud on the phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 4

OpeningHours = dict[str, list[list[str]]]


@dataclass(frozen=True)
class TableInfo:
    id: str
    label: str
    capacity: int


@dataclass(frozen=True)
class Totals:
    subtotal_cents: int
    discount_cents: int
    total_cents: int


def clean_text(value: str) -> str:
    """Refuse control characters (PostgreSQL rejects NUL; none belong in a booking)."""
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise ValueError("control characters are not allowed")
    return value


def new_confirmation_code() -> str:
    return CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def to_utc(starts_at: datetime, timezone: str) -> datetime:
    """An aware time as given; a naive one is the restaurant's wall time."""
    if starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=ZoneInfo(timezone))
    return starts_at.astimezone(UTC)


def local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


def parse_hhmm(value: str) -> time:
    hours, _, minutes = value.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"{value!r} is not HH:MM")
    if hours == "24" and minutes == "00":
        return time.max
    return time(int(hours), int(minutes))


def validate_opening_hours(hours: OpeningHours) -> OpeningHours:
    """Each day a sorted list of non-overlapping [open, close] intervals within the day."""
    unknown = set(hours) - set(WEEKDAYS)
    if unknown:
        raise ValueError(f"unknown days {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
    cleaned: OpeningHours = {}
    for day in WEEKDAYS:
        intervals = sorted(hours.get(day, []), key=lambda pair: parse_hhmm(pair[0]))
        for pair in intervals:
            if len(pair) != 2 or parse_hhmm(pair[0]) >= parse_hhmm(pair[1]):
                raise ValueError(f"{day}: {pair} must be [open, close] with open before close")
        for before, after in zip(intervals, intervals[1:], strict=False):
            if parse_hhmm(after[0]) < parse_hhmm(before[1]):
                raise ValueError(f"{day}: intervals {before} and {after} overlap")
        cleaned[day] = [list(pair) for pair in intervals]
    return cleaned


def opening_intervals(
    hours: OpeningHours, day: date, timezone: str
) -> list[tuple[datetime, datetime]]:
    """The day's opening intervals as aware local datetimes (DST handled by the zone)."""
    zone = ZoneInfo(timezone)
    result = []
    for start, end in hours.get(WEEKDAYS[day.weekday()], []):
        opens = datetime.combine(day, parse_hhmm(start), zone)
        close_time = parse_hhmm(end)
        if close_time == time.max:
            closes = datetime.combine(day + timedelta(days=1), time(0), zone)
        else:
            closes = datetime.combine(day, close_time, zone)
        result.append((opens, closes))
    return result


def fits_opening_hours(
    hours: OpeningHours, timezone: str, starts_at: datetime, ends_at: datetime
) -> bool:
    """True when the whole stay lies inside one opening interval of its local day."""
    day = local(starts_at, timezone).date()
    return any(
        opens <= starts_at and ends_at <= closes
        for opens, closes in opening_intervals(hours, day, timezone)
    )


def on_grid(starts_at: datetime, timezone: str, slot_minutes: int) -> bool:
    wall = local(starts_at, timezone)
    return wall.second == 0 and wall.microsecond == 0 and wall.minute % slot_minutes == 0


def slot_starts(
    hours: OpeningHours, day: date, timezone: str, slot_minutes: int, duration_minutes: int
) -> list[datetime]:
    """Every grid start on `day` whose whole stay fits an opening interval."""
    step, stay = timedelta(minutes=slot_minutes), timedelta(minutes=duration_minutes)
    starts = []
    for opens, closes in opening_intervals(hours, day, timezone):
        first = opens
        while not on_grid(first, timezone, slot_minutes):
            first += timedelta(minutes=1)
        moment = first
        while moment + stay <= closes:
            starts.append(moment)
            moment += step
    return starts


def choose_tables(free: Iterable[TableInfo], party_size: int) -> list[TableInfo] | None:
    """The smallest single table that seats the party, else the pair wasting fewest seats."""
    tables = sorted(free, key=lambda t: (t.capacity, t.label))
    for table in tables:
        if table.capacity >= party_size:
            return [table]
    pairs = [p for p in combinations(tables, 2) if sum(t.capacity for t in p) >= party_size]
    if not pairs:
        return None
    best = min(
        pairs,
        key=lambda p: (sum(t.capacity for t in p), max(t.capacity for t in p), p[0].label),
    )
    return list(best)


def preorder_totals(lines: Sequence[tuple[int, int]]) -> Totals:
    """Totals of (unit price cents, quantity) lines with the pre-order discount (half up)."""
    subtotal = sum(price * quantity for price, quantity in lines)
    discount = (subtotal * PREORDER_DISCOUNT_PERCENT + 50) // 100
    return Totals(subtotal, discount, subtotal - discount)


def guest_priority(food_total_cents: int) -> str:
    return "vip" if food_total_cents >= VIP_FOOD_TOTAL_CENTS else "normal"


def needs_retention_step(food_total_cents: int) -> bool:
    return food_total_cents >= PREMIUM_CANCEL_CENTS


def mask_phone(phone_e164: str) -> str:
    return "•" * max(0, len(phone_e164) - 4) + phone_e164[-4:]


def mask_name(name: str) -> str:
    """'Jiwoo Kim' -> 'Jiwoo K.': enough for a guest to recognise their booking."""
    parts = name.split()
    if len(parts) < 2:
        return parts[0] if parts else ""
    return f"{parts[0]} {parts[-1][0]}."
