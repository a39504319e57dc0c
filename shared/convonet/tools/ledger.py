"""The tool-call ledger: a side-effecting tool call runs once.

The key is the session plus the model's tool-call id when there is one (a retried or resumed
turn repeats the id), else a hash of user, tool and arguments within a short window (a caller
who repeats themselves after a barge-in). The key is claimed with the StateStore's
create-if-absent, so exactly one of any concurrent callers runs the tool; the rest get the
stored result. Failures release the claim so a corrected call can run.

When the StateStore itself is unreachable the call still runs, unguarded, with a warning:
the caller gets what they asked for, and the domain's own checks (e.g. the reservation
de-duplication window in the database) remain against a repeat.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from convonet.config import get_settings
from convonet.state import StateStore, StateStoreError, get_state_store

if TYPE_CHECKING:
    from convonet.tools.registry import Tool, ToolContext, ToolResult

log = logging.getLogger(__name__)

COLLECTION = "tool_ledger"


def ledger_key(ctx: ToolContext, tool: Tool, args: BaseModel) -> str:
    if ctx.tool_call_id and ctx.session_id:
        basis = f"call|{ctx.session_id}|{ctx.tool_call_id}|{tool.name}"
    else:
        canonical = json.dumps(args.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        basis = f"args|{ctx.user_id}|{tool.name}|{canonical}"
    return hashlib.sha256(basis.encode()).hexdigest()


def run_once(
    ctx: ToolContext, tool: Tool, args: BaseModel, run: Callable[[], ToolResult]
) -> ToolResult:
    from convonet.tools.registry import ToolResult

    store = get_state_store()
    key = ledger_key(ctx, tool, args)
    window = get_settings().tool_ledger_window_s
    claim = {
        "state": "running",
        "tool": tool.name,
        "user_id": ctx.user_id,
        "session_id": ctx.session_id,
    }
    try:
        claimed = store.create(COLLECTION, key, claim, ttl_s=window)
    except StateStoreError as exc:
        log.warning("tool ledger unavailable, %s runs unguarded: %s", tool.name, exc)
        return run()
    if not claimed:
        doc = _read(store, key)
        if doc.get("state") == "done":
            return ToolResult(tool.name, "ok", result=doc.get("result"), replayed=True)
        return ToolResult(
            tool.name,
            "error",
            error={"kind": "conflict", "message": "That request is already being carried out."},
        )
    try:
        outcome = run()
    except BaseException:
        _settle(key, lambda: store.delete(COLLECTION, key))
        raise
    if outcome.status == "ok":
        done = {**claim, "state": "done", "result": outcome.result}
        _settle(key, lambda: store.set(COLLECTION, key, done, ttl_s=window))
    else:
        _settle(key, lambda: store.delete(COLLECTION, key))
    return outcome


def _read(store: StateStore, key: str) -> dict[str, Any]:
    try:
        return store.get(COLLECTION, key) or {}
    except StateStoreError as exc:
        log.warning("tool ledger entry %s unreadable: %s", key, exc)
        return {}


def _settle(key: str, write: Callable[[], None]) -> None:
    """Record the outcome; if the store went away meanwhile, the claim expires on its TTL."""
    try:
        write()
    except StateStoreError as exc:
        log.warning("tool ledger entry %s not settled: %s", key, exc)
