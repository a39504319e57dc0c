"""The StateStore checkpointer's layout on both adapters: one document per thread.

The graph tests (test_agent_graph.py) cover turns; these drive the saver through LangGraph's
checkpointer API, as the graph does, to pin what is stored and what a read returns.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from convonet.agent.checkpointer import THREADS, StateStoreCheckpointer
from convonet.clock import FakeClock
from convonet.state import StateStore
from convonet.state.local import LocalStateStore
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import CheckpointTuple, empty_checkpoint

THREAD: RunnableConfig = {"configurable": {"thread_id": "t1", "checkpoint_ns": ""}}


def _put(saver: StateStoreCheckpointer, config: RunnableConfig, step: int) -> RunnableConfig:
    """Store a new checkpoint after `config`'s; its config, as LangGraph would continue."""
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"step": step}
    return saver.put(config, checkpoint, {"source": "loop", "step": step}, {})


def _with_id(checkpoint_id: Any) -> RunnableConfig:
    return {"configurable": {**THREAD["configurable"], "checkpoint_id": checkpoint_id}}


def test_a_thread_is_one_document_holding_its_newest_checkpoint(state_store: StateStore) -> None:
    saver = StateStoreCheckpointer(state_store)
    config = THREAD
    for step in range(4):
        config = _put(saver, config, step)
    newest_id = config["configurable"]["checkpoint_id"]

    stored = state_store.query(THREADS)
    assert [(key, doc["checkpoint_id"]) for key, doc in stored] == [("t1|", newest_id)]
    found = StateStoreCheckpointer(state_store).get_tuple(THREAD)  # decoded from the store
    assert found is not None and found.checkpoint["channel_values"] == {"step": 3}
    assert found.parent_config is not None and found.metadata["step"] == 3


def test_only_the_newest_checkpoint_is_found_by_id_or_listed(state_store: StateStore) -> None:
    saver = StateStoreCheckpointer(state_store)
    old = _put(saver, THREAD, 0)
    new = _put(saver, old, 1)
    old_id, new_id = old["configurable"]["checkpoint_id"], new["configurable"]["checkpoint_id"]

    assert saver.get_tuple(_with_id(old_id)) is None
    found = saver.get_tuple(_with_id(new_id))
    assert found is not None and found.config == new
    assert [t.config for t in saver.list(THREAD)] == [new]
    assert list(saver.list(_with_id(old_id))) == []
    assert list(saver.list(THREAD, before=new)) == []
    assert list(saver.list(THREAD, filter={"step": 0})) == []
    assert list(saver.list(THREAD, limit=0)) == []


def test_pending_writes_belong_to_their_checkpoint(state_store: StateStore) -> None:
    saver = StateStoreCheckpointer(state_store)
    old = _put(saver, THREAD, 0)
    new = _put(saver, old, 1)
    saver.put_writes(old, [("messages", "stale")], task_id="late-task")
    other_instance = StateStoreCheckpointer(state_store)
    other_instance.put_writes(new, [("messages", "a"), ("rounds", 2)], task_id="task")

    for reader in (saver, StateStoreCheckpointer(state_store)):  # kept and freshly decoded
        found = reader.get_tuple(THREAD)
        assert found is not None and found.config == new
        assert found.pending_writes == [("task", "messages", "a"), ("task", "rounds", 2)]

    _put(saver, new, 2)
    after = saver.get_tuple(THREAD)
    assert after is not None and after.pending_writes == []


def test_deleting_a_thread_removes_its_document_and_writes_alone_are_no_checkpoint(
    state_store: StateStore,
) -> None:
    saver = StateStoreCheckpointer(state_store)
    first = _put(saver, THREAD, 0)
    saver.delete_thread("t1")
    assert state_store.query(THREADS) == []
    assert saver.get_tuple(THREAD) is None

    saver.put_writes(first, [("messages", "late")], task_id="task")  # after the reset
    assert saver.get_tuple(THREAD) is None
    assert list(saver.list(THREAD)) == []
    saver.delete_thread("t1")
    assert state_store.query(THREADS) == []


def test_the_thread_document_expires_after_the_ttl(
    state_store: StateStore, clock: FakeClock
) -> None:
    saver = StateStoreCheckpointer(state_store, ttl_s=60)
    _put(saver, THREAD, 0)
    clock.advance(61)
    assert StateStoreCheckpointer(state_store).get_tuple(THREAD) is None


def test_a_cancelled_flush_leaves_the_write_pending_for_the_next_read(tmp_path: Path) -> None:
    """A barge-in cancels the turn while it waits for its checkpoint write, which runs on a
    worker thread. The write must still land, and the next read of the thread wait for it.
    Another connection holds the database's write lock meanwhile, as another process may."""
    path = tmp_path / "state.db"
    saver = StateStoreCheckpointer(LocalStateStore(path))
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"step": 1}

    async def scenario(blocker: sqlite3.Connection) -> CheckpointTuple | None:
        await saver.aput(THREAD, checkpoint, {"source": "loop", "step": 1}, {})
        flush = asyncio.ensure_future(saver.aflush("t1"))
        for _ in range(5):
            await asyncio.sleep(0)
        flush.cancel()
        await asyncio.wait([flush])
        read = asyncio.ensure_future(saver.aget_tuple(THREAD))
        await asyncio.wait([read], timeout=0.2)
        blocker.execute("COMMIT")  # the other writer lets go; the flushed write lands
        return await read

    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        found = asyncio.run(scenario(blocker))
    finally:
        blocker.close()
    assert found is not None and found.checkpoint["channel_values"] == {"step": 1}
