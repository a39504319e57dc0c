"""Slot extraction for the offline model: numbers, dates, times, durations, names, phone
numbers, money and reference codes, from speech-recognised text (no punctuation, any case).

Pure functions over precompiled patterns. Nothing here reads a clock: "today" is passed in
(the offline model takes it from the injectable clock, in the restaurant's time zone), so every
relative date is reproducible. Every function returns None (or an empty list) rather than
raising on text it cannot read, and every date or time it returns is a valid one.

Rules for relative dates: "friday" / "on friday" / "this friday" is the next friday on or after
today; "next friday" is the first friday after today; a month and day without a year is this
year's, or next year's once it has passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from convonet.phone import InvalidPhoneNumber, normalize_e164

# Numbers ------------------------------------------------------------------------------------

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {"thousand": 1_000, "million": 1_000_000}
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
}
MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "tues": 1,
    "wednesday": 2,
    "thursday": 3,
    "thurs": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}

_TOKEN = re.compile(r"[^\s]+")
_STRIP = re.compile(
    r"[^\w\s:$./@+'#,-]|,(?!\d)|(?<!\d),|:(?!\d)|(?<!\d):|\.(?=\s|$)|(?:^|(?<=\s))[.']|'(?=\s|$)"
)


def normalise(text: str) -> str:
    """Lower-case, punctuation out (but not inside numbers, codes and emails), number words as
    digits ("a party of six" -> "a party of 6", "seven thirty" -> "7 30"), one space apart."""
    cleaned = _STRIP.sub(" ", text.lower().replace("\u2019", "'"))
    cleaned = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", cleaned)
    cleaned = re.sub(r"(?<=\d)(am|pm)\b", r" \1", cleaned)
    return " ".join(_words_to_digits(cleaned.split()))


def _words_to_digits(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        value, ordinal, j = _read_number(tokens, i)
        if j > i:
            out.append(f"{value}{_suffix(value)}" if ordinal else str(value))
            i = j
            continue
        word = tokens[i]
        if word in _ORDINALS and _date_context(tokens, i):
            out.append(f"{_ORDINALS[word]}{_suffix(_ORDINALS[word])}")
        else:
            out.append(word)
        i += 1
    return out


def _date_context(tokens: list[str], i: int) -> bool:
    before = tokens[i - 1] if i else ""
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    return before in MONTHS or before == "the" or after == "of"


def _suffix(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _read_number(tokens: list[str], start: int) -> tuple[int, bool, int]:
    """The number spelled out from `start`: (value, is_ordinal, end); end == start if none."""
    total = current = 0
    last = ""
    i = start
    end = start
    while i < len(tokens):
        word = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if word in ("a", "an") and last == "" and nxt in ("hundred", *_SCALES):
            current, last = 1, "unit"
        elif word in _UNITS and last in ("", "tens", "hundred", "scale", "and"):
            current += _UNITS[word]
            last = "unit"
        elif word in _TEENS and last in ("", "hundred", "scale", "and"):
            current += _TEENS[word]
            last = "teen"
        elif word in _TENS and last in ("", "hundred", "scale", "and"):
            current += _TENS[word]
            last = "tens"
        elif word == "hundred" and last in ("unit", "teen"):
            current *= 100
            last = "hundred"
        elif word in _SCALES and last in ("unit", "teen", "tens", "hundred"):
            total += current * _SCALES[word]
            current, last = 0, "scale"
        elif word == "and" and last in ("hundred", "scale"):
            last = "and"
            i += 1
            continue
        elif word in _ORDINALS and last == "tens" and _ORDINALS[word] < 10:
            return total + current + _ORDINALS[word], True, i + 1
        else:
            break
        i += 1
        end = i
    return total + current, False, end


_WORD_NUMBER = re.compile(r"^(?:a|an|one|single)$")


def to_int(token: str) -> int | None:
    """A digit token or "a"/"one" as a number."""
    if token.isdigit() and len(token) <= 6:
        return int(token)
    return 1 if _WORD_NUMBER.match(token) else None


# Dates --------------------------------------------------------------------------------------

_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY_NAMES = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,? (\d{4}))?"
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_MONTH_DAY = re.compile(rf"\b({_MONTH_NAMES}) (?:the )?{_DAY}\b{_YEAR}")
_DAY_OF_MONTH = re.compile(
    rf"\b(?:the )?(\d{{1,2}})(?:(?:st|nd|rd|th) (?:of )?| of )({_MONTH_NAMES})\b{_YEAR}"
)
_SLASH_DATE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/])")
_THE_NTH = re.compile(r"\bthe (\d{1,2})(?:st|nd|rd|th)\b")
_WEEKDAY = re.compile(rf"\b(?:(next|this|coming|on) )?({_WEEKDAY_NAMES})\b")
_IN_DAYS = re.compile(r"\bin (\d{1,3}|a|an|one) (day|week)s?\b")
_RELATIVE = re.compile(
    r"\b(?:(day after tomorrow)|(tomorrow)|(today|tonight|this (?:morning|afternoon|evening))"
    r"|(next week)|((?:this )?weekend))\b"
)


def parse_date(text: str, today: date) -> date | None:
    """The first date the (normalised) text names, resolved against `today`."""
    for finder in (_absolute_date, _relative_date):
        found = finder(text, today)
        if found is not None:
            return found
    return None


def _absolute_date(text: str, today: date) -> date | None:
    if m := _ISO_DATE.search(text):
        return _valid(int(m[1]), int(m[2]), int(m[3]))
    if m := _MONTH_DAY.search(text):
        return _this_or_next_year(today, MONTHS[m[1]], int(m[2]), m[3])
    if m := _DAY_OF_MONTH.search(text):
        return _this_or_next_year(today, MONTHS[m[2]], int(m[1]), m[3])
    if m := _SLASH_DATE.search(text):
        return _this_or_next_year(today, int(m[1]), int(m[2]), m[3])
    if m := _THE_NTH.search(text):
        day = int(m[1])
        found = _valid(today.year, today.month, day)
        if found is None or found < today:
            year, month = (
                (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
            )
            found = _valid(year, month, day)
        return found
    return None


def _relative_date(text: str, today: date) -> date | None:
    if m := _RELATIVE.search(text):
        if m[1]:
            return today + timedelta(days=2)
        if m[2]:
            return today + timedelta(days=1)
        if m[3]:
            return today
        if m[4]:
            return today + timedelta(days=7)
        return today + timedelta(days=(5 - today.weekday()) % 7)
    if m := _WEEKDAY.search(text):
        ahead = (WEEKDAYS[m[2]] - today.weekday()) % 7
        if m[1] == "next" and ahead == 0:
            ahead = 7
        return today + timedelta(days=ahead)
    if m := _IN_DAYS.search(text):
        count = to_int(m[1]) or 1
        return today + timedelta(days=count * (7 if m[2] == "week" else 1))
    return None


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _this_or_next_year(today: date, month: int, day: int, year: str | None) -> date | None:
    if year:
        full = int(year) + (2000 if len(year) == 2 else 0)
        return _valid(full, month, day)
    found = _valid(today.year, month, day)
    if found is not None and found < today:
        found = _valid(today.year + 1, month, day)
    return found


# Times --------------------------------------------------------------------------------------

Daypart = Literal["am", "pm"]


@dataclass(frozen=True)
class SpokenTime:
    """A time of day as said: `hour` is 0-23 when am/pm was said (or implied), else 1-12."""

    hour: int
    minute: int
    explicit: bool

    def resolve(self, default: Daypart) -> tuple[int, int]:
        """Hour and minute on a 24-hour clock, taking `default` when am/pm was not said."""
        if self.explicit or self.hour >= 12 or self.hour == 0:
            return self.hour, self.minute
        hour = self.hour % 12 + (12 if default == "pm" else 0)
        return hour, self.minute


_MERIDIEM = r"(a ?m|p ?m)\b"
_CLOCK = r"(\d{1,2})(?:(?::| )(\d{2}))?"
_TIME_WITH_MERIDIEM = re.compile(rf"\b{_CLOCK} ?{_MERIDIEM}")
_TIME_WITH_PART = re.compile(
    rf"\b{_CLOCK} (?:o'?clock )?(?:in the (morning|afternoon|evening)|at (night)|(tonight))\b"
)
_TIME_COLON = re.compile(r"\b(\d{1,2}):(\d{2})\b")
_TIME_OCLOCK = re.compile(r"\b(\d{1,2}) o'?clock\b")
_TIME_AT = re.compile(
    rf"\b(?:at|around|by|until|till) (?:about )?{_CLOCK}\b"
    r"(?! (?:people|persons|guests|of us|adults|minutes?|mins?|hours?|days?|weeks?))"
)
_TIME_PAST = re.compile(r"\b(half|quarter|\d{1,2}) (past|after|to) (\d{1,2})\b")
_NOON = re.compile(r"\b(noon|midday|midnight)\b")
_PM_CONTEXT = re.compile(r"\b(?:tonight|evening|night|dinner|afternoon|pm)\b")
_AM_CONTEXT = re.compile(r"\b(?:morning|breakfast|am)\b")


def parse_time(text: str) -> SpokenTime | None:
    """The first time of day in the (normalised) text, or None."""
    if m := _NOON.search(text):
        return SpokenTime(0 if m[1] == "midnight" else 12, 0, True)
    if m := _TIME_WITH_MERIDIEM.search(text):
        return _clock_time(m[1], m[2], "pm" if m[3].startswith("p") else "am")
    if m := _TIME_PAST.search(text):
        return _past_time(m[1], m[2], int(m[3]), text)
    if m := _TIME_WITH_PART.search(text):
        part: Daypart = "am" if m[3] == "morning" else "pm"
        return _clock_time(m[1], m[2], part)
    for pattern in (_TIME_COLON, _TIME_OCLOCK, _TIME_AT):
        if m := pattern.search(text):
            minute = m[2] if pattern.groups >= 2 else None
            return _clock_time(m[1], minute, _implied_part(text))
    return None


def _implied_part(text: str) -> Daypart | None:
    if _PM_CONTEXT.search(text):
        return "pm"
    if _AM_CONTEXT.search(text):
        return "am"
    return None


def _clock_time(hour_s: str, minute_s: str | None, part: Daypart | None) -> SpokenTime | None:
    hour, minute = int(hour_s), int(minute_s or 0)
    if minute > 59 or hour > 23:
        return None
    if part is None or hour > 12 or hour == 0:
        return SpokenTime(hour, minute, hour > 12 or hour == 0)
    return SpokenTime(hour % 12 + (12 if part == "pm" else 0), minute, True)


def _past_time(amount: str, direction: str, hour: int, text: str) -> SpokenTime | None:
    minutes = {"half": 30, "quarter": 15}.get(amount) or int(amount)
    if not 1 <= hour <= 12 or minutes >= 60:
        return None
    if direction == "to":
        hour, minutes = (hour - 1) or 12, 60 - minutes
    part = _implied_part(text)
    if part is None:
        return SpokenTime(hour, minutes, False)
    return SpokenTime(hour % 12 + (12 if part == "pm" else 0), minutes, True)


# Durations ----------------------------------------------------------------------------------

_SPAN = r"(an?|one|\d{1,4}|half an?)( and a half)? (hours?|hrs?|minutes?|mins?)\b( and a half)?"
_DURATION = re.compile(rf"\b(?:for )?{_SPAN}")
_FROM_NOW = re.compile(rf"\bin {_SPAN}")


def parse_duration_minutes(text: str) -> int | None:
    """'for 30 minutes' -> 30, 'an hour and a half' -> 90, 'half an hour' -> 30."""
    m = _DURATION.search(text)
    return _span_minutes(m) if m else None


def parse_from_now(text: str) -> timedelta | None:
    """'in 20 minutes' / 'in an hour and a half' as a time span from now."""
    m = _FROM_NOW.search(text)
    minutes = _span_minutes(m) if m else None
    return timedelta(minutes=minutes) if minutes else None


def _span_minutes(m: re.Match[str]) -> int | None:
    value = 0.5 if m[1].startswith("half") else float(to_int(m[1]) or 0)
    if m[2] or m[4]:
        value += 0.5
    minutes = round(value * 60) if m[3].startswith("h") else round(value)
    return minutes or None


# Phone numbers ------------------------------------------------------------------------------

_PHONE_RUN = re.compile(r"\+?\(?\d[\d\s().-]{5,22}\d")


def parse_phone(text: str) -> str | None:
    """The first phone number (US by default) as E.164: '415 555 0100' -> '+14155550100'.
    Spoken digits work once normalised ("four one five ..." -> "4 1 5 ..."), "oh" too."""
    spoken = _oh_as_zero(text)
    for m in _PHONE_RUN.finditer(spoken):
        raw = m.group(0)
        digits = re.sub(r"\D", "", raw)
        candidates = [raw] if raw.startswith("+") else _us_candidates(digits)
        for candidate in candidates:
            try:
                return normalize_e164(candidate)
            except InvalidPhoneNumber:
                continue
    return None


def _oh_as_zero(text: str) -> str:
    """ "five oh one" -> "5 0 1": "oh" is a zero next to a digit."""
    tokens = text.split()
    for i, word in enumerate(tokens):
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if word == "oh" and ((i and tokens[i - 1].isdigit()) or after.isdigit()):
            tokens[i] = "0"
    return " ".join(tokens)


def _us_candidates(digits: str) -> list[str]:
    """A run of digits as a US number: all of it, else its last ten digits (a number said
    right after another number, "for 4 415 555 0100")."""
    if len(digits) == 10 or (len(digits) == 11 and digits.startswith("1")):
        return [digits]
    return [digits[-10:]] if len(digits) > 10 else []


# Money --------------------------------------------------------------------------------------

Period = Literal["month", "year"]


@dataclass(frozen=True)
class Money:
    amount: float
    period: Period | None
    start: int
    end: int


_AMOUNT = r"(\d[\d,]*(?:\.\d+)?)(?: ?(k|thousand|million|m)\b)?"
_MONEY = re.compile(
    rf"(?:\$ ?{_AMOUNT}(?: dollars| bucks)?|\b{_AMOUNT} (?:dollars|bucks|usd)\b)"
    r"(?: (?:a|per|each|every) (month|year)| (monthly|annually|yearly))?"
)
_SCALE_VALUES = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000}


def parse_money(text: str) -> list[Money]:
    """Every dollar amount in the text, with its period when one is said ("a month")."""
    found: list[Money] = []
    for m in _MONEY.finditer(text):
        number, scale = (m[1], m[2]) if m[1] else (m[3], m[4])
        try:
            amount = float(number.replace(",", "")) * _SCALE_VALUES.get(scale or "", 1)
        except ValueError:
            continue
        period_word = m[5] or m[6]
        period: Period | None = None
        if period_word in ("month", "monthly"):
            period = "month"
        elif period_word:
            period = "year"
        found.append(Money(amount, period, m.start(), m.end()))
    return found


# Party size ---------------------------------------------------------------------------------

_PARTY = (
    re.compile(r"\bparty of (\d{1,3})\b"),
    re.compile(r"\b(\d{1,3}) (?:people|persons|person|guests|adults|diners|of us|pax)\b"),
    re.compile(r"\btable for (\d{1,3})\b(?! ?(?::|am|pm|a m|p m|o'?clock))"),
    re.compile(r"\bfor (\d{1,3})\b(?! ?(?::|\d|am|pm|a m|p m|o'?clock|minutes?|hours?|days?))"),
)
_PARTY_ALONE = re.compile(r"\b(?:just (?:me|myself|1)|only me|by myself|for myself)\b")
_PARTY_COUPLE = re.compile(r"\b(?:a couple|me and my \w+|my \w+ and me|the 2 of us)\b")


def parse_party_size(text: str) -> int | None:
    """'a table for four people' -> 4, 'party of 6' -> 6, 'just me' -> 1."""
    for pattern in _PARTY:
        if m := pattern.search(text):
            return int(m[1])
    if _PARTY_COUPLE.search(text):
        return 2
    if _PARTY_ALONE.search(text):
        return 1
    return None


def bare_number(text: str) -> int | None:
    """A reply that is just a number ("four", "six please", "we are 5")."""
    m = re.search(r"\b(\d{1,3})\b", text)
    return int(m[1]) if m else None


# Names --------------------------------------------------------------------------------------


def _vocabulary(words: str) -> frozenset[str]:
    return frozenset(words.split())


_NOT_NAMES = (
    _vocabulary(
        """a an the me my us our you your him her them it this that there here and or but for
        to at on in of by with from under name named is was be am are i i'm it's its please
        thanks thank yes no okay ok sure just table reservation booking people person guests
        party tonight today tomorrow morning afternoon evening night noon midnight dinner lunch
        brunch breakfast week weekend next am pm minutes hours hour minute o'clock oclock about
        around so um uh well then also actually again time date day can could would will
        should want like need book reserve make change cancel check call hello hi hey good
        phone number mobile cell email born dob birth birthday who whose what"""
    )
    | frozenset(WEEKDAYS)
    | frozenset(MONTHS)
)
_NAME_TRIGGER = re.compile(
    r"\b(?:my name is|my name's|name is|name's|under(?: the name(?: of)?)?|"
    r"in the name of|this is|it's for|it is for|call me)\s+"
)
_NAME_FOR = re.compile(r"\bfor\s+")


def parse_name(text: str, *, allow_for: bool = False) -> str | None:
    """A person's name after "my name is", "under", "this is" (and "for", when `allow_for`)."""
    return names_after(_NAME_TRIGGER, text) or (names_after(_NAME_FOR, text) if allow_for else None)


def names_after(trigger: re.Pattern[str], text: str, limit: int = 3) -> str | None:
    """The first name that follows a match of `trigger`."""
    for m in trigger.finditer(text):
        if name := name_words(text[m.end() :], limit):
            return name
    return None


def name_words(text: str, limit: int = 3) -> str | None:
    """Up to `limit` leading words that can be a name, capitalised ("ana lee at 7" -> "Ana Lee")."""
    words: list[str] = []
    for word in text.split():
        if word in _NOT_NAMES or not re.fullmatch(r"[a-z][a-z'-]*", word):
            break
        words.append(word)
        if len(words) == limit:
            break
    if not words:
        return None
    return " ".join("-".join(p.capitalize() for p in w.split("-")) for w in words)


# Reference codes ----------------------------------------------------------------------------


def parse_code(text: str, prefix: str, length: int, *, digits_only: bool = False) -> str | None:
    """A reference like HNK-AB12 written or spelled out ("h n k a b 1 2"), upper-cased with
    its prefix. With `digits_only`, shorter numbers are zero-padded ("claim 187" style codes
    are handled by the caller)."""
    spelled = r"\s*-?\s*".join(prefix.lower())
    m = re.search(rf"\b{spelled}(?:\s*-\s*|\s+|(?=\d))([a-z0-9 ]+)", text)
    if m is None:
        return None
    chars: list[str] = []
    for token in m[1].split():
        if len(chars) + len(token) > length or not token.isalnum():
            break
        if digits_only and not token.isdigit():
            break
        chars.extend(token)
        if len(chars) == length:
            break
    if digits_only and chars:
        return f"{prefix}-{int(''.join(chars)):0{length}d}"
    if len(chars) != length:
        return None
    return f"{prefix}-{''.join(chars).upper()}"


def parse_number_after(text: str, words: str, digits: int) -> str | None:
    """A number said after one of `words` ("claim number 187" -> "187"), spoken digit by digit
    or whole, at most `digits` long."""
    m = re.search(rf"\b(?:{words})(?: number| no| #)?(?: is)? ((?:\d+ ?)+)", text)
    if m is None:
        return None
    joined = m[1].replace(" ", "")
    return joined if len(joined) <= digits else None


# Words --------------------------------------------------------------------------------------

Priority = Literal["low", "medium", "high", "urgent"]
_PRIORITIES: tuple[tuple[re.Pattern[str], Priority], ...] = (
    (re.compile(r"\b(?:urgent|urgently|asap|critical|top priority)\b"), "urgent"),
    (re.compile(r"\b(?:high priority|high-priority|important|priority high)\b"), "high"),
    (re.compile(r"\b(?:low priority|low-priority|no rush|whenever|not urgent)\b"), "low"),
    (re.compile(r"\b(?:medium priority|normal priority)\b"), "medium"),
)


def parse_priority(text: str) -> Priority | None:
    for pattern, priority in _PRIORITIES:
        if pattern.search(text):
            return priority
    return None


_PERSON_WORDS = _vocabulary(
    """human person agent representative rep operator somebody someone manager supervisor
    staff people real live actual"""
)
_DEPARTMENT_ALIASES = {
    "tech": "technical",
    "tech support": "technical",
    "technical support": "technical",
    "it": "technical",
    "customer service": "support",
    "customer support": "support",
    "help desk": "support",
    "helpdesk": "support",
    "accounts": "billing",
    "payments": "billing",
    "reservations": "restaurant",
    "the restaurant": "restaurant",
}
_DEPARTMENT = re.compile(
    r"\b(?:transfer|connect|put|send|forward|route)(?: me| us| this call| my call)?"
    r"(?: over| through)? (?:to|with) (?:the |a |an |someone in |somebody in |someone from )?"
    r"([a-z]+(?: [a-z]+)?)"
    r"|\b(?:talk|speak) (?:to|with) (?:someone|somebody|a person|an agent) "
    r"(?:in|from|at) (?:the )?([a-z]+(?: [a-z]+)?)"
    r"|\b([a-z]+) department\b"
)


def parse_department(text: str) -> str | None:
    """The department named in a transfer request ("transfer me to billing" -> "billing");
    None when only a person is asked for."""
    m = _DEPARTMENT.search(text)
    if m is None:
        return None
    phrase = next(g for g in m.groups() if g)
    if phrase in _DEPARTMENT_ALIASES:
        return _DEPARTMENT_ALIASES[phrase]
    first = phrase.split()[0]
    if first in _PERSON_WORDS or first in _NOT_NAMES:
        return None
    return _DEPARTMENT_ALIASES.get(first, first)
