"""FirestoreStateStore.increment_many pairs a commit's transform results with its fields by
sorted field name, because the SDK sends the transforms in that order. Production Firestore is
the only place the results are filled (the emulator leaves them empty), so this pins the SDK's
order here: were it to change, counters would be reported under each other's names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from hypothesis import given
from hypothesis import strategies as st

FIELD_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)


@pytest.fixture(scope="module")
def client() -> Iterator[firestore.Client]:
    """A client that only builds writes: nothing here sends an RPC."""
    client = firestore.Client(project="p", credentials=AnonymousCredentials())
    yield client
    client.close()


@given(names=st.lists(FIELD_NAMES, min_size=1, max_size=8, unique=True))
def test_set_with_merge_sends_increments_sorted_by_field_name(
    client: firestore.Client, names: list[str]
) -> None:
    batch = client.batch()
    document = client.collection("c").document("d")
    batch.set(document, {name: firestore.Increment(1) for name in names}, merge=True)
    [write] = batch._write_pbs
    assert [transform.field_path for transform in write.update_transforms] == sorted(names)
