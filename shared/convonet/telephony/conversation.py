"""The phone conversation, one Twilio webhook at a time: greet, verify, talk, transfer, end.

Each function takes what Twilio posted (already signature-checked and deduplicated by
convonet.telephony.webhook) and returns the TwiML to answer with. A known caller number is
greeted by name; anyone else gives their voice PIN by keypad or voice, with failures counted
per caller number and per call (PIN_MAX_FAILURES within PIN_LOCKOUT_WINDOW_S locks both).
Every turn runs the agent within what is left of the webhook budget; an overrun or failure is
an apology with an offer of a person, and "yes" to that offer transfers at once. With
PHONE_TTS=play the greeting and the answers are played in the configured TTS voice.
In TWILIO_MODE=stream the voice gateway holds the conversation; when its media stream ends,
`stream_ended` dials the transfer the gateway prepared, if any, or says goodbye.
"""

from __future__ import annotations

import logging
import re
from typing import Literal

from convonet.auth.users import pin_limiter, user_for_pin
from convonet.config import get_settings
from convonet.telephony import calls, twiml
from convonet.telephony.agent_client import AgentUnavailable, PhoneTurn, ask_agent
from convonet.telephony.calls import PhoneCall
from convonet.telephony.reply_audio import reply_audio_url
from convonet.telephony.transfer import (
    PreparedTransfer,
    attach_voicemail,
    claim_dial,
    department_extension,
    pending_transfer_for_call,
    prepare_transfer,
    record_outcome,
)
from convonet.telephony.webhook import Budget

log = logging.getLogger(__name__)

PIN_PROMPT = "Welcome to Convonet. Please enter or say your voice PIN, then press pound."
PIN_RETRY = "Sorry, that PIN didn't match. Please try again."
NO_PIN = "I didn't get a PIN. Please enter or say your voice PIN, then press pound."
VOICEMAIL_PROMPT = "After the tone, leave your message, then press pound or hang up."
VOICEMAIL_THANKS = "Thank you. Your message has been saved and we will call you back. Goodbye."
MISSED = (
    "I'm sorry, nobody in {department} could take your call right now. "
    "I've asked them to call you back at this number. "
    "Would you like to leave a voicemail, or is there anything else I can help with?"
)
TRANSFERRING = "Transferring you to {department} now. Please hold."
CONNECTING = "Please hold while I connect you to {department}."
TIMEOUT_REASON = "The assistant could not answer in time and the caller accepted a person."

_DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "one": "1",
    "won": "1",
    "two": "2",
    "to": "2",
    "too": "2",
    "three": "3",
    "four": "4",
    "for": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "ate": "8",
    "nine": "9",
}
_WORDS = re.compile(r"[a-z]+|\d")
_YES = frozenset(
    {"yes", "yeah", "yep", "yup", "sure", "please", "ok", "okay", "correct", "absolutely"}
)
_GOODBYES = frozenset(
    {"goodbye", "bye", "bye bye", "good bye", "that's all", "that is all", "hang up", "no thanks"}
)


# Incoming call and PIN -------------------------------------------------------------------


def incoming_call(call_sid: str, from_raw: str | None, to_raw: str | None, budget: Budget) -> str:
    settings = get_settings()
    call = calls.open_call(call_sid, from_raw, to_raw)
    if _locked(call):
        return twiml.say_and_hang_up(twiml.REFUSAL)
    if call.user_id is None:
        return twiml.ask_pin(PIN_PROMPT, recording=settings.call_recording)
    return _welcome(call, budget, recording=settings.call_recording)


def pin_entered(
    call_sid: str, from_raw: str | None, digits: str, speech: str, budget: Budget
) -> str:
    call = calls.load_call(call_sid) or calls.open_call(call_sid, from_raw, None)
    if call.user_id is not None:
        return _welcome(call, budget)
    if _locked(call):
        return twiml.say_and_hang_up(twiml.REFUSAL)
    pin = spoken_pin(digits or speech)
    if not pin:
        return twiml.ask_pin(NO_PIN)
    user_id = user_for_pin(pin)
    if user_id is None:
        return _wrong_pin(call)
    limiter = pin_limiter()
    for subject in _pin_sources(call):
        limiter.reset(subject)
    return _welcome(calls.authenticate(call, user_id), budget)


def spoken_pin(text: str) -> str:
    """'1234', '1 2 3 4#' or 'one two three four' -> '1234'; other words are ignored."""
    tokens = _WORDS.findall(text.lower())
    return "".join(t if t.isdigit() else _DIGIT_WORDS.get(t, "") for t in tokens)


def _welcome(call: PhoneCall, budget: Budget, *, recording: bool = False) -> str:
    assert call.user_id is not None
    greeting = f"Hi {call.first_name}, this is Convonet. How can I help you today?"
    calls.add_lines(call, ("assistant", greeting))
    audio_url = reply_audio_url(greeting, budget)
    if get_settings().twilio_mode == "stream":
        from convonet.telephony.stream_token import issue_stream_token

        token = issue_stream_token(call.user_id, call.call_sid)
        return twiml.media_stream(
            token, greeting_text=greeting, audio_url=audio_url, recording=recording
        )
    return twiml.reply(greeting, audio_url=audio_url, recording=recording)


def _wrong_pin(call: PhoneCall) -> str:
    limiter = pin_limiter()
    locked = [limiter.record_failure(subject) for subject in _pin_sources(call)]
    if any(lock is not None for lock in locked):
        log.warning("voice PIN locked for call %s", call.call_sid)
        return twiml.say_and_hang_up(twiml.REFUSAL)
    return twiml.ask_pin(PIN_RETRY)


def _pin_sources(call: PhoneCall) -> list[str]:
    """A PIN source is the caller's number and the call itself (numbers can be withheld)."""
    sources = [f"call:{call.call_sid}"]
    if call.from_e164:
        sources.append(f"phone:{call.from_e164}")
    return sources


def _locked(call: PhoneCall) -> bool:
    limiter = pin_limiter()
    return any(limiter.retry_after_s(subject) is not None for subject in _pin_sources(call))


# Conversation ----------------------------------------------------------------------------


def conversation_turn(
    call_sid: str,
    speech: str,
    offer: Literal["transfer", "voicemail"] | None,
    budget: Budget,
    turn_key: str,
) -> str:
    call = calls.load_call(call_sid)
    if call is None or call.user_id is None:
        return twiml.ask_pin(PIN_PROMPT)
    text = " ".join(speech.split())
    if not text:
        return twiml.still_there()
    if _is_goodbye(text):
        calls.add_lines(call, ("user", text), ("assistant", twiml.GOODBYE))
        return twiml.say_and_hang_up(twiml.GOODBYE)
    if offer and _is_yes(text):
        return _accept_offer(call, text, offer)
    turn = PhoneTurn(call.user_id, call.call_sid, text, call.from_e164, call.user_name)
    try:
        answer = ask_agent(turn, budget.remaining(), f"{call_sid}:{turn_key}")
    except AgentUnavailable as exc:
        log.warning("call %s: agent unavailable (%s)", call_sid, exc)
        calls.add_lines(call, ("user", text), ("assistant", twiml.APOLOGY))
        return twiml.offer_transfer()
    calls.add_lines(call, ("user", text), ("assistant", answer.text))
    if answer.transfer:
        return _transfer(call, answer.transfer, answer.text)
    return twiml.reply(answer.text, audio_url=reply_audio_url(answer.text, budget))


def _accept_offer(call: PhoneCall, text: str, offer: Literal["transfer", "voicemail"]) -> str:
    if offer == "voicemail":
        calls.add_lines(call, ("user", text), ("assistant", VOICEMAIL_PROMPT))
        return twiml.record_voicemail(VOICEMAIL_PROMPT)
    department, extension = department_extension("support")
    calls.add_lines(call, ("user", text))
    transfer = {"department": department, "extension": extension, "reason": TIMEOUT_REASON}
    return _transfer(call, transfer, "")


def _transfer(call: PhoneCall, asked: dict[str, str], said: str) -> str:
    prepared = prepare_transfer(
        department=str(asked.get("department") or "support"),
        reason=str(asked.get("reason") or ""),
        extension=asked.get("extension"),
        user_id=call.user_id,
        call_sid=call.call_sid,
        caller_phone=call.from_e164,
        conversation=calls.transcript(call.record_id),
    )
    calls.mark_transferred(call, prepared.transfer_id)
    return _dial(prepared, said.strip() or TRANSFERRING.format(department=prepared.department))


def _dial(transfer: PreparedTransfer, text: str) -> str:
    timeout = get_settings().transfer_dial_timeout_s
    return twiml.dial_agent(text, transfer.sip_uri, transfer.transfer_id, timeout)


def _is_yes(text: str) -> bool:
    words = _WORDS.findall(text.lower())
    return bool(words) and words[0] in _YES


def _is_goodbye(text: str) -> bool:
    return text.lower().strip(" .!?,") in _GOODBYES


# End of a media stream, transfer outcome, recordings, end of call --------------------------


def stream_ended(call_sid: str) -> str:
    """The gateway ended the media stream: dial its pending transfer once, else say goodbye."""
    transfer = pending_transfer_for_call(call_sid)
    if transfer is None or not claim_dial(transfer.transfer_id):
        return twiml.say_and_hang_up(twiml.GOODBYE)
    call = calls.load_call(call_sid)
    if call is not None and call.transfer_id != transfer.transfer_id:
        calls.mark_transferred(call, transfer.transfer_id)
    return _dial(transfer, CONNECTING.format(department=transfer.department))


def transfer_result(transfer_id: str, dial_status: str) -> str:
    """After the `<Dial>`: a connected call ends; a missed one comes back to the assistant."""
    outcome, context = record_outcome(transfer_id, dial_status)
    if outcome == "completed":
        return twiml.hang_up()
    department = str((context or {}).get("department") or "support")
    text = MISSED.format(department=department)
    call = calls.load_call(str((context or {}).get("call_sid") or ""))
    if call is not None:
        calls.set_status(call.call_sid, "in_progress")
        calls.add_lines(call, ("assistant", text))
    return twiml.offer_voicemail(text)


def voicemail_left(call_sid: str, recording_url: str) -> str:
    call = calls.load_call(call_sid)
    if call is not None and call.transfer_id and recording_url:
        attach_voicemail(call.transfer_id, recording_url)
    return twiml.say_and_hang_up(VOICEMAIL_THANKS)


def recording_ready(call_sid: str, recording_url: str) -> str:
    if recording_url:
        calls.set_recording(call_sid, recording_url)
    return twiml.empty()


def call_ended(call_sid: str, call_status: str, duration_s: int | None) -> str:
    calls.end_call(call_sid, call_status, duration_s)
    return twiml.empty()
