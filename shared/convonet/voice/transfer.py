"""Handing a voice session to a human when the agent's turn ends in a transfer.

`prepare_transfer` (convonet.telephony.transfer) picks the agent or extension, stores the
context the call center's pop-up shows (the conversation so far included) and announces it. The
browser then gets a `transfer` frame: where to dial (the SIP URI carrying the transfer id) and
SIP credentials for its own softphone, valid for minutes only (the TURN REST scheme the
registrar checks). A phone call is marked transferred for the Twilio webhook to dial.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from convonet.voice import protocol as p

BROWSER_CREDENTIAL_TTL_S = 10 * 60


def hand_off(
    *,
    transfer: Mapping[str, Any],
    user_id: str,
    session_id: str,
    channel: str,
    call_sid: str | None,
    conversation: Sequence[Mapping[str, str]],
) -> p.Transfer | None:
    """Prepare the transfer; the browser's `transfer` frame, or None for a phone call."""
    from convonet.telephony.transfer import prepare_transfer

    prepared = prepare_transfer(
        department=str(transfer.get("department") or "support"),
        reason=str(transfer.get("reason") or ""),
        user_id=user_id,
        call_sid=call_sid,
        extension=transfer.get("extension"),
        channel=channel,
        conversation=conversation,
    )
    if channel == "phone":
        _mark_call(call_sid, prepared.transfer_id)
        return None
    return p.Transfer(
        transfer_id=prepared.transfer_id,
        department=prepared.department,
        extension=prepared.extension,
        sip=_caller_sip(prepared.sip_uri, session_id),
    )


def _caller_sip(uri: str, session_id: str) -> p.SipDetails:
    from convonet.callcenter.credentials import ephemeral_credential
    from convonet.config import get_settings

    settings = get_settings()
    credential = ephemeral_credential(
        settings.secret("sip_secret"), f"voice-{session_id[:12]}", BROWSER_CREDENTIAL_TTL_S
    )
    return p.SipDetails(
        uri=uri,
        ws_url=settings.sip_ws_url,
        username=credential.username,
        password=credential.password,
        expires_at=credential.expires_at.isoformat(),
    )


def _mark_call(call_sid: str | None, transfer_id: str) -> None:
    from convonet.telephony.calls import load_call, mark_transferred

    call = load_call(call_sid) if call_sid else None
    if call is not None:
        mark_transferred(call, transfer_id)
