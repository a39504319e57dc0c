"""A phone call without a phone: posts the webhooks Twilio would, signed as Twilio signs them.

`CallSimulator` plays the caller's side against the local stack (`make dev`, or a Flask app in
tests through an httpx WSGI transport): it starts the call, presses keys, speaks (Twilio's
speech recognition result), stays silent, reports a transfer's outcome, hangs up, and follows
the TwiML it gets back exactly as Twilio would (Gather actions, Redirects, the Dial action, the
Connect action when a media stream ends).
Every request is signed with the real `twilio` RequestValidator for the public URL in the
TwiML, so the webhook's signature check runs as in production. `public_url` is the stack's
public URL (default: PUBLIC_BASE_URL, or its dev default). `retry()` resends the last
request with the same `I-Twilio-Idempotency-Token`, as Twilio does after a timeout.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from twilio.request_validator import RequestValidator

from convonet.config import get_settings
from convonet.telephony.signature import SIGNATURE_HEADER, public_base_url
from convonet.telephony.webhook import IDEMPOTENCY_HEADER

ACCOUNT_SID = "AC" + "0" * 32


@dataclass(frozen=True)
class TwimlAnswer:
    """A webhook's answer, with the TwiML verbs a test or a person wants to look at."""

    status: int
    text: str
    root: ET.Element | None = None

    @classmethod
    def parse(cls, response: httpx.Response) -> TwimlAnswer:
        root = None
        if response.headers.get("content-type", "").startswith("text/xml"):
            root = ET.fromstring(response.text)  # noqa: S314 - TwiML from our own stack
        return cls(response.status_code, response.text, root)

    def _all(self, tag: str) -> list[ET.Element]:
        return [] if self.root is None else list(self.root.iter(tag))

    def _first(self, tag: str) -> ET.Element | None:
        found = self._all(tag)
        return found[0] if found else None

    @property
    def says(self) -> list[str]:
        return [element.text or "" for element in self._all("Say")]

    @property
    def spoken(self) -> str:
        return " ".join(self.says)

    @property
    def plays(self) -> list[str]:
        return [element.text or "" for element in self._all("Play")]

    @property
    def gather(self) -> ET.Element | None:
        return self._first("Gather")

    @property
    def redirect(self) -> str | None:
        element = self._first("Redirect")
        return element.text if element is not None else None

    @property
    def dial(self) -> ET.Element | None:
        return self._first("Dial")

    @property
    def sip_uri(self) -> str | None:
        element = self._first("Sip")
        return element.text if element is not None else None

    @property
    def record(self) -> ET.Element | None:
        return self._first("Record")

    @property
    def stream(self) -> ET.Element | None:
        return self._first("Stream")

    @property
    def stream_parameters(self) -> dict[str, str]:
        return {p.get("name", ""): p.get("value", "") for p in self._all("Parameter")}

    @property
    def hangs_up(self) -> bool:
        return self._first("Hangup") is not None


@dataclass
class CallSimulator:
    """One simulated call from `caller` to `called` against the stack at `base_url`."""

    base_url: str
    http: httpx.Client
    caller: str = "+14155550100"
    called: str = "+14155550199"
    auth_token: str | None = None
    public_url: str | None = None
    call_sid: str = field(default_factory=lambda: "CA" + secrets.token_hex(16))
    last: TwimlAnswer | None = None
    log: list[tuple[str, str]] = field(default_factory=list)
    _last_request: tuple[str, dict[str, str], str] | None = None

    # The caller's actions ----------------------------------------------------------------

    def start(self) -> TwimlAnswer:
        """The phone rings: Twilio posts the incoming call."""
        return self.post(self._public() + "/twilio/voice", {"CallStatus": "ringing"})

    def press(self, digits: str) -> TwimlAnswer:
        self.log.append(("caller", f"[keys {digits}]"))
        return self.post(self._action("Gather"), {"Digits": digits})

    def say(self, text: str, confidence: float = 0.92) -> TwimlAnswer:
        self.log.append(("caller", text))
        speech = {"SpeechResult": text, "Confidence": f"{confidence:.2f}"}
        return self.post(self._action("Gather"), speech)

    def silence(self) -> TwimlAnswer:
        """Say nothing: Twilio falls through the Gather to the next verb (a Redirect)."""
        self.log.append(("caller", "[silence]"))
        target = self._answer().redirect
        if target is None:
            raise AssertionError("the last answer has no Redirect to follow")
        return self.post(target, {})

    def stream_ends(self) -> TwimlAnswer:
        """The media stream closed (the gateway ended it): Twilio requests the Connect action."""
        self.log.append(("network", "[media stream ended]"))
        return self.post(self._action("Connect"), {})

    def dial_outcome(self, status: str, duration_s: int = 0) -> TwimlAnswer:
        """How the transfer's `<Dial>` ended: completed, busy, no-answer, failed."""
        self.log.append(("network", f"[dial {status}]"))
        params = {"DialCallStatus": status, "DialCallDuration": str(duration_s)}
        if status == "completed":
            params["DialCallSid"] = "CA" + secrets.token_hex(16)
        return self.post(self._action("Dial"), params)

    def leave_voicemail(self, recording_url: str, duration_s: int = 12) -> TwimlAnswer:
        self.log.append(("caller", "[voicemail]"))
        params = {
            "RecordingUrl": recording_url,
            "RecordingSid": "RE" + secrets.token_hex(16),
            "RecordingDuration": str(duration_s),
        }
        return self.post(self._action("Record"), params)

    def hang_up(self, duration_s: int = 60) -> TwimlAnswer:
        """The call ended: Twilio's status callback."""
        self.log.append(("caller", "[hangs up]"))
        params = {"CallStatus": "completed", "CallDuration": str(duration_s)}
        return self.post(self._public() + "/twilio/voice/status", params)

    def retry(self) -> TwimlAnswer:
        """Twilio's retry of the last request: same URL, parameters and idempotency token."""
        if self._last_request is None:
            raise AssertionError("nothing to retry")
        url, params, token = self._last_request
        return self._send(url, params, token)

    def text_message(self, body: str) -> TwimlAnswer:
        """An SMS from the caller's number to ours (STOP / START)."""
        params = {
            "MessageSid": "SM" + secrets.token_hex(16),
            "AccountSid": ACCOUNT_SID,
            "From": self.caller,
            "To": self.called,
            "Body": body,
        }
        return self._send(self._public() + "/twilio/voice/sms", params, secrets.token_hex(8))

    # Wire ----------------------------------------------------------------------------------

    def sign(self, url: str, params: dict[str, str]) -> str:
        token = self.auth_token or get_settings().secret("twilio_auth_token")
        signature: str = RequestValidator(token).compute_signature(url, params)
        return signature

    def post(self, url: str, extra: dict[str, str]) -> TwimlAnswer:
        """Post the call's parameters plus `extra` to `url`, signed, as Twilio would."""
        params = {**self._call_params(), **extra}
        return self._send(url, params, secrets.token_hex(8))

    def _send(self, url: str, params: dict[str, str], token: str) -> TwimlAnswer:
        self._last_request = (url, params, token)
        parts = urlsplit(url)
        target = self.base_url.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {SIGNATURE_HEADER: self.sign(url, params), IDEMPOTENCY_HEADER: token}
        answer = TwimlAnswer.parse(self.http.post(target, data=params, headers=headers))
        self.last = answer
        if answer.says:
            self.log.append(("assistant", answer.spoken))
        return answer

    def _call_params(self) -> dict[str, str]:
        return {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "From": self.caller,
            "Caller": self.caller,
            "To": self.called,
            "Called": self.called,
        }

    def _public(self) -> str:
        """The URL Twilio would call: `public_url`, else PUBLIC_BASE_URL (or its dev default)."""
        return (self.public_url or public_base_url()).rstrip("/")

    def _answer(self) -> TwimlAnswer:
        if self.last is None:
            raise AssertionError("the call has not started")
        return self.last

    def _action(self, verb: str) -> str:
        element = self._answer()._first(verb)
        action = element.get("action") if element is not None else None
        if not action:
            raise AssertionError(f"the last answer has no {verb} to answer: {self._answer().text}")
        return action


def describe(log: list[tuple[str, str]]) -> str:
    """The call as a readable script."""
    return "\n".join(f"{who:>9}: {what}" for who, what in log)
