"""Hanok's pure booking rules: time zones, opening hours, table choice, money, codes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from convonet.domain import restaurant_rules as rules
from convonet.domain.restaurant_rules import TableInfo

LA = "America/Los_Angeles"
HOURS = {day: [["11:30", "22:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
INVENTORY = [
    TableInfo(f"id-{cap}-{n}", f"T{cap}-{n}", cap)
    for cap, count in {4: 2, 6: 3, 8: 3, 10: 2}.items()
    for n in range(1, count + 1)
]


def labels(tables: list[TableInfo] | None) -> list[str] | None:
    return None if tables is None else [t.label for t in tables]


def test_naive_is_wall_time_and_aware_is_kept() -> None:
    winter = rules.to_utc(datetime(2026, 1, 10, 19, 0), LA)
    summer = rules.to_utc(datetime(2026, 7, 10, 19, 0), LA)
    assert winter == datetime(2026, 1, 11, 3, 0, tzinfo=UTC)
    assert summer == datetime(2026, 7, 11, 2, 0, tzinfo=UTC)
    aware = datetime.fromisoformat("2026-01-10T19:00:00+09:00")
    assert rules.to_utc(aware, LA) == datetime(2026, 1, 10, 10, 0, tzinfo=UTC)
    assert rules.local(winter, LA).isoformat() == "2026-01-10T19:00:00-08:00"


def test_slots_fill_the_opening_hours_on_the_grid() -> None:
    starts = rules.slot_starts(HOURS, date(2026, 1, 10), LA, 30, 120)
    assert [s.strftime("%H:%M") for s in (starts[0], starts[-1])] == ["11:30", "20:00"]
    assert len(starts) == 18
    split = {"sat": [["11:30", "14:00"], ["17:00", "22:00"]]}
    lunch_dinner = rules.slot_starts(split, date(2026, 1, 10), LA, 30, 90)
    assert " ".join(s.strftime("%H:%M") for s in lunch_dinner) == (
        "11:30 12:00 12:30 17:00 17:30 18:00 18:30 19:00 19:30 20:00 20:30"
    )
    assert rules.slot_starts(split, date(2026, 1, 11), LA, 30, 90) == []


def test_stay_must_fit_one_interval() -> None:
    def fits(start: str, minutes: int) -> bool:
        begin = rules.to_utc(datetime.fromisoformat(f"2026-01-10T{start}"), LA)
        return rules.fits_opening_hours(HOURS, LA, begin, begin + timedelta(minutes=minutes))

    assert fits("11:30", 120) and fits("20:00", 120) and fits("21:30", 30)
    assert not fits("11:00", 60) and not fits("20:30", 120) and not fits("21:30", 60)


def test_late_closing_and_dst_days() -> None:
    late = {"fri": [["18:00", "24:00"]]}
    starts = rules.slot_starts(late, date(2026, 3, 6), LA, 30, 120)
    assert starts[-1].strftime("%H:%M") == "22:00"
    spring_forward = rules.slot_starts(HOURS, date(2026, 3, 8), LA, 30, 120)
    assert spring_forward[0].utcoffset() == spring_forward[-1].utcoffset()
    assert rules.on_grid(rules.to_utc(datetime(2026, 3, 8, 12, 30), LA), LA, 30)
    assert not rules.on_grid(rules.to_utc(datetime(2026, 3, 8, 12, 45), LA), LA, 30)


def test_opening_hours_are_validated() -> None:
    assert rules.validate_opening_hours({"mon": [["17:00", "22:00"], ["11:30", "14:00"]]})[
        "mon"
    ] == [["11:30", "14:00"], ["17:00", "22:00"]]
    bad_hours = [
        {"funday": []},
        {"mon": [["22:00", "11:00"]]},
        {"mon": [["11:00", "15:00"], ["14:00", "20:00"]]},
        {"mon": [["9am", "5pm"]]},
    ]
    for bad in bad_hours:
        with pytest.raises(ValueError):
            rules.validate_opening_hours(bad)


@pytest.mark.parametrize(
    ("party", "taken", "expected"),
    [
        (1, [], ["T4-1"]),
        (4, [], ["T4-1"]),
        (5, [], ["T6-1"]),
        (9, [], ["T10-1"]),
        (4, ["T4-1", "T4-2"], ["T6-1"]),
        (12, [], ["T6-1", "T6-2"]),
        (20, [], ["T10-1", "T10-2"]),
        (10, ["T10-1", "T10-2"], ["T4-1", "T6-1"]),
        (12, ["T6-1", "T6-2", "T6-3"], ["T4-1", "T8-1"]),
        (21, [], None),
    ],
)
def test_smallest_table_then_least_wasteful_pair(
    party: int, taken: list[str], expected: list[str] | None
) -> None:
    free = [t for t in INVENTORY if t.label not in taken]
    assert labels(rules.choose_tables(free, party)) == expected


def test_preorder_discount_vip_and_retention_thresholds() -> None:
    totals = rules.preorder_totals([(2400, 2), (2200, 1)])
    assert (totals.subtotal_cents, totals.discount_cents, totals.total_cents) == (7000, 490, 6510)
    assert rules.preorder_totals([(1850, 1)]).discount_cents == 130  # 129.5 rounds half up
    assert rules.preorder_totals([]).total_cents == 0
    assert rules.guest_priority(49_999) == "normal" and rules.guest_priority(50_000) == "vip"
    assert not rules.needs_retention_step(29_999) and rules.needs_retention_step(30_000)


def test_codes_and_masks() -> None:
    codes = {rules.new_confirmation_code() for _ in range(200)}
    assert all(re.fullmatch(r"HNK-[A-HJKMNP-Z2-9]{4}", c) for c in codes) and len(codes) > 190
    assert rules.mask_phone("+14155550111") == "••••••••0111"
    assert rules.mask_name("Jiwoo  Kim") == "Jiwoo K." and rules.mask_name("Cher") == "Cher"
    with pytest.raises(ValueError):
        rules.clean_text("a\x00b")
