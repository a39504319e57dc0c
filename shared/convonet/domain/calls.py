"""Calls and transcripts, as their owner sees them.

Every function takes the acting user's id and only ever touches that user's calls; a call that
exists but belongs to someone else is reported exactly like one that does not exist, so ids
cannot be probed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from convonet.db.models import CallRecord, CallTranscriptLine
from convonet.domain.errors import NotFound


def list_recent_calls(session: Session, user_id: str, limit: int = 5) -> list[dict[str, Any]]:
    """The user's latest calls, newest first, each short enough to read out."""
    line_counts = (
        select(CallTranscriptLine.call_id, func.count().label("lines"))
        .group_by(CallTranscriptLine.call_id)
        .subquery()
    )
    rows = session.execute(
        select(CallRecord, func.coalesce(line_counts.c.lines, 0))
        .outerjoin(line_counts, line_counts.c.call_id == CallRecord.id)
        .where(CallRecord.owner_id == user_id)
        .order_by(CallRecord.started_at.desc(), CallRecord.id)
        .limit(limit)
    ).all()
    return [_call_summary(call, lines) for call, lines in rows]


def get_transcript(session: Session, user_id: str, call_id: str, limit: int = 50) -> dict[str, Any]:
    """The call's transcript in order; the first `limit` lines when it is long."""
    call = _owned_call(session, user_id, call_id)
    lines = session.scalars(
        select(CallTranscriptLine)
        .where(CallTranscriptLine.call_id == call.id)
        .order_by(CallTranscriptLine.seq)
    ).all()
    return {
        "call_id": call.id,
        "started_at": call.started_at.isoformat(),
        "lines": [
            {"speaker": line.speaker, "text": line.text, "at": line.at.isoformat()}
            for line in lines[:limit]
        ],
        "total_lines": len(lines),
        "truncated": len(lines) > limit,
    }


def get_summary(session: Session, user_id: str, call_id: str) -> dict[str, Any]:
    call = _owned_call(session, user_id, call_id)
    return {
        "call_id": call.id,
        "started_at": call.started_at.isoformat(),
        "status": call.status,
        "summary": call.summary,
    }


def delete_recording(session: Session, user_id: str, call_id: str) -> dict[str, Any]:
    """Erase what was said (transcript, summary, recording link); keep that the call happened."""
    call = _owned_call(session, user_id, call_id)
    removed = session.scalar(select(func.count()).where(CallTranscriptLine.call_id == call.id))
    session.execute(delete(CallTranscriptLine).where(CallTranscriptLine.call_id == call.id))
    had_recording = call.recording_url is not None
    call.recording_url = None
    call.summary = None
    session.flush()
    session.expire(call, ["lines"])
    return {
        "call_id": call.id,
        "transcript_lines_deleted": int(removed or 0),
        "recording_deleted": had_recording,
    }


def _owned_call(session: Session, user_id: str, call_id: str) -> CallRecord:
    call = session.scalar(
        select(CallRecord).where(CallRecord.id == call_id, CallRecord.owner_id == user_id)
    )
    if call is None:
        raise NotFound("There is no call with that id among your calls.", "call_not_found")
    return call


def _call_summary(call: CallRecord, lines: int) -> dict[str, Any]:
    return {
        "call_id": call.id,
        "channel": call.channel,
        "status": call.status,
        "started_at": call.started_at.isoformat(),
        "duration_s": _duration(call.started_at, call.ended_at),
        "from": call.from_e164,
        "summary": call.summary,
        "transcript_lines": int(lines),
        "has_recording": call.recording_url is not None,
    }


def _duration(started: datetime, ended: datetime | None) -> int | None:
    return None if ended is None else int((ended - started).total_seconds())
