"""A phone call's state: who is calling (once verified), its CallRecord and its transcript.

The live state is a StateStore document per CallSid (`phone_calls`), so any instance of the
stateless webhook can answer the next request of the call; the durable record is a CallRecord
with its CallTranscriptLines, owned by the caller once they are verified and kept until
`retention_until` (CALL_RETENTION_DAYS). Identity only ever comes from this server-side state,
never from anything in a webhook's URL or form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from convonet.clock import get_clock
from convonet.config import get_settings
from convonet.db.engine import session_scope
from convonet.db.models import CallRecord, CallTranscriptLine, User
from convonet.phone import InvalidPhoneNumber, normalize_e164
from convonet.state import get_state_store

CALLS = "phone_calls"
# Twilio ends every call after 4 hours; the live state never needs to outlive that.
CALL_STATE_TTL_S = 4 * 3600 + 600

Speaker = Literal["user", "assistant", "agent"]
# Twilio CallStatus -> CallRecord.status; a transferred call stays `transferred`.
_END_STATUS = {
    "completed": "completed",
    "busy": "failed",
    "failed": "failed",
    "no-answer": "abandoned",
    "canceled": "abandoned",
}


@dataclass(frozen=True)
class PhoneCall:
    call_sid: str
    record_id: str
    from_e164: str | None
    user_id: str | None = None
    user_name: str | None = None
    transfer_id: str | None = None

    @property
    def first_name(self) -> str:
        return (self.user_name or "").split(" ")[0]


def e164_or_none(raw: str | None) -> str | None:
    try:
        return normalize_e164(raw or "")
    except InvalidPhoneNumber:
        return None


def open_call(call_sid: str, from_raw: str | None, to_raw: str | None) -> PhoneCall:
    """Start (or, on a repeated incoming webhook, find) the call; known numbers are the user."""
    from_e164, to_e164 = e164_or_none(from_raw), e164_or_none(to_raw)
    now = get_clock().now()
    retention = now + timedelta(days=get_settings().call_retention_days)
    with session_scope() as session:
        user = _user_by_phone(session, from_e164)
        record = session.scalar(select(CallRecord).where(CallRecord.call_sid == call_sid))
        if record is None:
            record = CallRecord(
                call_sid=call_sid,
                channel="phone",
                from_e164=from_e164,
                to_e164=to_e164,
                started_at=now,
                retention_until=retention,
                owner_id=user.id if user is not None else None,
            )
            session.add(record)
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                record = session.scalars(
                    select(CallRecord).where(CallRecord.call_sid == call_sid)
                ).one()
        call = PhoneCall(
            call_sid=call_sid,
            record_id=record.id,
            from_e164=from_e164,
            user_id=user.id if user is not None else None,
            user_name=user.display_name if user is not None else None,
        )
    _save(call)
    return call


def load_call(call_sid: str) -> PhoneCall | None:
    doc = get_state_store().get(CALLS, call_sid)
    if doc is None:
        return None
    return PhoneCall(
        call_sid=call_sid,
        record_id=str(doc["record_id"]),
        from_e164=doc.get("from_e164"),
        user_id=doc.get("user_id"),
        user_name=doc.get("user_name"),
        transfer_id=doc.get("transfer_id"),
    )


def authenticate(call: PhoneCall, user_id: str) -> PhoneCall:
    """The caller proved who they are (PIN): the call and its transcript become theirs."""
    with session_scope() as session:
        user = session.get(User, user_id)
        record = session.get(CallRecord, call.record_id)
        if record is not None:
            record.owner_id = user_id
        name = user.display_name if user is not None else None
    verified = PhoneCall(call.call_sid, call.record_id, call.from_e164, user_id, name)
    _save(verified)
    return verified


def mark_transferred(call: PhoneCall, transfer_id: str) -> PhoneCall:
    set_status(call.call_sid, "transferred")
    moved = PhoneCall(
        call.call_sid, call.record_id, call.from_e164, call.user_id, call.user_name, transfer_id
    )
    _save(moved)
    return moved


def add_lines(call: PhoneCall, *lines: tuple[Speaker, str]) -> None:
    """Append what was said, in order, to the call's transcript."""
    spoken = [(speaker, text.strip()) for speaker, text in lines if text.strip()]
    if not spoken:
        return
    now = get_clock().now()
    with session_scope() as session:
        last = session.scalar(
            select(func.max(CallTranscriptLine.seq)).where(
                CallTranscriptLine.call_id == call.record_id
            )
        )
        seq = int(last or 0)
        for speaker, text in spoken:
            seq += 1
            session.add(
                CallTranscriptLine(
                    call_id=call.record_id, seq=seq, speaker=speaker, text=text, at=now
                )
            )


def transcript(record_id: str, limit: int = 50) -> list[dict[str, str]]:
    """The last `limit` lines, oldest first, as {role, content} (for a transfer's context)."""
    with session_scope() as session:
        rows = session.scalars(
            select(CallTranscriptLine)
            .where(CallTranscriptLine.call_id == record_id)
            .order_by(CallTranscriptLine.seq.desc())
            .limit(limit)
        ).all()
        return [{"role": row.speaker, "content": row.text} for row in reversed(rows)]


def end_call(call_sid: str, twilio_status: str, duration_s: int | None) -> bool:
    """Record the end of the call from Twilio's status callback; False for an unknown call."""
    now = get_clock().now()
    with session_scope() as session:
        record = session.scalar(select(CallRecord).where(CallRecord.call_sid == call_sid))
        if record is None:
            return False
        ended = record.started_at + timedelta(seconds=duration_s) if duration_s else now
        record.ended_at = max(ended, record.started_at)
        if record.status == "in_progress":
            record.status = _END_STATUS.get(twilio_status, "completed")
    get_state_store().delete(CALLS, call_sid)
    return True


def set_status(call_sid: str, status: str) -> None:
    with session_scope() as session:
        record = session.scalar(select(CallRecord).where(CallRecord.call_sid == call_sid))
        if record is not None:
            record.status = status


def set_recording(call_sid: str, recording_url: str) -> bool:
    with session_scope() as session:
        record = session.scalar(select(CallRecord).where(CallRecord.call_sid == call_sid))
        if record is None:
            return False
        record.recording_url = recording_url
        return True


def _user_by_phone(session: Any, from_e164: str | None) -> User | None:
    if from_e164 is None:
        return None
    user: User | None = session.scalar(
        select(User).where(User.phone_e164 == from_e164, User.is_active.is_(True))
    )
    return user


def _save(call: PhoneCall) -> None:
    doc = {k: getattr(call, k) for k in PhoneCall.__dataclass_fields__}
    get_state_store().set(CALLS, call.call_sid, doc, ttl_s=CALL_STATE_TTL_S)
