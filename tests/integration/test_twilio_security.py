"""Every Twilio endpoint refuses unsigned, tampered and wrong-URL requests (403), and malformed,
oversized and wrongly encoded ones (422 / 413 / 415); a replayed request does nothing twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from convonet.telephony.simulator import CallSimulator
from twilio.request_validator import RequestValidator

pytestmark = pytest.mark.usefixtures("migrated_db", "use_local_state", "clock")

PUBLIC = "http://127.0.0.1:8080"
CALL_SID = "CA" + "a" * 32
CALL = {"CallSid": CALL_SID, "From": "+14155550177", "To": "+14155550199"}
ENDPOINTS = [
    ("/twilio/voice", CALL),
    ("/twilio/voice/pin?t=ab", {**CALL, "Digits": "1234"}),
    ("/twilio/voice/turn?t=ab", {**CALL, "SpeechResult": "hello"}),
    ("/twilio/voice/status", {**CALL, "CallStatus": "completed", "CallDuration": "3"}),
    ("/twilio/voice/recording", {**CALL, "RecordingUrl": "https://api.twilio.com/r/RE1"}),
    ("/twilio/voice/voicemail", {**CALL, "RecordingUrl": "https://api.twilio.com/r/RE2"}),
    (
        "/twilio/voice/sms",
        {"MessageSid": "SM" + "b" * 32, "From": "+14155550177", "Body": "STOP"},
    ),
    (
        "/twilio/transfer_callback?transfer_id=" + "c" * 32,
        {**CALL, "DialCallStatus": "busy"},
    ),
]
IDS = [path.split("?")[0] for path, _ in ENDPOINTS]


def signature(url: str, params: dict[str, str]) -> dict[str, str]:
    validator = RequestValidator("dev-only-twilio-auth-token")
    return {"X-Twilio-Signature": validator.compute_signature(url, params)}


@pytest.mark.parametrize(("path", "params"), ENDPOINTS, ids=IDS)
def test_only_requests_signed_for_our_public_url_pass(
    phone_http: httpx.Client,
    configure: Callable[..., object],
    path: str,
    params: dict[str, str],
) -> None:
    def post(data: dict[str, str], headers: dict[str, str]) -> httpx.Response:
        return phone_http.post(path, data=data, headers=headers)

    assert post(params, {}).status_code == 403
    assert post(params, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}).status_code == 403
    tampered = {**params, "From": "+14155550100"}
    refused = post(tampered, signature(PUBLIC + path, params))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "invalid_signature"
    assert post(params, signature("https://elsewhere.example.com" + path, params)).status_code == (
        403
    )
    signed = post(params, signature(PUBLIC + path, params))
    assert signed.status_code == 200, signed.text
    assert signed.headers["content-type"].startswith("text/xml")

    configure(PUBLIC_BASE_URL="https://voice.example.com")
    assert post(params, signature(PUBLIC + path, params)).status_code == 403, "request.url"
    public = post(params, signature("https://voice.example.com" + path, params))
    assert public.status_code == 200


@pytest.mark.parametrize(("path", "params"), ENDPOINTS, ids=IDS)
def test_malformed_oversized_and_json_bodies_are_refused(
    phone_http: httpx.Client, path: str, params: dict[str, str]
) -> None:
    sid_key = "MessageSid" if "MessageSid" in params else "CallSid"
    bad = {**params, sid_key: "not-a-sid"}
    malformed = phone_http.post(path, data=bad, headers=signature(PUBLIC + path, bad))
    assert malformed.status_code == 422
    assert malformed.json()["error"]["code"] == "validation_error"

    huge = {**params, "Padding": "x" * 70_000}
    oversized = phone_http.post(path, data=huge, headers=signature(PUBLIC + path, huge))
    assert oversized.status_code == 413

    as_json = phone_http.post(
        path,
        content=json.dumps(params),
        headers={"Content-Type": "application/json", **signature(PUBLIC + path, params)},
    )
    assert as_json.status_code == 415


def test_query_nonces_and_transfer_ids_are_checked(phone_http: httpx.Client) -> None:
    for path in ("/twilio/voice/turn?t=zz%3Cscript", "/twilio/transfer_callback?transfer_id=1"):
        params = {**CALL, "SpeechResult": "hi", "DialCallStatus": "busy"}
        answer = phone_http.post(path, data=params, headers=signature(PUBLIC + path, params))
        assert answer.status_code == 422


def test_health_and_openapi(phone_http: httpx.Client) -> None:
    assert phone_http.get("/twilio/voice/healthz").json() == {
        "status": "ok",
        "function": "twilio_webhook",
    }
    paths = set(phone_http.get("/twilio/voice/openapi.json").json()["paths"])
    assert {"/twilio/voice", "/twilio/voice/turn", "/twilio/voice/sms"} <= paths
    assert phone_http.get("/twilio/transfer_callback/healthz").status_code == 200


def test_a_replayed_incoming_call_opens_one_call(
    make_call: Callable[..., CallSimulator],
) -> None:
    from convonet.db.engine import session_scope
    from convonet.db.models import CallRecord
    from sqlalchemy import func, select

    call = make_call("+14155550177")
    first = call.start()
    again = call.retry()
    assert again.text == first.text
    with session_scope() as session:
        count = session.scalar(select(func.count()).where(CallRecord.call_sid == call.call_sid))
    assert count == 1
