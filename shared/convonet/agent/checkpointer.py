"""A LangGraph checkpointer over the StateStore (Firestore in production, SQLite locally).

Any function instance can then continue any conversation. Layout: one document per thread,
`agent_threads/<thread>|<ns>`, holding only the thread's newest checkpoint: its id, its
parent's id, the checkpoint (channel values included) and its metadata, each serialised with
the saver's serde and base64-encoded, plus its pending writes, one field per write named after
the checkpoint id, the task and the index.

Storing a checkpoint is one `set` of that document, replacing the previous checkpoint and its
writes, so a turn costs one write: one RPC on Firestore, where a head document listing the
newest ids beside a document per checkpoint cost three (one a read-write transaction) and
reading cost two. Older checkpoints are not kept, as nothing uses LangGraph's time travel:
`list` yields the newest checkpoint only and a read of an older id finds nothing. Pending
writes are merged into the document under their checkpoint's id, so a write that arrives for
a checkpoint already replaced is never returned with the newer one. Firestore documents are
limited to 1 MiB, so a checkpoint that would not fit is refused (the graph keeps its history
bounded so it fits).

The async `aput` is write-behind: it serialises at once and leaves the write to a task that
runs once the graph yields, so the turn's text is already on its way when storage is touched.
The task does the write on a worker thread: the event loop, which serves every session of the
process, never waits on storage (a Firestore RPC; the local store's write lock, which another
thread's or process's write may hold). With 400 sessions on one process, writing on the loop
put its p95 turn overhead at 18.6-23.3 ms, on a thread at 10.7-16.5 (bench/voice_load.py, paired
runs). `aflush(thread_id)` waits for those writes (the turn calls it before it reports itself
done), and a read of the same thread waits for them first. The async read runs on a worker
thread too where the store's reads block (Firestore: an RPC), and inline on the embedded store
(`convonet.state.read_off_loop`).

Losing the StateStore must not cost the user their answer: an async read that fails logs a
warning and starts the turn without its history, and a failed write is logged by the turn
(`aflush` re-raises it there), so the conversation only forgets, it never goes silent.

Each thread's newest checkpoint that this process stored or loaded is kept decoded in memory
(the last `CACHED_THREADS` threads): a read still gets the thread's document, and when it holds
the kept checkpoint id only the pending writes are decoded, not the checkpoint itself.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    PendingWrite,
    copy_checkpoint,
    get_checkpoint_id,
    get_checkpoint_metadata,
)
from langgraph.checkpoint.serde.base import SerializerProtocol

from convonet.state import StateStore, StateStoreError, get_state_store, read_off_loop

log = logging.getLogger(__name__)

THREADS = "agent_threads"
CACHED_THREADS = 1024
# Firestore's limit is 1 MiB per document; leave room for field names and the index entry.
MAX_DOCUMENT_BYTES = 1_000_000
_WRITE_PREFIX = "w_"
# Named here: inside the saver, `list` is its method.
PendingWrites = list[PendingWrite]


class CheckpointTooLarge(StateStoreError):
    """A checkpoint would exceed the StateStore's document size limit."""


class StateStoreCheckpointer(BaseCheckpointSaver[int]):
    def __init__(
        self,
        store: StateStore | None = None,
        *,
        ttl_s: float | None = None,
        serde: SerializerProtocol | None = None,
    ) -> None:
        super().__init__(serde=serde)
        self._store = store
        self.ttl_s = ttl_s
        self._pending: dict[str, asyncio.Future[None]] = {}
        self._newest: OrderedDict[tuple[str, str], CheckpointTuple] = OrderedDict()
        self._newest_lock = threading.Lock()

    @property
    def store(self) -> StateStore:
        """The given store, else the process's (so a long-lived graph follows its changes)."""
        return self._store or get_state_store()

    # Sync API -------------------------------------------------------------------------------

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        thread_id, ns = _thread(config)
        doc = self.store.get(THREADS, _thread_key(thread_id, ns))
        # No `checkpoint_id`: pending writes that outlived their thread, or an older layout.
        if doc is None or "checkpoint_id" not in doc:
            return None
        wanted = get_checkpoint_id(config)
        if wanted is not None and wanted != doc["checkpoint_id"]:
            return None  # only the newest checkpoint is stored
        return self._decode(doc)

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,  # noqa: A002 - LangGraph's signature
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """The thread's newest checkpoint when it passes the filters (no older ones are kept)."""
        if config is None:
            raise ValueError("listing checkpoints needs a thread_id")
        found = self.get_tuple(config) if limit is None or limit > 0 else None
        if found is None:
            return
        before_id = get_checkpoint_id(before) if before else None
        if before_id and found.checkpoint["id"] >= before_id:
            return
        if filter and any(found.metadata.get(k) != v for k, v in filter.items()):
            return
        yield found

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        doc, stored = self._encode(config, checkpoint, metadata)
        self._write(doc)
        self._keep(stored)
        return _config(doc["thread_id"], doc["ns"], doc["checkpoint_id"])

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Merge the writes into the thread's document under their checkpoint's id: a newer
        checkpoint's `set` replaces them, and a read skips those of another checkpoint."""
        thread_id, ns = _thread(config)
        checkpoint_id = config["configurable"]["checkpoint_id"]
        # thread_id lets delete_thread find the document should the merge create it.
        fields: dict[str, Any] = {"thread_id": thread_id, "ns": ns}
        for idx, (channel, value) in enumerate(writes):
            kind, blob = self.serde.dumps_typed(value)
            field = _write_field(checkpoint_id, task_id, f"{idx:04d}")
            fields[field] = [task_id, channel, kind, _b64(blob), task_path]
        self.store.merge(THREADS, _thread_key(thread_id, ns), fields)

    def delete_thread(self, thread_id: str) -> None:
        for key, _doc in self.store.query(THREADS, where=[("thread_id", "==", thread_id)]):
            self.store.delete(THREADS, key)
        self.forget(thread_id)

    # Async API (write-behind puts) ------------------------------------------------------------

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        thread_id = _thread(config)[0]
        try:
            await self.aflush(thread_id)
            return await read_off_loop(self.store, lambda: self.get_tuple(config))
        except StateStoreError as exc:
            log.warning("thread %s continues without its history: %s", thread_id, exc)
            return None

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,  # noqa: A002 - LangGraph's signature
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        if config is not None:
            await self.aflush(_thread(config)[0])
        for found in self.list(config, filter=filter, before=before, limit=limit):
            yield found

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        doc, stored = self._encode(config, checkpoint, metadata)
        thread_id = doc["thread_id"]
        previous = self._pending.get(thread_id)
        self._pending[thread_id] = asyncio.ensure_future(self._write_after(previous, doc, stored))
        return _config(thread_id, doc["ns"], doc["checkpoint_id"])

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        thread_id = _thread(config)[0]
        try:
            await self.aflush(thread_id)
            self.put_writes(config, writes, task_id, task_path)
        except StateStoreError as exc:
            log.warning("pending writes of thread %s not stored: %s", thread_id, exc)

    async def adelete_thread(self, thread_id: str) -> None:
        await self.aflush(thread_id)
        self.delete_thread(thread_id)

    async def aflush(self, thread_id: str) -> None:
        """Wait until the thread's write-behind checkpoints are stored (re-raising a failure).

        Shielded: a waiter cancelled meanwhile (a barge-in cancels the turn that flushes) must
        neither cancel the write, which its worker thread finishes anyway, nor drop it from
        `_pending` before it lands, or the next read of the thread would run ahead of it.
        """
        pending = self._pending.get(thread_id)
        if pending is None:
            return
        try:
            await asyncio.shield(pending)
        finally:
            if pending.done() and self._pending.get(thread_id) is pending:
                del self._pending[thread_id]

    # Storage ----------------------------------------------------------------------------------

    async def _write_after(
        self, previous: asyncio.Future[None] | None, doc: dict[str, Any], stored: CheckpointTuple
    ) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        await asyncio.to_thread(self._write, doc)
        self._keep(stored)

    def _encode(
        self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata
    ) -> tuple[dict[str, Any], CheckpointTuple]:
        """The document to store, and the checkpoint as a read of it would return it."""
        thread_id, ns = _thread(config)
        full_metadata = get_checkpoint_metadata(config, metadata)
        kind, blob = self.serde.dumps_typed(checkpoint)
        meta_kind, meta_blob = self.serde.dumps_typed(full_metadata)
        doc = {
            "thread_id": thread_id,
            "ns": ns,
            "checkpoint_id": checkpoint["id"],
            "parent_id": config["configurable"].get("checkpoint_id"),
            "type": kind,
            "checkpoint": _b64(blob),
            "metadata_type": meta_kind,
            "metadata": _b64(meta_blob),
        }
        size = sum(len(str(value)) for value in doc.values())
        if size > MAX_DOCUMENT_BYTES:
            raise CheckpointTooLarge(
                f"checkpoint of thread {thread_id} is {size} bytes (limit {MAX_DOCUMENT_BYTES})"
            )
        parent = doc["parent_id"]
        stored = CheckpointTuple(
            config=_config(thread_id, ns, checkpoint["id"]),
            checkpoint=copy_checkpoint(checkpoint),
            metadata=full_metadata,
            parent_config=_config(thread_id, ns, parent) if parent else None,
            pending_writes=[],
        )
        return doc, stored

    # In-process copies of the newest checkpoints ------------------------------------------------

    def _kept(self, thread_id: str, ns: str, checkpoint_id: str) -> CheckpointTuple | None:
        """The kept checkpoint when it is `checkpoint_id` (never handed out: copy it first)."""
        with self._newest_lock:
            kept = self._newest.get((thread_id, ns))
            if kept is None or kept.checkpoint["id"] != checkpoint_id:
                return None
            self._newest.move_to_end((thread_id, ns))
        return kept

    def _keep(self, found: CheckpointTuple) -> None:
        thread_id, ns = _thread(found.config)
        with self._newest_lock:
            self._newest[(thread_id, ns)] = found
            self._newest.move_to_end((thread_id, ns))
            while len(self._newest) > CACHED_THREADS:
                self._newest.popitem(last=False)

    def kept_threads(self) -> set[str]:
        with self._newest_lock:
            return {thread_id for thread_id, _ns in self._newest}

    def newest_values(self, thread_id: str) -> dict[str, Any] | None:
        """The channel values of the thread's kept checkpoint (read-only), or None when none is
        kept or a write of it is still pending: what the next turn most likely starts from,
        though only a read of the store says for sure (another instance may have written)."""
        if thread_id in self._pending:
            return None
        with self._newest_lock:
            kept = self._newest.get((thread_id, ""))
        return None if kept is None else kept.checkpoint["channel_values"]

    def forget(self, thread_id: str) -> None:
        """Drop the thread's kept checkpoints (every namespace); the stored ones stay."""
        with self._newest_lock:
            for key in [k for k in self._newest if k[0] == thread_id]:
                del self._newest[key]

    def _write(self, doc: dict[str, Any]) -> None:
        key = _thread_key(doc["thread_id"], doc["ns"])
        self.store.set(THREADS, key, doc, ttl_s=self.ttl_s)

    def _decode(self, doc: dict[str, Any]) -> CheckpointTuple:
        """The stored checkpoint with its pending writes; the checkpoint itself is decoded only
        when it is not the kept one (the writes are always read: another instance may add some)."""
        thread_id, ns = doc["thread_id"], doc["ns"]
        found = self._kept(thread_id, ns, doc["checkpoint_id"])
        if found is None:
            found = self._to_tuple(doc)
            self._keep(found)
        return _fresh(found, self._pending_writes(doc))

    def _to_tuple(self, doc: dict[str, Any]) -> CheckpointTuple:
        """The stored checkpoint without its pending writes (as kept in memory)."""
        thread_id, ns = doc["thread_id"], doc["ns"]
        checkpoint = self.serde.loads_typed((doc["type"], _unb64(doc["checkpoint"])))
        metadata = self.serde.loads_typed((doc["metadata_type"], _unb64(doc["metadata"])))
        parent = doc.get("parent_id")
        return CheckpointTuple(
            config=_config(thread_id, ns, doc["checkpoint_id"]),
            checkpoint=checkpoint,
            metadata=metadata,
            parent_config=_config(thread_id, ns, parent) if parent else None,
            pending_writes=[],
        )

    def _pending_writes(self, doc: dict[str, Any]) -> PendingWrites:
        """The writes of the document's own checkpoint, in task and index order."""
        prefix = _write_field(doc["checkpoint_id"])
        writes = sorted((k, v) for k, v in doc.items() if k.startswith(prefix))
        return [
            (task_id, channel, self.serde.loads_typed((kind, _unb64(blob))))
            for _, (task_id, channel, kind, blob, *_rest) in writes
        ]


def _fresh(found: CheckpointTuple, pending_writes: PendingWrites) -> CheckpointTuple:
    """A copy the graph may change (it updates a loaded checkpoint's versions in place)."""
    return found._replace(
        checkpoint=copy_checkpoint(found.checkpoint),
        metadata={**found.metadata},
        pending_writes=pending_writes,
    )


def _thread(config: RunnableConfig) -> tuple[str, str]:
    configurable = config["configurable"]
    return str(configurable["thread_id"]), str(configurable.get("checkpoint_ns", ""))


def _thread_key(thread_id: str, ns: str) -> str:
    return f"{thread_id}|{ns}"


def _write_field(*parts: str) -> str:
    """The field name of a pending write (checkpoint id, task, index), or given fewer parts the
    prefix of the names under them. Hex keeps the name a plain identifier, which Firestore
    merges without quoting (the emulator drops a merged field whose name needs quoting), and
    keeps the parts' order and prefixes."""
    return _WRITE_PREFIX + "".join(f"{part}|" for part in parts).encode().hex()


def _config(thread_id: str, ns: str, checkpoint_id: str) -> RunnableConfig:
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": ns,
            "checkpoint_id": checkpoint_id,
        }
    }


def _b64(blob: bytes) -> str:
    return base64.b64encode(blob).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text)
