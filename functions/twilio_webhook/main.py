"""twilio_webhook: Twilio's voice and SMS webhooks at /twilio/voice.

Incoming call (`/twilio/voice`), PIN (`/pin`), conversation turns (`/turn`), the end of a
media stream (`/after_stream`), end of call (`/status`), call recordings (`/recording`),
voicemail (`/voicemail`) and inbound SMS STOP/START (`/sms`). Every such request must carry
Twilio's signature for our public URL and is answered once: a retried request gets the first
TwiML. `GET /audio/<id>` serves a synthesised reply (PHONE_TTS=play) to Twilio's `<Play>`
behind our own signed, expiring URL. Light: the agent is reached over HTTP (AGENT_URL), so no
model SDK or LangGraph is imported here.
"""

from __future__ import annotations

from convonet.process import function_imports

with function_imports():
    from typing import Annotated, Literal

    import flask
    import functions_framework
    from convonet.http import ApiRequest, HttpApi
    from convonet.observability import start_component
    from convonet.telephony import conversation, sms, twiml
    from convonet.telephony.audio_store import WAV_TYPE, open_signed_clip
    from convonet.telephony.webhook import answer_twilio, replay_key
    from pydantic import BaseModel, ConfigDict, Field

start_component("twilio_webhook")

api = HttpApi(
    "twilio_webhook",
    title="Convonet Twilio voice webhooks",
    prefixes=("/twilio/voice",),
    description="Signed Twilio webhooks: calls, PIN, conversation turns, status, SMS opt-out.",
)

Sid = Annotated[str, Field(pattern=r"^CA[0-9a-fA-F]{32}$")]
Number = Annotated[str, Field(max_length=64)]
RecordingLink = Annotated[str, Field(pattern=r"^https?://", max_length=2048)]


class _TwilioForm(BaseModel):
    """Twilio posts many parameters; the ones read are typed, the rest are signed and ignored."""

    model_config = ConfigDict(extra="allow")


class CallForm(_TwilioForm):
    CallSid: Sid
    From: Number | None = None
    To: Number | None = None


class PinForm(CallForm):
    Digits: Annotated[str, Field(max_length=32)] = ""
    SpeechResult: Annotated[str, Field(max_length=500)] = ""


class TurnForm(CallForm):
    SpeechResult: Annotated[str, Field(max_length=2000)] = ""


class StatusForm(CallForm):
    CallStatus: Annotated[str, Field(max_length=32)]
    CallDuration: Annotated[int, Field(ge=0)] | None = None


class RecordingForm(CallForm):
    RecordingUrl: RecordingLink | None = None


class SmsForm(_TwilioForm):
    MessageSid: Annotated[str, Field(pattern=r"^(SM|MM)[0-9a-fA-F]{32}$")]
    From: Number
    Body: Annotated[str, Field(max_length=1600)] = ""


class _NonceQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    t: Annotated[str, Field(pattern=r"^[0-9a-f]{1,32}$")] | None = None


class TurnQuery(_NonceQuery):
    offer: Literal["transfer", "voicemail"] | None = None


class AudioQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exp: Annotated[int, Field(ge=0, lt=2**40)]
    sig: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


def _pin_again() -> str:
    return twiml.ask_pin(conversation.PIN_PROMPT)


def _sorry_goodbye() -> str:
    return twiml.say_and_hang_up(twiml.REFUSAL)


def _goodbye() -> str:
    return twiml.say_and_hang_up(twiml.GOODBYE)


@api.post("/", body=CallForm, body_format="form")
def incoming(req: ApiRequest) -> flask.Response:
    """An incoming call: greet a known caller by name, else ask for the voice PIN."""
    form: CallForm = req.body
    return answer_twilio(
        req.raw,
        lambda budget: conversation.incoming_call(form.CallSid, form.From, form.To, budget),
        fallback=_pin_again,
    )


@api.post("/pin", body=PinForm, query=_NonceQuery, body_format="form")
def pin(req: ApiRequest) -> flask.Response:
    """The PIN, typed (`Digits`) or spoken (`SpeechResult`); repeated failures lock it."""
    form: PinForm = req.body
    return answer_twilio(
        req.raw,
        lambda budget: conversation.pin_entered(
            form.CallSid, form.From, form.Digits, form.SpeechResult, budget
        ),
        fallback=_pin_again,
    )


@api.post("/turn", body=TurnForm, query=TurnQuery, body_format="form")
def turn(req: ApiRequest) -> flask.Response:
    """One conversation turn: the caller's words to the assistant, its answer back."""
    form: TurnForm = req.body
    query: TurnQuery = req.query
    key = replay_key(req.raw)
    return answer_twilio(
        req.raw,
        lambda budget: conversation.conversation_turn(
            form.CallSid, form.SpeechResult, query.offer, budget, key
        ),
        fallback=twiml.offer_transfer,
    )


@api.post("/after_stream", body=CallForm, query=_NonceQuery, body_format="form")
def after_stream(req: ApiRequest) -> flask.Response:
    """The media stream ended: dial the transfer the voice gateway prepared, or say goodbye."""
    form: CallForm = req.body
    return answer_twilio(
        req.raw, lambda _: conversation.stream_ended(form.CallSid), fallback=_goodbye
    )


@api.get("/audio/{audio_id}", query=AudioQuery)
def audio(req: ApiRequest) -> flask.Response:
    """A synthesised reply for `<Play>`; an altered or expired link is refused (403)."""
    query: AudioQuery = req.query
    wav = open_signed_clip(req.path_params["audio_id"], query.exp, query.sig)
    return flask.Response(wav, mimetype=WAV_TYPE, headers={"Cache-Control": "private"})


@api.post("/status", body=StatusForm, body_format="form")
def status(req: ApiRequest) -> flask.Response:
    """Twilio's status callback: the call ended (completed, busy, failed, no-answer...)."""
    form: StatusForm = req.body
    return answer_twilio(
        req.raw,
        lambda _: conversation.call_ended(form.CallSid, form.CallStatus, form.CallDuration),
        fallback=twiml.empty,
    )


@api.post("/recording", body=RecordingForm, body_format="form")
def recording(req: ApiRequest) -> flask.Response:
    """The call's recording is ready (CALL_RECORDING): link it to the call record."""
    form: RecordingForm = req.body
    return answer_twilio(
        req.raw,
        lambda _: conversation.recording_ready(form.CallSid, form.RecordingUrl or ""),
        fallback=twiml.empty,
    )


@api.post("/voicemail", body=RecordingForm, body_format="form")
def voicemail(req: ApiRequest) -> flask.Response:
    """A voicemail after a missed transfer: attach it to the callback request."""
    form: RecordingForm = req.body
    return answer_twilio(
        req.raw,
        lambda _: conversation.voicemail_left(form.CallSid, form.RecordingUrl or ""),
        fallback=_sorry_goodbye,
    )


@api.post("/sms", body=SmsForm, body_format="form")
def inbound_sms(req: ApiRequest) -> flask.Response:
    """An SMS to our number: STOP opts the sender out of every text, START opts back in."""
    form: SmsForm = req.body
    return answer_twilio(
        req.raw,
        lambda _: sms.inbound(form.From, form.Body),
        fallback=twiml.empty_message_reply,
    )


@functions_framework.http
def twilio_webhook(request: flask.Request) -> flask.Response:
    return api.handle(request)
