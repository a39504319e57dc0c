"""Firestore adapter behaviour beyond the shared contract: configuration and failure."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from convonet.config import Settings
from convonet.state import StateStoreError, get_state_store, set_state_store
from convonet.state.firestore import FirestoreStateStore


@pytest.fixture
def unreachable_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[FirestoreStateStore]:
    """A store whose emulator host is a loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{port}")
    store = FirestoreStateStore(project="convonet-test", timeout_s=0.5)
    yield store
    store.close()


OPERATIONS: dict[str, Callable[[FirestoreStateStore], Any]] = {
    "get": lambda store: store.get("c", "k"),
    "set": lambda store: store.set("c", "k", {"a": 1}),
    "create": lambda store: store.create("c", "k", {"a": 1}),
    "merge": lambda store: store.merge("c", "k", {"a": 1}),
    "delete": lambda store: store.delete("c", "k"),
    "increment": lambda store: store.increment("c", "k", "n"),
    "transact": lambda store: store.transact("c", "k", lambda current: {"a": 1}),
    "query": lambda store: store.query("c", where=[("a", "==", 1)], limit=1),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_an_unreachable_firestore_raises_state_store_error(
    unreachable_store: FirestoreStateStore, operation: str
) -> None:
    with pytest.raises(StateStoreError, match="Firestore"):
        OPERATIONS[operation](unreachable_store)


@pytest.mark.firestore
def test_the_configured_backend_is_firestore(
    firestore_env: str, configure: Callable[..., Settings]
) -> None:
    namespace = f"t{uuid.uuid4().hex[:12]}"
    configure(state_backend="firestore", state_namespace=namespace)
    set_state_store(None)
    try:
        store = get_state_store()
        assert isinstance(store, FirestoreStateStore)
        store.set("sessions", "s1", {"a": 1})
        assert FirestoreStateStore(project="convonet-test", namespace=namespace).get(
            "sessions", "s1"
        ) == {"a": 1}
    finally:
        set_state_store(None)
