"""The customer pop-up: who is calling, why, a summary, the conversation so far and CRM links.

Found by transfer id (the context `convonet.telephony.transfer` stored when the assistant
handed the call over), by call SID, or by phone number; the caller's account, their recent
calls and CRM records come from the database. A transfer's context lives only as long as its
TTL, so an old id is simply not found.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from convonet.config import get_settings
from convonet.db.models import CallRecord, CrmRecord, User
from convonet.domain.errors import NotFound
from convonet.state import Document, get_state_store
from convonet.telephony.transfer import CONTEXT, load_transfer_context

MAX_TURNS = 50
RECENT_CALLS = 5
_CRM_MODULES = {
    "patient": "contacts",
    "meeting": "meetings",
    "case": "cases",
    "note": "notes",
    "call_summary": "notes",
}


def customer_by_transfer(session: Session, transfer_id: str) -> dict[str, Any]:
    context = load_transfer_context(transfer_id)
    if context is None:
        raise NotFound("No transfer with that id (it may have expired).", "transfer_not_found")
    user = _user(session, context.get("user_id"), _phone_of(context))
    call_sid = context.get("call_sid")
    return _popup(session, user, context, call_sid, transfer_id)


def customer_by_call_sid(session: Session, call_sid: str) -> dict[str, Any]:
    rows = get_state_store().query(CONTEXT, where=[("call_sid", "==", call_sid)], limit=1)
    if rows:
        return customer_by_transfer(session, rows[0][0])
    call = session.scalar(select(CallRecord).where(CallRecord.call_sid == call_sid))
    if call is None:
        raise NotFound("No call with that SID.", "call_not_found")
    user = _user(session, call.owner_id, call.from_e164)
    context = {"phone": call.from_e164, "summary": call.summary}
    return _popup(session, user, context, call_sid, None)


def customer_by_phone(session: Session, phone_e164: str) -> dict[str, Any]:
    user = session.scalar(select(User).where(User.phone_e164 == phone_e164))
    return _popup(session, user, {"phone": phone_e164}, None, None)


def _popup(
    session: Session,
    user: User | None,
    context: Document,
    call_sid: str | None,
    transfer_id: str | None,
) -> dict[str, Any]:
    conversation = _conversation(context) or _transcript(session, call_sid)
    profile = context.get("profile") or {}
    return {
        "transfer_id": transfer_id,
        "call_sid": call_sid,
        "customer": {
            "user_id": user.id if user else None,
            "name": (user.display_name if user else None) or profile.get("name"),
            "phone": (user.phone_e164 if user else None) or _phone_of(context),
            "email": user.email if user else None,
            "known": user is not None,
        },
        "department": context.get("department"),
        "reason": context.get("reason"),
        "summary": context.get("summary"),
        "conversation": conversation[-MAX_TURNS:],
        "recent_calls": _recent_calls(session, user),
        "crm_links": _crm_links(session, user),
    }


def _user(session: Session, user_id: Any, phone: str | None) -> User | None:
    if isinstance(user_id, str) and user_id:
        found = session.get(User, user_id)
        if found is not None:
            return found
    if phone:
        return session.scalar(select(User).where(User.phone_e164 == phone))
    return None


def _phone_of(context: Document) -> str | None:
    for key in ("caller_phone", "phone"):
        value = context.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _conversation(context: Document) -> list[dict[str, str]]:
    turns = context.get("conversation") or []
    return [
        {"role": str(turn.get("role", "")), "text": str(turn.get("text", turn.get("content", "")))}
        for turn in turns
        if isinstance(turn, dict)
    ]


def _transcript(session: Session, call_sid: str | None) -> list[dict[str, str]]:
    if not call_sid:
        return []
    call = session.scalar(select(CallRecord).where(CallRecord.call_sid == call_sid))
    if call is None:
        return []
    return [{"role": line.speaker, "text": line.text} for line in call.lines]


def _recent_calls(session: Session, user: User | None) -> list[dict[str, Any]]:
    if user is None:
        return []
    calls = session.scalars(
        select(CallRecord)
        .where(CallRecord.owner_id == user.id)
        .order_by(CallRecord.started_at.desc())
        .limit(RECENT_CALLS)
    )
    return [
        {
            "call_sid": call.call_sid,
            "channel": call.channel,
            "started_at": call.started_at,
            "status": call.status,
            "summary": call.summary,
        }
        for call in calls
    ]


def _crm_links(session: Session, user: User | None) -> list[dict[str, Any]]:
    """The caller's CRM records; a SuiteCRM link for each one already synced."""
    if user is None:
        return []
    base = (get_settings().suitecrm_url or "").rstrip("/")
    records = session.scalars(
        select(CrmRecord).where(CrmRecord.owner_id == user.id).order_by(CrmRecord.created_at)
    )
    links = []
    for record in records:
        url = None
        if base and record.external_id:
            url = f"{base}/#/{_CRM_MODULES[record.kind]}/record/{record.external_id}"
        title = record.payload.get("subject") or record.payload.get("name") or record.kind
        links.append(
            {"kind": record.kind, "title": str(title), "sync": record.sync_state, "url": url}
        )
    return links
