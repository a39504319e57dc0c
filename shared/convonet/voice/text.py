"""Text for speech: what the model writes, made speakable, and cut into sentences as it streams.

`normalise_for_speech` strips markdown and spells out what a TTS engine reads badly:
confirmation codes letter by letter ("HNK-AB12" -> "H N K, A B 1 2"), money, phone numbers,
times, dates, percentages and ordinals in words (English; Korean engines read digits
themselves, so for "ko" only markdown and codes are rewritten). One regular expression pass
with alternatives in priority order, so a rewritten span is never rewritten again.

`SentenceChunker` turns a stream of model deltas into complete sentences, so TTS starts on the
first sentence while the model writes the rest; it does not split at "Dr.", "3.5", "7:30 p.m."
or initials, and cuts an overlong clause at a comma so speech never waits too long.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
# The words number_to_words says for 0 to 999,999 (the offline recogniser's number vocabulary).
NUMBER_WORDS = (*_ONES, *_TENS[2:], "hundred", "thousand")
_ORDINAL_WORDS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTH_ABBR = {m[:3].lower(): m for m in _MONTHS} | {"sept": "September"}


def number_to_words(n: int) -> str:
    """English cardinal: 1234 -> "one thousand two hundred thirty-four"."""
    if n < 0:
        return "minus " + number_to_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_to_words(rest)}" if rest else "")
    for scale, name in _SCALES:
        if n >= scale:
            high, rest = divmod(n, scale)
            return f"{number_to_words(high)} {name}" + (f" {number_to_words(rest)}" if rest else "")
    raise AssertionError("unreachable")


def ordinal_to_words(n: int) -> str:
    """14 -> "fourteenth", 21 -> "twenty-first"."""
    words = number_to_words(n)
    head, sep, last = words.rpartition("-") if "-" in words else words.rpartition(" ")
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head}{sep}{last}"


def digits_to_words(digits: str) -> str:
    return " ".join(_ONES[int(d)] for d in digits)


def year_to_words(year: int) -> str:
    """2026 -> "twenty twenty-six", 2000 -> "two thousand", 1905 -> "nineteen oh five"."""
    high, low = divmod(year, 100)
    if year < 1000 or low == 0 and high % 10 == 0 or 2000 <= year < 2010:
        return number_to_words(year)
    if low == 0:
        return f"{number_to_words(high)} hundred"
    low_words = f"oh {_ONES[low]}" if low < 10 else number_to_words(low)
    return f"{number_to_words(high)} {low_words}"


def _decimal_to_words(text: str) -> str:
    whole, _, frac = text.replace(",", "").partition(".")
    words = number_to_words(int(whole or "0"))
    return f"{words} point {digits_to_words(frac)}" if frac else words


# --- markdown -----------------------------------------------------------------------------

_MD_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, flags), replacement)
    for pattern, flags, replacement in (
        (r"```[^\n]*\n?(.*?)```", re.S, r"\1"),
        (r"`([^`]*)`", 0, r"\1"),
        (r"!\[([^\]]*)\]\([^)]*\)", 0, r"\1"),
        (r"\[([^\]]+)\]\([^)]*\)", 0, r"\1"),
        (r"^\s{0,3}#{1,6}\s*", re.M, ""),
        (r"^\s{0,3}>\s?", re.M, ""),
        (r"^\s*(?:[-*_]\s*){3,}$", re.M, ""),
        (r"^\s*[-*+•]\s+", re.M, ""),
        (r"^\s*\d{1,3}[.)]\s+", re.M, ""),
        (r"^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*:?-*:?[ \t]*$", re.M, ""),
        (r"[ \t]*\|[ \t]*", 0, ", "),
        (r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", 0, r"\2"),
        (r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?!\w)", 0, r"\1"),
        (r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?!\w)", 0, r"\1"),
        (r"~~(.+?)~~", 0, r"\1"),
        (r"<[^>\n]+>", 0, ""),
    )
)


# Every markdown rule needs one of these characters, or a numbered item's digits at a line's
# start; text with none (most of what an assistant says) skips the rules' sixteen passes.
_MD_HINT = re.compile(r"[`\[#>*_\-+•|~<]|^\s*\d{1,3}[.)]\s", re.M)


def strip_markdown(text: str) -> str:
    if _MD_HINT.search(text):
        for pattern, replacement in _MD_RULES:
            text = pattern.sub(replacement, text)
    lines = (line.strip(" ,") for line in text.splitlines())
    return "\n".join(line for line in lines if line)


# --- speakable rewrites -------------------------------------------------------------------

_AMPM = r"(?P<{name}>\s?(?:[ap]\.m\.|[ap]m\b|[AP]\.M\.|[AP]M\b))"
_MONTH_NAME = (
    r"(?P<month>" + "|".join([*_MONTHS, *(f"{abbr.title()}\\.?" for abbr in _MONTH_ABBR)]) + r")"
)

# Every alternative starts with a digit, a capital (codes, month names), "$", "+", "(" or a space
# (" & "): the lookahead turns every other position away before the alternatives are tried,
# which makes a sentence's pass two to three times faster.
_SPEAKABLE = re.compile(
    r"(?=[\dA-Z$+(\s])(?:"
    + "|".join(
        (
            r"(?P<code>\b[A-Z]{2,5}-[A-Z0-9]{3,10}\b)",
            r"(?P<iso>\b(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})"
            r"(?:[T ](?P<ih>\d{2}):(?P<imin>\d{2})(?::\d{2}(?:\.\d+)?)?"
            r"(?:Z|[+-]\d{2}:?\d{2})?)?\b)",
            r"(?P<money>\$(?P<amount>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<cents>\d{1,2}))?"
            r"(?P<scale>\s(?:thousand|million|billion))?)",
            r"(?P<phone>(?<![\w+])(?:\+1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}\b"
            r"|(?<![\w+])\+\d{8,15}\b)",
            r"(?P<time>\b(?P<th>[01]?\d|2[0-3]):(?P<tm>[0-5]\d)" + _AMPM.format(name="tap") + "?)",
            r"(?P<htime>\b(?P<hh>1[0-2]|0?[1-9])" + _AMPM.format(name="hap") + ")",
            r"(?P<mdate>\b" + _MONTH_NAME + r"\s(?P<mday>[0-3]?\d)(?:st|nd|rd|th)?\b"
            r"(?:,?\s(?P<myear>\d{4})\b)?)",
            r"(?P<sdate>\b(?P<sm>1[0-2]|0?[1-9])/(?P<sd>3[01]|[12]\d|0?[1-9])"
            r"(?:/(?P<sy>\d{4}))?\b)",
            r"(?P<percent>\b\d+(?:\.\d+)?%)",
            r"(?P<ordinal>\b\d+(?:st|nd|rd|th)\b)",
            r"(?P<number>\b\d{1,3}(?:,\d{3})+(?:\.\d+)?\b|\b\d+\.\d+\b|\b\d+\b)",
            r"(?P<amp>\s&\s)",
        )
    )
    + ")"
)


def _spell_code(m: re.Match[str]) -> str:
    return ", ".join(" ".join(part) for part in m["code"].split("-"))


def _ampm(suffix: str | None) -> str:
    if not suffix:
        return ""
    return " A M" if suffix.strip().lower().startswith("a") else " P M"


def _clock(hour: int, minute: int, suffix: str | None) -> str:
    """7:30 pm -> "seven thirty P M"; 19:05 -> "seven oh five P M"; 9:00 -> "nine o'clock"."""
    ampm = _ampm(suffix)
    if not suffix and hour > 12:
        hour, ampm = hour - 12, " P M"
    elif not suffix and hour == 0:
        hour, ampm = 12, " A M"
    if minute == 0:
        return number_to_words(hour) + (ampm or " o'clock")
    mins = f"oh {_ONES[minute]}" if minute < 10 else number_to_words(minute)
    return f"{number_to_words(hour)} {mins}{ampm}"


def _date(month: int, day: int, year: str | None) -> str:
    spoken = f"{_MONTHS[month - 1]} {ordinal_to_words(day)}"
    return f"{spoken}, {year_to_words(int(year))}" if year else spoken


def _money(m: re.Match[str]) -> str:
    dollars = int(m["amount"].replace(",", ""))
    cents = int((m["cents"] or "0").ljust(2, "0"))
    if m["scale"]:
        amount = _decimal_to_words(f"{dollars}.{m['cents']}" if m["cents"] else str(dollars))
        return f"{amount}{m['scale']} dollars"
    parts = []
    if dollars or not cents:
        parts.append(f"{number_to_words(dollars)} dollar{'' if dollars == 1 else 's'}")
    if cents:
        parts.append(f"{number_to_words(cents)} cent{'' if cents == 1 else 's'}")
    return " and ".join(parts)


def _phone(m: re.Match[str]) -> str:
    raw = m["phone"]
    digits = re.sub(r"\D", "", raw)
    plus = raw.startswith("+")
    if len(digits) == 11 and digits.startswith("1"):
        country, national = "1", digits[1:]
    elif plus:
        country, national = digits[:2], digits[2:]
    else:
        country, national = "", digits
    groups = (
        [national[:3], national[3:6], national[6:]]
        if len(national) == 10
        else [national[i : i + 3] for i in range(0, len(national), 3)]
    )
    spoken = ", ".join(digits_to_words(g) for g in groups if g)
    return f"plus {digits_to_words(country)}, {spoken}" if country else spoken


def _month_from_name(name: str) -> int:
    key = name.rstrip(".").lower()
    full = _MONTH_ABBR.get(key[:4] if key.startswith("sept") else key[:3], "")
    return _MONTHS.index(full) + 1


def _iso(m: re.Match[str]) -> str:
    month, day = int(m["im"]), int(m["id"])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return m["iso"]
    spoken = _date(month, day, m["iy"])
    if m["ih"] is not None:
        spoken += f" at {_clock(int(m['ih']), int(m['imin']), None)}"
    return spoken


def _sdate(m: re.Match[str]) -> str:
    return _date(int(m["sm"]), int(m["sd"]), m["sy"])


def _mdate(m: re.Match[str]) -> str:
    day = int(m["mday"])
    if not 1 <= day <= 31:
        return m["mdate"]
    return _date(_month_from_name(m["month"]), day, m["myear"])


_EN_HANDLERS: dict[str, Callable[[re.Match[str]], str]] = {
    "code": _spell_code,
    "iso": _iso,
    "money": _money,
    "phone": _phone,
    "time": lambda m: _clock(int(m["th"]), int(m["tm"]), m["tap"]),
    "htime": lambda m: _clock(int(m["hh"]), 0, m["hap"]),
    "mdate": _mdate,
    "sdate": _sdate,
    "percent": lambda m: f"{_decimal_to_words(m['percent'][:-1])} percent",
    "ordinal": lambda m: ordinal_to_words(int(m["ordinal"][:-2])),
    "number": lambda m: _decimal_to_words(m["number"]),
    "amp": lambda m: " and ",
}


def _rewrite_en(m: re.Match[str]) -> str:
    # Each alternative is one outer named group, which closes last: it is `lastgroup`.
    return _EN_HANDLERS[m.lastgroup or ""](m)


def _rewrite_ko(m: re.Match[str]) -> str:
    return _spell_code(m) if m.lastgroup == "code" else m.group(0)


def normalise_for_speech(text: str, language: str = "en") -> str:
    """What to hand a TTS engine for `text` (a model's reply, possibly markdown)."""
    plain = strip_markdown(text)
    rewrite = _rewrite_ko if language == "ko" else _rewrite_en
    spoken = _SPEAKABLE.sub(rewrite, plain)
    return re.sub(r"[ \t]+", " ", spoken).strip()


# --- sentence chunking --------------------------------------------------------------------

_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "jr",
        "sr",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "approx",
        "no",
        "inc",
        "ltd",
        "co",
        "ave",
        "blvd",
        "apt",
        "mt",
        "dept",
        "est",
        "fig",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
    ]
)
_AMPM_WORDS = frozenset({"a.m", "p.m"})
_CLOSERS = "\"')]}”’"
_TERMINATORS = ".!?…。！？"
_CLAUSE_BREAK = re.compile(r"[,;:—–]\s")


class SentenceChunker:
    """Feed model deltas; get back complete sentences as soon as they are certain.

    A terminator counts only when whitespace follows it (so "3.5" and "HNK-AB12." mid-stream
    wait for the next character), and never after a known abbreviation or a single initial;
    "a.m."/"p.m." end a sentence only when a capital letter follows. A line break always ends a
    chunk (list items, paragraphs). Text longer than `max_chars` without a boundary is cut at
    the last clause break (or space) so the first audio is not held back by a run-on sentence.
    """

    def __init__(self, max_chars: int = 220) -> None:
        self.max_chars = max_chars
        self._buffer = ""

    def feed(self, delta: str) -> list[str]:
        self._buffer += delta
        out: list[str] = []
        while True:
            cut = self._next_boundary()
            if cut is None:
                break
            sentence, self._buffer = self._buffer[:cut].strip(), self._buffer[cut:]
            if sentence:
                out.append(sentence)
        return out

    def flush(self) -> list[str]:
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if rest else []

    def _next_boundary(self) -> int | None:
        text = self._buffer
        for i, ch in enumerate(text):
            if ch == "\n":
                return i + 1
            if ch in "。！？":
                return self._after_closers(i + 1)
            if ch in _TERMINATORS:
                end = self._after_closers(i + 1)
                if end >= len(text):
                    break
                if text[end].isspace() and self._is_sentence_end(i, end):
                    return end
        if len(text) > self.max_chars:
            return self._overflow_cut(text)
        return None

    def _after_closers(self, index: int) -> int:
        while index < len(self._buffer) and self._buffer[index] in _CLOSERS:
            index += 1
        return index

    def _is_sentence_end(self, index: int, end: int) -> bool:
        if self._buffer[index] != ".":
            return True
        word = re.split(r"\s", self._buffer[:index])[-1].lstrip("(\"'").lower()
        if word in _AMPM_WORDS:
            following = self._buffer[end:].lstrip()
            return bool(following) and following[0].isupper()
        if word in _ABBREVIATIONS:
            return False
        return not (len(word) == 1 and word.isalpha())

    def _overflow_cut(self, text: str) -> int:
        window = text[: self.max_chars]
        breaks = list(_CLAUSE_BREAK.finditer(window))
        if breaks:
            return breaks[-1].end()
        space = window.rfind(" ")
        return space + 1 if space > 0 else self.max_chars
