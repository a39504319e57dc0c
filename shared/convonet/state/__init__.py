"""StateStore port and the configured adapter (Firestore in production, SQLite locally)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

from convonet.state.base import Document, Filter, StateStore, StateStoreError

__all__ = [
    "Document",
    "Filter",
    "StateStore",
    "StateStoreError",
    "get_state_store",
    "read_off_loop",
    "set_state_store",
]

T = TypeVar("T")

_store: StateStore | None = None
_lock = threading.Lock()


def get_state_store() -> StateStore:
    """The process-wide store for the configured backend, created on first use."""
    global _store
    with _lock:
        if _store is None:
            _store = _build_store()
        return _store


def set_state_store(store: StateStore | None) -> None:
    """Install a store (tests, the dev server); None resets to the configured one."""
    global _store
    with _lock:
        _store = store


async def read_off_loop(store: StateStore, read: Callable[[], T]) -> T:
    """`read()` (a read of `store`) from async code: on a worker thread when the store's reads
    wait on the network, inline when they do not (`StateStore.reads_block`)."""
    if store.reads_block:
        return await asyncio.to_thread(read)
    return read()


def _build_store() -> StateStore:
    from convonet.config import get_settings

    settings = get_settings()
    if settings.state_backend == "firestore":
        from convonet.state.firestore import FirestoreStateStore

        return FirestoreStateStore(
            project=settings.gcp_project,
            database=settings.firestore_database,
            namespace=settings.state_namespace,
        )
    from convonet.state.local import LocalStateStore

    return LocalStateStore(f"{settings.data_dir}/state.db", namespace=settings.state_namespace)
