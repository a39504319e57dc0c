"""Call tools: the caller's own past calls, their transcripts and summaries, and erasing them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from convonet.db.engine import session_scope
from convonet.domain import calls
from convonet.tools.registry import ToolContext, ToolRegistry

CallId = Annotated[str, Field(min_length=1, max_length=64, description="The call_id of a call.")]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ListCallsArgs(_Args):
    limit: int = Field(default=5, ge=1, le=20, description="How many recent calls to list.")


class TranscriptArgs(_Args):
    call_id: CallId
    limit: int = Field(default=50, ge=1, le=200, description="Most lines to return.")


class CallArgs(_Args):
    call_id: CallId


def _list(ctx: ToolContext, args: ListCallsArgs) -> dict[str, Any]:
    with session_scope() as session:
        return {"calls": calls.list_recent_calls(session, ctx.user_id, args.limit)}


def _transcript(ctx: ToolContext, args: TranscriptArgs) -> dict[str, Any]:
    with session_scope() as session:
        return calls.get_transcript(session, ctx.user_id, args.call_id, args.limit)


def _summary(ctx: ToolContext, args: CallArgs) -> dict[str, Any]:
    with session_scope() as session:
        return calls.get_summary(session, ctx.user_id, args.call_id)


def _delete(ctx: ToolContext, args: CallArgs) -> dict[str, Any]:
    with session_scope() as session:
        return calls.delete_recording(session, ctx.user_id, args.call_id)


def register(registry: ToolRegistry) -> None:
    """Adds this domain's tools to the registry."""
    registry.tool(
        "list_recent_calls",
        "List the user's most recent phone and browser calls with the assistant, newest first "
        "(when, how long, status, a one-line summary). Use it to find a call_id.",
        ListCallsArgs,
        domain="calls",
        side_effects=False,
    )(_list)
    registry.tool(
        "get_call_transcript",
        "Read what was said in one of the user's calls, line by line (speaker and text).",
        TranscriptArgs,
        domain="calls",
        side_effects=False,
    )(_transcript)
    registry.tool(
        "get_call_summary",
        "Get the short summary of one of the user's calls.",
        CallArgs,
        domain="calls",
        side_effects=False,
    )(_summary)
    registry.tool(
        "delete_call_recording",
        "Permanently delete the recording, transcript and summary of one of the user's calls. "
        "Confirm with the user before calling; it cannot be undone.",
        CallArgs,
        domain="calls",
        side_effects=True,
    )(_delete)
