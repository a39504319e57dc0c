"""Transfers to a human: pick the extension, keep the context for the agent's pop-up, record
what happened.

`prepare_transfer` runs before the hand-off, for the phone (twilio_webhook), the browser
(voice gateway) and the call center alike: it picks a ready agent of the department when the
call center's states name one (`call_center_agents`), else the department's extension; it
stores the transfer's context (conversation so far, a short summary, the caller's profile, CRM
ids, reason, department) under the transfer id in `transfer_context` with a TTL, and publishes
a `requested` TransferEvent. The SIP call carries the transfer id as `X-Convonet-Transfer-Id`,
so the agent's pop-up loads exactly this caller with `load_transfer_context`.

During a Twilio media stream the voice gateway prepares the transfer, ends the stream, and
Twilio asks twilio_webhook what next (`after_stream`): `pending_transfer_for_call` finds the
transfer and `claim_dial` (a StateStore create in `transfer_dials`) lets exactly one answer
dial it, however often Twilio asks.

`record_outcome` takes the `<Dial>` result. A missed transfer (busy, no answer, failed) opens a
callback request for the department: a `callback_requests` document (open, with the caller's
number, reason and any voicemail) that the call center works through, and a `missed`
TransferEvent, on which `notify` texts the caller that they will be called back.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select

from convonet.clock import get_clock
from convonet.config import get_settings
from convonet.db.engine import session_scope
from convonet.db.models import CrmRecord, User
from convonet.state import get_state_store

log = logging.getLogger(__name__)

CONTEXT = "transfer_context"
AGENTS = "call_center_agents"
CALLBACKS = "callback_requests"
DIALS = "transfer_dials"
SIP_HEADER = "X-Convonet-Transfer-Id"
DEFAULT_DEPARTMENT = "support"
_CONVERSATION_LINES = 50
_CRM_IDS = 10
# Transfers one call may have asked for (a missed one, then another); the newest is dialled.
_PENDING_SCAN = 10

Outcome = Literal["completed", "missed"]
_COMPLETED = frozenset({"completed", "answered"})


@dataclass(frozen=True)
class PreparedTransfer:
    transfer_id: str
    department: str
    extension: str
    reason: str
    agent_user_id: str | None = None

    @property
    def sip_uri(self) -> str:
        domain = get_settings().fusionpbx_sip_domain
        return f"sip:{self.extension}@{domain}?{SIP_HEADER}={self.transfer_id}"


def department_extension(department: str) -> tuple[str, str]:
    """(department, extension) from TRANSFER_EXTENSIONS; an unknown one goes to support."""
    extensions = {k.lower(): v for k, v in get_settings().transfer_extensions.items()}
    name = department.strip().lower()
    if name in extensions:
        return name, extensions[name]
    if DEFAULT_DEPARTMENT in extensions:
        return DEFAULT_DEPARTMENT, extensions[DEFAULT_DEPARTMENT]
    return next(iter(extensions.items()), (DEFAULT_DEPARTMENT, "2001"))


def ready_agent(department: str) -> dict[str, Any] | None:
    """A ready agent of the department, as the call center last reported its state."""
    rows = get_state_store().query(
        AGENTS,
        where=[("department", "==", department), ("state", "==", "ready")],
        limit=1,
    )
    return rows[0][1] if rows else None


def prepare_transfer(
    *,
    department: str,
    reason: str,
    user_id: str | None,
    call_sid: str | None = None,
    extension: str | None = None,
    channel: str = "phone",
    caller_phone: str | None = None,
    conversation: Sequence[Mapping[str, str]] = (),
) -> PreparedTransfer:
    """Choose who answers, store the context, announce the transfer; returns where to dial."""
    name, configured = department_extension(department)
    agent = ready_agent(name)
    transfer = PreparedTransfer(
        transfer_id=uuid.uuid4().hex,
        department=name,
        extension=str(agent["extension"]) if agent else (extension or configured),
        reason=reason.strip() or "The caller asked for a person.",
        agent_user_id=str(agent["user_id"]) if agent and agent.get("user_id") else None,
    )
    lines = [dict(line) for line in conversation][-_CONVERSATION_LINES:]
    profile = _profile(user_id)
    context = {
        "transfer_id": transfer.transfer_id,
        "call_sid": call_sid,
        "channel": channel,
        "user_id": user_id,
        "department": transfer.department,
        "extension": transfer.extension,
        "agent_user_id": transfer.agent_user_id,
        "reason": transfer.reason,
        "caller_phone": caller_phone or (profile or {}).get("phone"),
        "profile": profile,
        "crm_ids": _crm_ids(user_id),
        "conversation": lines,
        "summary": summarize(profile, transfer.reason, lines),
        "status": "requested",
        "requested_at": get_clock().now(),
    }
    ttl = get_settings().transfer_context_ttl_s
    get_state_store().set(CONTEXT, transfer.transfer_id, context, ttl_s=ttl)
    _publish("requested", context)
    return transfer


def load_transfer_context(transfer_id: str) -> dict[str, Any] | None:
    """The stored context of a transfer, or None when unknown or expired."""
    if not transfer_id or len(transfer_id) > 64:
        return None
    return get_state_store().get(CONTEXT, transfer_id)


def pending_transfer_for_call(call_sid: str) -> PreparedTransfer | None:
    """The newest transfer prepared for this call that has not been dialled yet."""
    if not call_sid:
        return None
    store = get_state_store()
    rows = store.query(
        CONTEXT,
        where=[("call_sid", "==", call_sid), ("status", "==", "requested")],
        limit=_PENDING_SCAN,
    )
    waiting = [doc for key, doc in rows if store.get(DIALS, key) is None]
    if not waiting:
        return None
    context = max(waiting, key=lambda doc: doc["requested_at"])
    agent = context.get("agent_user_id")
    return PreparedTransfer(
        transfer_id=str(context["transfer_id"]),
        department=str(context["department"]),
        extension=str(context["extension"]),
        reason=str(context.get("reason") or ""),
        agent_user_id=str(agent) if agent else None,
    )


def claim_dial(transfer_id: str) -> bool:
    """True for exactly one caller per transfer: the agent's extension rings once."""
    claim = {"transfer_id": transfer_id, "dialled_at": get_clock().now()}
    ttl = get_settings().transfer_context_ttl_s
    return get_state_store().create(DIALS, transfer_id, claim, ttl_s=ttl)


def record_outcome(transfer_id: str, dial_status: str) -> tuple[Outcome, dict[str, Any] | None]:
    """Store and announce how the `<Dial>` ended; a missed one opens a callback request."""
    outcome: Outcome = "completed" if dial_status in _COMPLETED else "missed"
    context = load_transfer_context(transfer_id)
    if context is None:
        log.warning("outcome %s for unknown transfer %s", dial_status, transfer_id)
        return outcome, None
    store = get_state_store()
    store.merge(CONTEXT, transfer_id, {"status": outcome, "outcome": dial_status})
    context = {**context, "status": outcome, "outcome": dial_status}
    if outcome == "missed":
        _open_callback(context)
    _publish(outcome, context)
    return outcome, context


def attach_voicemail(transfer_id: str, recording_url: str) -> bool:
    """Add the caller's voicemail to the transfer's open callback request."""
    store = get_state_store()
    if store.get(CALLBACKS, transfer_id) is None:
        return False
    store.merge(CALLBACKS, transfer_id, {"voicemail_url": recording_url})
    return True


def summarize(
    profile: Mapping[str, Any] | None, reason: str, lines: Sequence[Mapping[str, str]]
) -> str:
    """One or two sentences the agent can read before saying hello."""
    who = (profile or {}).get("name") or "The caller"
    said = [line["content"] for line in lines if line.get("role") == "user"]
    summary = f"{who} wants a person: {reason.rstrip('.')}."
    if said:
        summary += f' Last said: "{said[-1][:200]}"'
    return summary


def _open_callback(context: Mapping[str, Any]) -> None:
    request = {
        key: context.get(key)
        for key in (
            "transfer_id",
            "call_sid",
            "user_id",
            "department",
            "extension",
            "reason",
            "caller_phone",
            "summary",
            "outcome",
        )
    }
    request.update(status="open", voicemail_url=None, created_at=get_clock().now())
    ttl = get_settings().callback_request_ttl_s
    get_state_store().create(CALLBACKS, str(context["transfer_id"]), request, ttl_s=ttl)


def _profile(user_id: str | None) -> dict[str, Any] | None:
    if not user_id:
        return None
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None:
            return None
        return {
            "user_id": user.id,
            "name": user.display_name,
            "email": user.email,
            "phone": user.phone_e164,
            "locale": user.locale,
        }


def _crm_ids(user_id: str | None) -> list[dict[str, Any]]:
    if not user_id:
        return []
    with session_scope() as session:
        rows = session.scalars(
            select(CrmRecord)
            .where(CrmRecord.owner_id == user_id)
            .order_by(CrmRecord.created_at.desc())
            .limit(_CRM_IDS)
        ).all()
        return [{"id": r.id, "kind": r.kind, "external_id": r.external_id} for r in rows]


def _publish(kind: Literal["requested", "completed", "missed"], context: Mapping[str, Any]) -> None:
    """The transfer-events message; a failed publish never stops the caller's transfer.

    The event schemas load on the first transfer: most phone webhooks never publish one.
    """
    from convonet.events import TransferEvent, get_event_bus

    event = TransferEvent(
        kind=kind,
        transfer_id=str(context["transfer_id"]),
        call_sid=context.get("call_sid"),
        user_id=context.get("user_id"),
        department=str(context["department"]),
        extension=context.get("extension"),
        reason=context.get("reason"),
        outcome=context.get("outcome"),
    )
    try:
        get_event_bus().publish(TransferEvent.TOPIC, event, ordering_key=event.transfer_id)
    except Exception:
        log.exception("could not publish transfer %s (%s)", event.transfer_id, kind)
