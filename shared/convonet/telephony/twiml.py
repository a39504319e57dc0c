"""TwiML for every answer the phone functions give, built with Twilio's own VoiceResponse.

Action URLs are absolute public URLs (the ones Twilio signs when it posts back). Every
conversational `<Gather>` action carries a fresh `t` nonce, so two turns that happen to say
the same words are still two requests, while Twilio's retry of one turn is the same request.
"""

from __future__ import annotations

import secrets
from typing import Literal
from urllib.parse import urlencode

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Gather, VoiceResponse

from convonet.telephony.signature import public_base_url

Offer = Literal["transfer", "voicemail"]

VOICE_PREFIX = "/twilio/voice"
TURN_PATH = f"{VOICE_PREFIX}/turn"
PIN_PATH = f"{VOICE_PREFIX}/pin"
RECORDING_PATH = f"{VOICE_PREFIX}/recording"
VOICEMAIL_PATH = f"{VOICE_PREFIX}/voicemail"
AFTER_STREAM_PATH = f"{VOICE_PREFIX}/after_stream"
AUDIO_PATH = f"{VOICE_PREFIX}/audio"
TRANSFER_CALLBACK_PATH = "/twilio/transfer_callback"
MEDIA_PATH = "/twilio/media"

LANGUAGE = "en-US"
_GATHER_TIMEOUT_S = 6
_PIN_TIMEOUT_S = 10
_VOICEMAIL_MAX_S = 120

STILL_THERE = "Are you still there? Tell me what you need, or say goodbye."
GOODBYE = "Thank you for calling Convonet. Goodbye."
APOLOGY = (
    "I'm sorry, that is taking me longer than it should. "
    "Would you like me to transfer you to a person?"
)
CONNECT_FAILED = (
    "I'm sorry, I couldn't connect you. Would you like to leave a voicemail for a call back?"
)
REFUSAL = "I'm sorry, I can't verify you right now. Please try again later. Goodbye."
RECORDING_DISCLOSURE = "This call is recorded and transcribed to help us serve you."


def public(path: str, **query: str) -> str:
    """The absolute public URL of one of our paths (what Twilio requests and signs)."""
    url = public_base_url() + path
    return f"{url}?{urlencode(query)}" if query else url


def turn_url(offer: Offer | None = None) -> str:
    query = {"t": secrets.token_hex(6)}
    if offer:
        query["offer"] = offer
    return public(TURN_PATH, **query)


def _response(*, recording: bool = False) -> VoiceResponse:
    response = VoiceResponse()
    if recording:
        response.say(RECORDING_DISCLOSURE, language=LANGUAGE)
        response.start().recording(
            recording_status_callback=public(RECORDING_PATH),
            recording_status_callback_event="completed",
        )
    return response


def _speech_gather(action: str) -> Gather:
    return Gather(
        input="speech",
        action=action,
        method="POST",
        speech_timeout="auto",
        timeout=_GATHER_TIMEOUT_S,
        barge_in=True,
        language=LANGUAGE,
    )


def _speak(target: VoiceResponse | Gather, text: str, audio_url: str | None) -> None:
    if audio_url:
        target.play(audio_url)
    elif text:
        target.say(text, language=LANGUAGE)


def reply(
    text: str,
    *,
    audio_url: str | None = None,
    offer: Offer | None = None,
    recording: bool = False,
) -> str:
    """Say (or play) the reply while listening; silence comes back as an empty turn."""
    response = _response(recording=recording)
    gather = _speech_gather(turn_url(offer))
    _speak(gather, text, audio_url)
    response.append(gather)
    response.redirect(turn_url(), method="POST")
    return str(response)


def still_there() -> str:
    """The second silence in a row ends the call politely."""
    response = VoiceResponse()
    gather = _speech_gather(turn_url())
    gather.say(STILL_THERE, language=LANGUAGE)
    response.append(gather)
    response.say(GOODBYE, language=LANGUAGE)
    response.hangup()
    return str(response)


def ask_pin(text: str, *, recording: bool = False) -> str:
    """Keypad or spoken PIN; '#' ends typing early."""
    response = _response(recording=recording)
    gather = Gather(
        input="dtmf speech",
        action=public(PIN_PATH, t=secrets.token_hex(6)),
        method="POST",
        finish_on_key="#",
        timeout=_PIN_TIMEOUT_S,
        speech_timeout="auto",
        language=LANGUAGE,
        hints="one, two, three, four, five, six, seven, eight, nine, zero",
    )
    gather.say(text, language=LANGUAGE)
    response.append(gather)
    response.say(GOODBYE, language=LANGUAGE)
    response.hangup()
    return str(response)


def say_and_hang_up(text: str) -> str:
    response = VoiceResponse()
    response.say(text, language=LANGUAGE)
    response.hangup()
    return str(response)


def hang_up() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)


def empty() -> str:
    """For callbacks whose answer Twilio ignores (status, recordings)."""
    return str(VoiceResponse())


def offer_transfer(text: str = APOLOGY) -> str:
    """Over budget or failed: apologise and offer a person; 'yes' transfers at once."""
    return reply(text, offer="transfer")


def offer_voicemail(text: str = CONNECT_FAILED) -> str:
    """After a missed transfer: back to the assistant; 'yes' records a voicemail."""
    return reply(text, offer="voicemail")


def dial_agent(text: str, sip_uri: str, transfer_id: str, timeout_s: int) -> str:
    """One `<Dial>` to the agent's SIP extension; its outcome comes to transfer_callback."""
    response = VoiceResponse()
    response.say(text, language=LANGUAGE)
    dial = response.dial(
        answer_on_bridge=True,
        timeout=timeout_s,
        action=public(TRANSFER_CALLBACK_PATH, transfer_id=transfer_id),
        method="POST",
    )
    dial.sip(sip_uri)
    return str(response)


def record_voicemail(text: str) -> str:
    response = VoiceResponse()
    response.say(text, language=LANGUAGE)
    response.record(
        action=public(VOICEMAIL_PATH),
        method="POST",
        max_length=_VOICEMAIL_MAX_S,
        play_beep=True,
        finish_on_key="#",
    )
    response.say(GOODBYE, language=LANGUAGE)
    response.hangup()
    return str(response)


def media_stream(
    call_token: str,
    *,
    greeting_text: str = "",
    audio_url: str | None = None,
    recording: bool = False,
) -> str:
    """Hand the call to the voice gateway's media-stream endpoint; when the stream ends
    (the gateway closed it for a transfer or a goodbye), Twilio asks `after_stream` what next."""
    response = _response(recording=recording)
    _speak(response, greeting_text, audio_url)
    ws_base = public_base_url().replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    connect = response.connect(
        action=public(AFTER_STREAM_PATH, t=secrets.token_hex(6)), method="POST"
    )
    stream = connect.stream(url=ws_base + MEDIA_PATH)
    stream.parameter(name="call_token", value=call_token)
    return str(response)


def empty_message_reply() -> str:
    """An inbound SMS answered with nothing (Twilio sends the carrier's STOP/START notices)."""
    return str(MessagingResponse())
