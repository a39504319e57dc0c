"""Text for speech: markdown, codes, money, phones, times, dates; the streaming chunker."""

from __future__ import annotations

import re

import pytest
from convonet.voice.text import (
    SentenceChunker,
    normalise_for_speech,
    number_to_words,
    ordinal_to_words,
    year_to_words,
)
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Your code is HNK-AB12.", "Your code is H N K, A B 1 2."),
        ("$1,234.50", "one thousand two hundred thirty-four dollars and fifty cents"),
        ("$1", "one dollar"),
        ("$0.99", "ninety-nine cents"),
        ("$5.01", "five dollars and one cent"),
        ("$1.5 million", "one point five million dollars"),
        ("+14155550100", "plus one, four one five, five five five, zero one zero zero"),
        ("(415) 555-0100", "four one five, five five five, zero one zero zero"),
        ("at 7:30 p.m.", "at seven thirty P M"),
        ("at 7pm", "at seven P M"),
        ("at 9:05 AM", "at nine oh five A M"),
        ("at 19:00", "at seven P M"),
        ("at 9:00", "at nine o'clock"),
        ("on 2026-03-14", "on March fourteenth, twenty twenty-six"),
        ("2026-03-14T19:30:00-07:00", "March fourteenth, twenty twenty-six at seven thirty P M"),
        ("March 1st, 2026", "March first, twenty twenty-six"),
        ("Jan. 22", "January twenty-second"),
        ("on 3/14", "on March fourteenth"),
        ("DTI is 43.5%", "DTI is forty-three point five percent"),
        ("party of 4", "party of four"),
        ("the 21st", "the twenty-first"),
        ("Tom & Jerry", "Tom and Jerry"),
        ("1,200 people", "one thousand two hundred people"),
    ],
)
def test_english_is_made_speakable(text: str, spoken: str) -> None:
    assert normalise_for_speech(text) == spoken


def test_markdown_is_stripped() -> None:
    text = "## Your todos\n\n- **Buy** bread\n- *Call* [mom](tel:1)\n\n```\ncode\n```\n`x`"
    assert normalise_for_speech(text) == "Your todos\nBuy bread\nCall mom\ncode\nx"


def test_markdown_table_reads_as_a_list() -> None:
    text = "| Item | Price |\n|---|---|\n| Bulgogi | $24 |"
    assert normalise_for_speech(text) == "Item, Price\nBulgogi, twenty-four dollars"


def test_korean_keeps_numbers_for_the_korean_voice() -> None:
    text = "예약 코드는 **HNK-AB12** 입니다. 7시 30분"
    assert normalise_for_speech(text, "ko") == "예약 코드는 H N K, A B 1 2 입니다. 7시 30분"


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (15, "fifteen"),
        (40, "forty"),
        (101, "one hundred one"),
        (2_000_005, "two million five"),
    ],
)
def test_numbers(n: int, words: str) -> None:
    assert number_to_words(n) == words


def test_ordinals_and_years() -> None:
    assert [ordinal_to_words(n) for n in (1, 2, 3, 12, 20, 30, 101)] == [
        "first",
        "second",
        "third",
        "twelfth",
        "twentieth",
        "thirtieth",
        "one hundred first",
    ]
    assert [year_to_words(y) for y in (2026, 2000, 2005, 1905, 1900)] == [
        "twenty twenty-six",
        "two thousand",
        "two thousand five",
        "nineteen oh five",
        "nineteen hundred",
    ]


def _chunk(text: str, step: int = 1) -> list[str]:
    chunker = SentenceChunker()
    out: list[str] = []
    for i in range(0, len(text), step):
        out += chunker.feed(text[i : i + step])
    return out + chunker.flush()


def test_chunker_keeps_abbreviations_decimals_and_times() -> None:
    text = (
        "Dr. Kim will see you. It costs 3.5 dollars. See you at 7:30 p.m. on Friday. "
        "Come at 7 p.m. Bye! Is that ok? J. Smith agreed."
    )
    assert _chunk(text) == [
        "Dr. Kim will see you.",
        "It costs 3.5 dollars.",
        "See you at 7:30 p.m. on Friday.",
        "Come at 7 p.m.",
        "Bye!",
        "Is that ok?",
        "J. Smith agreed.",
    ]


def test_chunker_emits_a_sentence_as_soon_as_it_is_certain() -> None:
    chunker = SentenceChunker()
    assert chunker.feed("Booked. Your code") == ["Booked."]
    assert chunker.feed(" is HNK-AB12.") == []
    assert chunker.feed(" ") == ["Your code is HNK-AB12."]
    assert chunker.flush() == []


def test_chunker_splits_lines_quotes_and_korean() -> None:
    assert _chunk('He said "yes." Then left.\n- one\n- two') == [
        'He said "yes."',
        "Then left.",
        "- one",
        "- two",
    ]
    assert _chunk("예약되었습니다. 감사합니다!") == ["예약되었습니다.", "감사합니다!"]


def test_chunker_cuts_a_run_on_sentence_at_a_clause() -> None:
    chunker = SentenceChunker(max_chars=50)
    out = chunker.feed(
        "I found three tables for you on Friday evening, one at six and one at eight"
    )
    assert out == ["I found three tables for you on Friday evening,"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.integers(min_value=1, max_value=17))
def test_chunks_concatenate_back_to_the_input(text: str, step: int) -> None:
    chunks = _chunk(text, step)
    assert all(c and c == c.strip() for c in chunks)
    assert re.sub(r"\s+", "", "".join(chunks)) == re.sub(r"\s+", "", text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("0123456789$.,:%-+/() apmAPMHNK#*_`[]|\n&"))
        | st.characters(),
        max_size=120,
    ),
    st.sampled_from(["en", "ko"]),
)
def test_normaliser_never_crashes(text: str, language: str) -> None:
    assert isinstance(normalise_for_speech(text, language), str)


_SPEAKABLE_TEXT = st.lists(
    st.sampled_from([*"aZ HNK-AB12.,:/$+()&%*_#>`[]!~<|•\n\t", "March ", " pm", "2026", "415"]),
    max_size=40,
).map("".join)


@given(_SPEAKABLE_TEXT)
@settings(max_examples=400, deadline=None)
def test_the_shortcuts_never_change_what_is_spoken(text: str) -> None:
    """Plain text skips the markdown rules, and the speakable pattern's lookahead skips
    positions no rewrite starts at: both are only shortcuts, the rules' own result stands."""
    from convonet.voice import text as module

    markdown = text
    for pattern, replacement in module._MD_RULES:
        markdown = pattern.sub(replacement, markdown)
    lines = (line.strip(" ,") for line in markdown.splitlines())
    assert module.strip_markdown(text) == "\n".join(line for line in lines if line)
    full = re.compile(module._SPEAKABLE.pattern.removeprefix(r"(?=[\dA-Z$+(\s])(?:")[:-1])
    assert module._SPEAKABLE.sub(module._rewrite_en, text) == full.sub(module._rewrite_en, text)
