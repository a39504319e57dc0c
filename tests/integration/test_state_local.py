"""Local adapter guarantees beyond the shared contract: transactions and several processes."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from convonet.clock import FakeClock
from convonet.state import get_state_store
from convonet.state.local import LocalStateStore


def test_concurrent_transactions_are_isolated(local_store: LocalStateStore) -> None:
    """Twenty threads append to one list through transact() and no append is lost.

    Local only: the npm Firestore emulator does not isolate transactions (ARCHITECTURE §9),
    so the same test there would fail for the emulator's sake, not ours.
    """
    barrier = threading.Barrier(20)

    def append(i: int) -> None:
        barrier.wait()
        local_store.transact(
            "lists", "l", lambda current: {"items": [*(current or {}).get("items", []), i]}
        )

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(append, range(20)))
    stored = local_store.get("lists", "l")
    assert stored is not None
    assert sorted(stored["items"]) == list(range(20))


def _increment_many(path: str, times: int, start: Barrier) -> None:
    start.wait()
    store = LocalStateStore(path, namespace="shared")
    for _ in range(times):
        store.increment("counters", "c", "hits")


@pytest.mark.parametrize("round_", range(8))
def test_processes_opening_a_new_file_at_once_serialise(tmp_path: Path, round_: int) -> None:
    """Six processes open the same new file at the same moment, then count in it: the first
    opens race to switch it to WAL and write the schema, where SQLite answers "database is
    locked" at once rather than waiting; every process still opens it and no count is lost.
    Each round is one more chance for the race (a round without the store's retry fails
    about one time in five on a 2-core machine)."""
    path = str(tmp_path / "state.db")
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(6)
    workers = [context.Process(target=_increment_many, args=(path, 10, start)) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert LocalStateStore(path, namespace="shared").get("counters", "c") == {"hits": 60}


def test_expired_rows_are_purged_from_the_file(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "state.db"
    store = LocalStateStore(path)
    store.set("sessions", "old", {"a": 1}, ttl_s=10)
    clock.advance(10)
    fresh = LocalStateStore(path)
    fresh.set("sessions", "new", {"a": 2})
    with sqlite3.connect(path) as conn:
        keys = [row[0] for row in conn.execute("SELECT key FROM documents")]
    assert keys == ["new"]


def test_use_local_state_installs_the_process_store(use_local_state: LocalStateStore) -> None:
    assert get_state_store() is use_local_state


def test_concurrent_increments_each_return_their_own_value(local_store: LocalStateStore) -> None:
    """The exact-value half of increment's contract, which the emulator cannot show."""
    barrier = threading.Barrier(20)

    def bump(_: int) -> int | float:
        barrier.wait()
        return local_store.increment("counters", "c", "hits")

    with ThreadPoolExecutor(max_workers=20) as pool:
        values = list(pool.map(bump, range(20)))
    assert sorted(values) == list(range(1, 21))
