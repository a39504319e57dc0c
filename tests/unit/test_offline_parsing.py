"""Slot extraction for the offline model: examples for each kind of slot, and properties over
arbitrary text (never raises; every date and time it returns is a real one; relative dates are
counted from the `today` it is given)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from convonet.llm import offline_parsing as p
from hypothesis import given, settings
from hypothesis import strategies as st

MONDAY = date(2026, 1, 5)


@pytest.mark.parametrize(
    ("said", "normalised"),
    [
        ("A party of six", "a party of 6"),
        ("Seven thirty PM", "7 30 pm"),
        ("three thousand two hundred dollars", "3200 dollars"),
        ("twenty-five people", "25 people"),
        ("December twenty second", "december 22nd"),
        ("the third of March", "the 3rd of march"),
        ("$3,200 a month, please.", "$3,200 a month please"),
        ("It's at 7pm!", "it's at 7 pm"),
        ("four one five", "4 1 5"),
    ],
)
def test_normalise(said: str, normalised: str) -> None:
    assert p.normalise(said) == normalised


@pytest.mark.parametrize(
    ("said", "day"),
    [
        ("today", MONDAY),
        ("tonight", MONDAY),
        ("tomorrow", date(2026, 1, 6)),
        ("the day after tomorrow", date(2026, 1, 7)),
        ("on friday", date(2026, 1, 9)),
        ("this monday", MONDAY),
        ("next monday", date(2026, 1, 12)),
        ("next tuesday", date(2026, 1, 6)),
        ("this weekend", date(2026, 1, 10)),
        ("in 3 days", date(2026, 1, 8)),
        ("in 2 weeks", date(2026, 1, 19)),
        ("next week", date(2026, 1, 12)),
        ("december 3rd", date(2026, 12, 3)),
        ("january 2nd", date(2027, 1, 2)),
        ("the 22nd of march", date(2026, 3, 22)),
        ("12/24", date(2026, 12, 24)),
        ("1/2/27", date(2027, 1, 2)),
        ("2026-02-14", date(2026, 2, 14)),
        ("the 3rd", date(2026, 2, 3)),
        ("february 30th", None),
        ("may i have a table", None),
        ("for 4 may", None),
    ],
)
def test_dates(said: str, day: date | None) -> None:
    assert p.parse_date(p.normalise(said), MONDAY) == day


@pytest.mark.parametrize(
    ("said", "hour", "minute", "explicit"),
    [
        ("at seven pm", 19, 0, True),
        ("7:30", 7, 30, False),
        ("7:30 am", 7, 30, True),
        ("19:15", 19, 15, True),
        ("noon", 12, 0, True),
        ("midnight", 0, 0, True),
        ("7 in the evening", 19, 0, True),
        ("8 in the morning", 8, 0, True),
        ("at 7 tonight", 19, 0, True),
        ("half past seven tonight", 19, 30, True),
        ("quarter to eight", 7, 45, False),
        ("at six o'clock", 6, 0, False),
        ("seven thirty p m", 19, 30, True),
        ("at 8", 8, 0, False),
    ],
)
def test_times(said: str, hour: int, minute: int, explicit: bool) -> None:
    assert p.parse_time(p.normalise(said)) == p.SpokenTime(hour, minute, explicit)


@pytest.mark.parametrize("said", ["for four people", "at 25:00", "7:75", "table for 2"])
def test_no_time(said: str) -> None:
    assert p.parse_time(p.normalise(said)) is None


def test_a_time_without_am_or_pm_takes_the_default() -> None:
    seven = p.SpokenTime(7, 0, False)
    assert seven.resolve("pm") == (19, 0)
    assert seven.resolve("am") == (7, 0)
    assert p.SpokenTime(12, 0, False).resolve("am") == (12, 0)


@pytest.mark.parametrize(
    ("said", "size"),
    [
        ("a table for four people", 4),
        ("a party of 6", 6),
        ("book for 2 at 7", 2),
        ("there will be five of us", 5),
        ("just me", 1),
        ("me and my wife", 2),
        ("a table at 7 pm for 7 pm", None),
        ("for 7:30", None),
        ("for 2 hours", None),
    ],
)
def test_party_size(said: str, size: int | None) -> None:
    assert p.parse_party_size(p.normalise(said)) == size


@pytest.mark.parametrize(
    ("said", "minutes"),
    [
        ("for 30 minutes", 30),
        ("for an hour", 60),
        ("for half an hour", 30),
        ("an hour and a half", 90),
        ("for 2 hours", 120),
        ("a 90 minute meeting", 90),
        ("tomorrow", None),
    ],
)
def test_durations(said: str, minutes: int | None) -> None:
    assert p.parse_duration_minutes(p.normalise(said)) == minutes


def test_time_from_now() -> None:
    assert p.parse_from_now(p.normalise("in twenty minutes")) == timedelta(minutes=20)
    assert p.parse_from_now(p.normalise("in an hour and a half")) == timedelta(minutes=90)
    assert p.parse_from_now("for 20 minutes") is None


@pytest.mark.parametrize(
    ("said", "phone"),
    [
        ("my number is 415 555 0100", "+14155550100"),
        ("(415) 555-0100", "+14155550100"),
        ("1-415-555-0100", "+14155550100"),
        ("four one five five five five oh one oh oh", "+14155550100"),
        ("+44 20 7946 0958", "+442079460958"),
        ("party of 4 415 555 0100", "+14155550100"),
        ("call me at 555 0100", None),
        ("12/24 at 7", None),
    ],
)
def test_phone_numbers(said: str, phone: str | None) -> None:
    assert p.parse_phone(p.normalise(said)) == phone


def test_money_with_periods() -> None:
    found = p.parse_money(p.normalise("$3,200 a month and eighty five thousand dollars a year"))
    assert [(m.amount, m.period) for m in found] == [(3200, "month"), (85000, "year")]
    assert [m.amount for m in p.parse_money("$400k house with $1.5 million loan")] == [
        400_000,
        1_500_000,
    ]
    assert [m.amount for m in p.parse_money("$400 monthly")] == [400]
    assert p.parse_money("4 people") == []


@pytest.mark.parametrize(
    ("said", "name"),
    [
        ("my name is ana lee", "Ana Lee"),
        ("under kim please", "Kim"),
        ("put it under the name of o'brien", "O'brien"),
        ("this is jean-luc at seven", "Jean Luc"),
        ("for four people at seven", None),
        ("under 4 people", None),
    ],
)
def test_names(said: str, name: str | None) -> None:
    assert p.parse_name(p.normalise(said)) == name


def test_for_names_only_when_allowed() -> None:
    text = p.normalise("a table for four for kim on friday")
    assert p.parse_name(text) is None
    assert p.parse_name(text, allow_for=True) == "Kim"
    assert p.parse_name("for tonight for my birthday", allow_for=True) is None


@pytest.mark.parametrize(
    ("said", "code"),
    [
        ("HNK-AB12", "HNK-AB12"),
        ("hnk ab12", "HNK-AB12"),
        ("h n k a b one two", "HNK-AB12"),
        ("code hnk 7kq2 please", "HNK-7KQ2"),
        ("hnk a b", None),
    ],
)
def test_confirmation_codes(said: str, code: str | None) -> None:
    assert p.parse_code(p.normalise(said), "HNK", 4) == code


def test_claim_numbers_are_zero_padded() -> None:
    assert p.parse_code("clm-000187", "CLM", 6, digits_only=True) == "CLM-000187"
    assert p.parse_code(p.normalise("c l m one eight seven"), "CLM", 6, digits_only=True) == (
        "CLM-000187"
    )
    assert p.parse_number_after(p.normalise("claim number one eight seven"), "claim", 6) == "187"


@pytest.mark.parametrize(
    ("said", "priority"),
    [
        ("it's urgent", "urgent"),
        ("with high priority", "high"),
        ("this is important", "high"),
        ("low priority", "low"),
        ("buy milk", None),
    ],
)
def test_priorities(said: str, priority: str | None) -> None:
    assert p.parse_priority(said) == priority


@pytest.mark.parametrize(
    ("said", "department"),
    [
        ("transfer me to billing", "billing"),
        ("transfer me to the billing department", "billing"),
        ("connect me with tech support", "technical"),
        ("can i talk to someone in sales", "sales"),
        ("put me through to customer service", "support"),
        ("transfer me to a human agent", None),
        ("transfer me to someone", None),
    ],
)
def test_departments(said: str, department: str | None) -> None:
    assert p.parse_department(p.normalise(said)) == department


# Properties ---------------------------------------------------------------------------------

WORDS = st.sampled_from(
    str.split(
        "a the for at on in of to my is am pm noon midnight tonight tomorrow today next this "
        "friday monday december may march 3rd 22nd 12/24 2/30 13/45 7:30 25:99 0:00 7 12 31 99 "
        "2026 one two seven thirty twenty hundred thousand half quarter past party people hnk "
        "clm $ $3,200 dollars month year minutes hours in an hour and o'clock evening morning "
        "415 555 0100 + - oh under name is kim"
    )
)
SPEECH = st.lists(WORDS, max_size=16).map(" ".join)
TEXT = st.one_of(st.text(max_size=80), SPEECH)
TODAY = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@settings(max_examples=400, deadline=None)
@given(text=TEXT, today=TODAY)
def test_no_input_makes_the_extractors_raise(text: str, today: date) -> None:
    normalised = p.normalise(text)
    p.parse_date(normalised, today)
    p.parse_time(normalised)
    p.parse_party_size(normalised)
    p.parse_duration_minutes(normalised)
    p.parse_from_now(normalised)
    p.parse_phone(normalised)
    p.parse_money(normalised)
    p.parse_name(normalised, allow_for=True)
    p.parse_code(normalised, "HNK", 4)
    p.parse_code(normalised, "CLM", 6, digits_only=True)
    p.parse_priority(normalised)
    p.parse_department(normalised)


@settings(max_examples=400, deadline=None)
@given(text=TEXT)
def test_times_are_real_times_of_day(text: str) -> None:
    spoken = p.parse_time(p.normalise(text))
    if spoken is not None:
        for default in ("am", "pm"):
            hour, minute = spoken.resolve(default)
            assert 0 <= hour <= 23 and 0 <= minute <= 59


@settings(max_examples=400, deadline=None)
@given(text=TEXT, today=TODAY)
def test_a_date_without_a_year_is_never_before_today(text: str, today: date) -> None:
    normalised = p.normalise(text)
    found = p.parse_date(normalised, today)
    if found is not None and not re.search(r"\d{4}|\d/\d+/\d", normalised):
        assert found >= today


@settings(max_examples=200, deadline=None)
@given(
    today=TODAY,
    word=st.sampled_from(sorted(p.WEEKDAYS)),
    prefix=st.sampled_from(["", "on ", "this ", "next "]),
)
def test_weekdays_land_within_a_week(today: date, word: str, prefix: str) -> None:
    found = p.parse_date(prefix + word, today)
    assert found is not None and found.weekday() == p.WEEKDAYS[word]
    ahead = (found - today).days
    assert (1 <= ahead <= 7) if prefix == "next " else (0 <= ahead <= 6)


@settings(max_examples=200, deadline=None)
@given(today=TODAY, ahead=st.integers(min_value=0, max_value=364))
def test_a_month_and_day_is_the_next_such_day(today: date, ahead: int) -> None:
    target = today + timedelta(days=ahead)
    found = p.parse_date(f"{target:%B} {target.day}".lower(), today)
    if target.month == 2 and target.day == 29:
        assert found in (target, None)
    else:
        assert found == target


@settings(max_examples=200, deadline=None)
@given(today=TODAY, days=st.integers(min_value=1, max_value=99))
def test_in_n_days(today: date, days: int) -> None:
    assert p.parse_date(p.normalise(f"in {days} days"), today) == today + timedelta(days=days)


@settings(max_examples=200, deadline=None)
@given(number=st.integers(min_value=0, max_value=999_999))
def test_spelled_numbers_read_back(number: int) -> None:
    assert p.normalise(_spell(number)) == str(number)


_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
_ONES += "fifteen sixteen seventeen eighteen nineteen"
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def _spell(n: int) -> str:
    ones = _ONES.split()
    if n < 20:
        return ones[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + ones[n % 10])
    if n < 1000:
        rest = n % 100
        return ones[n // 100] + " hundred" + ("" if rest == 0 else " and " + _spell(rest))
    rest = n % 1000
    return _spell(n // 1000) + " thousand" + ("" if rest == 0 else " " + _spell(rest))
