"""Firestore document ids: every key maps to a valid id and back, plain keys stay readable."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from convonet.state.firestore import _increment_result, decode_key, encode_key
from google.cloud.firestore_v1.types import Value
from hypothesis import given
from hypothesis import strategies as st


@given(st.text(min_size=1, max_size=200))
def test_every_key_round_trips_to_a_valid_document_id(key: str) -> None:
    doc_id = encode_key(key)
    assert decode_key(doc_id) == key
    assert "/" not in doc_id
    assert doc_id not in (".", "..")
    assert not re.fullmatch(r"__.*__", doc_id, re.DOTALL)


@given(st.text(min_size=1, max_size=50), st.text(min_size=1, max_size=50))
def test_distinct_keys_get_distinct_ids(first: str, second: str) -> None:
    assert (encode_key(first) == encode_key(second)) == (first == second)


@pytest.mark.parametrize("key", ["session-1", "+15551234567", "user@example.com", "a.b", "_x_"])
def test_plain_keys_are_stored_as_they_are(key: str) -> None:
    assert encode_key(key) == key


@pytest.mark.parametrize(
    ("key", "doc_id"),
    [("a/b", "a%2Fb"), ("50%", "50%25"), (".", "%2E"), ("..", "%2E%2E"), ("__x__", "%5F_x__")],
)
def test_reserved_characters_and_ids_are_escaped(key: str, doc_id: str) -> None:
    assert encode_key(key) == doc_id


@pytest.mark.parametrize("key", ["", "x" * 1501])
def test_keys_firestore_cannot_hold_are_refused(key: str) -> None:
    with pytest.raises(ValueError):
        encode_key(key)


@pytest.mark.parametrize(
    ("value", "expected"), [(Value(integer_value=7), 7), (Value(double_value=1.5), 1.5)]
)
def test_increment_reads_the_commit_transform_result(value: Value, expected: float) -> None:
    """Production Firestore returns the new value in the commit; the emulator never does."""
    result = _increment_result(value, client=None)  # type: ignore[arg-type]
    assert result == expected
    assert type(result) is type(expected)


def test_importing_the_state_package_leaves_the_firestore_sdk_unloaded() -> None:
    code = (
        "import sys, convonet.state, convonet.state.firestore, convonet.state.local;"
        "assert 'google.cloud.firestore' not in sys.modules, 'SDK imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
