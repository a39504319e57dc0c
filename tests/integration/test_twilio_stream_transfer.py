"""Transfers in TWILIO_MODE=stream: the voice gateway prepares the transfer during the media
stream (its own hand-off code), the stream ends, Twilio requests the `<Connect>` action, and
twilio_webhook answers one `<Dial><Sip>` with the transfer id, dialled once however often it is
asked; with no transfer pending the call ends politely. The endpoint refuses unsigned,
malformed, oversized and wrongly encoded requests, and a replay gets the first answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from convonet.clock import FakeClock
from convonet.db.engine import session_scope
from convonet.db.models import CallRecord
from convonet.state import get_state_store
from convonet.telephony.calls import load_call
from convonet.telephony.simulator import CallSimulator
from convonet.telephony.transfer import CALLBACKS, load_transfer_context, pending_transfer_for_call
from convonet.voice.transfer import hand_off
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from tests.fixtures.twilio import PUBLIC, Caller, EventLog

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state", "clock")

ANA_PHONE = "+14155550101"
CONVERSATION = [
    {"role": "assistant", "content": "Hi Ana, this is Convonet. How can I help you today?"},
    {"role": "user", "content": "I want to talk to someone in sales"},
]


@pytest.fixture(autouse=True)
def stream_mode(configure: Callable[..., Any]) -> None:
    configure(
        TWILIO_MODE="stream",
        TRANSFER_EXTENSIONS='{"support": "2001", "sales": "2002"}',
        FUSIONPBX_SIP_DOMAIN="pbx.example.com",
    )


@pytest.fixture
def ana(make_caller: Callable[..., Caller]) -> Caller:
    return make_caller("ana", phone=ANA_PHONE)


def streaming_call(make_call: Callable[..., CallSimulator]) -> tuple[CallSimulator, str]:
    call = make_call(ANA_PHONE)
    handed = call.start()
    connect = handed.root.find("Connect") if handed.root is not None else None
    assert connect is not None and handed.stream is not None
    action = connect.get("action", "")
    assert action.startswith(PUBLIC + "/twilio/voice/after_stream?t=")
    return call, action


def gateway_transfers(call: CallSimulator, caller: Caller, department: str = "sales") -> str:
    """What the voice gateway does when the agent's turn ends in a transfer on a phone call."""
    frame = hand_off(
        transfer={"department": department, "reason": "pricing question"},
        user_id=caller.id,
        session_id=call.call_sid,
        channel="phone",
        call_sid=call.call_sid,
        conversation=CONVERSATION,
    )
    assert frame is None, "a phone call gets no browser frame"
    pending = pending_transfer_for_call(call.call_sid)
    assert pending is not None
    return pending.transfer_id


def test_the_prepared_transfer_is_dialled_when_the_stream_ends(
    make_call: Callable[..., CallSimulator], ana: Caller, transfer_events: EventLog
) -> None:
    call, _ = streaming_call(make_call)
    transfer_id = gateway_transfers(call, ana)

    dialled = call.stream_ends()
    assert dialled.status == 200
    assert dialled.spoken == "Please hold while I connect you to sales."
    assert dialled.sip_uri == f"sip:2002@pbx.example.com?X-Convonet-Transfer-Id={transfer_id}"
    dial = dialled.dial
    assert dial is not None and dial.get("answerOnBridge") == "true"
    assert dial.get("action") == f"{PUBLIC}/twilio/transfer_callback?transfer_id={transfer_id}"
    assert pending_transfer_for_call(call.call_sid) is None, "dialled, so no longer pending"

    context = load_transfer_context(transfer_id)
    assert context is not None
    assert (context["channel"], context["department"], context["conversation"]) == (
        "phone",
        "sales",
        CONVERSATION,
    )
    call_state = load_call(call.call_sid)
    assert call_state is not None and call_state.transfer_id == transfer_id
    with session_scope() as session:
        record = session.scalars(select(CallRecord).where(CallRecord.call_sid == call.call_sid))
        assert record.one().status == "transferred"

    missed = call.dial_outcome("no-answer")
    assert "nobody in sales" in missed.spoken and missed.gather is not None
    assert get_state_store().get(CALLBACKS, transfer_id) is not None
    assert [(e.kind, e.outcome) for e in transfer_events.events()] == [
        ("requested", None),
        ("missed", "no-answer"),
    ]


def test_the_transfer_is_dialled_once(
    make_call: Callable[..., CallSimulator], ana: Caller, phone_http: httpx.Client
) -> None:
    call, action = streaming_call(make_call)
    gateway_transfers(call, ana)
    first = call.stream_ends()
    assert first.dial is not None

    replayed = call.retry()
    assert replayed.text == first.text, "Twilio's retry gets the first answer"

    asked_again = call.post(action, {"StreamSid": "MZ" + "1" * 32})
    assert asked_again.dial is None, "the agent's extension never rings twice"
    assert asked_again.hangs_up


def test_without_a_transfer_the_call_ends_politely(
    make_call: Callable[..., CallSimulator], ana: Caller
) -> None:
    call, _ = streaming_call(make_call)
    ended = call.stream_ends()
    assert ended.dial is None
    assert ended.spoken == "Thank you for calling Convonet. Goodbye."
    assert ended.hangs_up


def test_only_the_newest_undialled_transfer_of_this_call_is_pending(
    make_call: Callable[..., CallSimulator], ana: Caller, clock: FakeClock
) -> None:
    call, _ = streaming_call(make_call)
    other, _ = streaming_call(make_call)
    gateway_transfers(other, ana, "support")
    gateway_transfers(call, ana, "support")
    clock.advance(5)
    newest = gateway_transfers(call, ana, "sales")
    assert call.stream_ends().sip_uri == (
        f"sip:2002@pbx.example.com?X-Convonet-Transfer-Id={newest}"
    )


# Bad input ---------------------------------------------------------------------------------

PATH = "/twilio/voice/after_stream?t=ab12"
FORM = {"CallSid": "CA" + "a" * 32, "From": ANA_PHONE, "To": "+14155550199"}


def signed(params: dict[str, str], url: str = PUBLIC + PATH) -> dict[str, str]:
    validator = RequestValidator("dev-only-twilio-auth-token")
    return {"X-Twilio-Signature": validator.compute_signature(url, params)}


def test_unsigned_or_tampered_requests_are_refused(phone_http: httpx.Client) -> None:
    assert phone_http.post(PATH, data=FORM).status_code == 403
    tampered = {**FORM, "CallSid": "CA" + "b" * 32}
    refused = phone_http.post(PATH, data=tampered, headers=signed(FORM))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "invalid_signature"
    assert phone_http.post(PATH, data=FORM, headers=signed(FORM)).status_code == 200


def test_malformed_oversized_and_json_requests_are_refused(phone_http: httpx.Client) -> None:
    bad = {**FORM, "CallSid": "not-a-sid"}
    assert phone_http.post(PATH, data=bad, headers=signed(bad)).status_code == 422
    nonce = "/twilio/voice/after_stream?t=%3Cscript%3E"
    answer = phone_http.post(nonce, data=FORM, headers=signed(FORM, PUBLIC + nonce))
    assert answer.status_code == 422
    huge = {**FORM, "Padding": "x" * 70_000}
    assert phone_http.post(PATH, data=huge, headers=signed(huge)).status_code == 413
    as_json = phone_http.post(
        PATH,
        content=json.dumps(FORM),
        headers={"Content-Type": "application/json", **signed(FORM)},
    )
    assert as_json.status_code == 415
