"""The Twilio media-stream transport: /twilio/media over the same VoiceSession as the browser.

Twilio sends `connected`, `start` (its customParameters carry the `call_token` the
twilio_webhook signed: the verified user and the CallSid), `media` (mu-law 8 kHz, base64),
`mark` (a label we sent has been played), `dtmf` and `stop`. We send `media` (mu-law 8 kHz) with
a `mark` after each sentence, and `clear` the moment the caller barges in; the conversation then
keeps only the sentences whose marks came back. DTMF: any key while the assistant speaks
interrupts it; digits followed by `#` are said as a turn. `stop` or a closed socket (hang-up)
ends everything the call started.

Every frame goes through `parse_media_message` (pure, no I/O): a typed event, or one
`MediaStreamError` saying why. A binary or oversized frame is not Twilio and ends the stream
(1008, 1009); any other unusable frame is logged and skipped, as are events we do not know.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from convonet.config import get_settings
from convonet.voice import protocol as p
from convonet.voice.audio import PHONE_RATE, mulaw_decode, mulaw_encode
from convonet.voice.gateway import get_gateway
from convonet.voice.pipeline import SpokenAudio
from convonet.voice.session import CLOSE_POLICY, CLOSE_RESTART, CLOSE_TOO_BIG, VoiceSession

log = logging.getLogger(__name__)

_MARK_SEPARATOR = ":"
_MAX_SEQUENCE_DIGITS = 18


# Parsing Twilio's frames ---------------------------------------------------------------------


class MediaStreamError(ValueError):
    """A frame we cannot use. `close_code` is set when the frame ends the stream (binary or
    oversized: not Twilio); `event` names the event a malformed JSON object claimed to be."""

    def __init__(
        self, reason: str, *, event: str | None = None, close_code: int | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.event = event
        self.close_code = close_code


def _sequence(value: object) -> int | None:
    """Twilio numbers frames with decimal strings; any other value counts as no number, so a
    frame is never refused for it (nothing depends on it)."""
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if text.isascii() and text.isdigit() and len(text) <= _MAX_SEQUENCE_DIGITS:
        return int(text)
    return None


def _base64(value: object) -> bytes:
    """Media payloads are base64 text; decoding here makes a bad one a parse error."""
    if not isinstance(value, str):
        raise ValueError("payload is not base64 text")  # noqa: TRY004 - pydantic wants ValueError
    return base64.b64decode(value)


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Event(_Model):
    sequenceNumber: Annotated[int | None, BeforeValidator(_sequence)] = None  # noqa: N815


class ConnectedEvent(_Event):
    event: Literal["connected"]


class MediaFormat(_Model):
    encoding: str = "audio/x-mulaw"
    sampleRate: int = PHONE_RATE  # noqa: N815 - Twilio's field name


class StartInfo(_Model):
    callSid: str  # noqa: N815
    streamSid: str | None = None  # noqa: N815
    customParameters: dict[str, str] = {}  # noqa: N815, RUF012 - pydantic copies defaults
    mediaFormat: MediaFormat = MediaFormat()  # noqa: N815


class StartEvent(_Event):
    event: Literal["start"]
    streamSid: str  # noqa: N815
    start: StartInfo


class MediaPayload(_Model):
    payload: Annotated[bytes, BeforeValidator(_base64)]  # the mu-law bytes, decoded
    track: str = "inbound"


class MediaEvent(_Event):
    event: Literal["media"]
    media: MediaPayload


class MarkEvent(_Event):
    event: Literal["mark"]
    mark: dict[str, str]


class DtmfEvent(_Event):
    event: Literal["dtmf"]
    dtmf: dict[str, str]


class StopEvent(_Event):
    event: Literal["stop"]


class UnknownEvent(_Event):
    """An event we do not handle (or a frame naming none): skipped once the call has started."""

    event: str


KnownEvent = Annotated[
    ConnectedEvent | StartEvent | MediaEvent | MarkEvent | DtmfEvent | StopEvent,
    Field(discriminator="event"),
]
TwilioEvent = KnownEvent | UnknownEvent
_KNOWN_ADAPTER: TypeAdapter[KnownEvent] = TypeAdapter(KnownEvent)
KNOWN_EVENTS = frozenset({"connected", "start", "media", "mark", "dtmf", "stop"})


def parse_media_message(raw: str | bytes, max_chars: int) -> TwilioEvent:
    """One media-stream frame as a typed event, or MediaStreamError (never another error)."""
    if isinstance(raw, bytes):
        raise MediaStreamError("binary frame", close_code=CLOSE_POLICY)
    if len(raw) > max_chars:
        raise MediaStreamError("frame too big", close_code=CLOSE_TOO_BIG)
    try:
        data: Any = json.loads(raw)
    except (ValueError, RecursionError):
        raise MediaStreamError("not JSON") from None
    if not isinstance(data, dict):
        raise MediaStreamError("not a JSON object")
    kind = data.get("event")
    if kind not in KNOWN_EVENTS:
        name = kind if isinstance(kind, str) else ""
        return UnknownEvent(event=name, sequenceNumber=data.get("sequenceNumber"))
    try:
        return _KNOWN_ADAPTER.validate_python(data)
    except ValidationError as exc:
        first = exc.errors(include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"][1:])
        raise MediaStreamError(f"{kind} {where}: {first['msg']}", event=kind) from None


# The call ----------------------------------------------------------------------------------


class TwilioSink:
    """Speaks Twilio's media-stream protocol; the session's JSON frames have no phone
    equivalent and are only logged at debug level."""

    heard_on_send = False
    output_rate: int | None = PHONE_RATE

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.session_id: str | None = None
        self.stream_sid = ""
        self._lock = asyncio.Lock()
        self._open = True

    async def send(self, frame: p.ServerFrame) -> None:
        log.debug("phone session frame %s", frame.model_dump(exclude={"session_id"}))

    async def play(self, turn_id: str, piece: SpokenAudio) -> None:
        if piece.pcm16:
            payload = base64.b64encode(mulaw_encode(piece.pcm16)).decode()
            await self._send({"event": "media", "media": {"payload": payload}})
        if piece.last:
            name = f"{turn_id}{_MARK_SEPARATOR}{piece.sentence}"
            await self._send({"event": "mark", "mark": {"name": name}})

    async def end_audio(self, turn_id: str) -> None:
        """Each sentence already ended with its mark."""

    async def clear(self) -> None:
        await self._send({"event": "clear"})

    async def close(self, code: int, reason: str) -> None:
        async with self._lock:
            if self._open:
                self._open = False
                with contextlib.suppress(Exception):
                    await self.websocket.close(code, reason)

    async def _send(self, event: dict[str, Any]) -> None:
        async with self._lock:
            if self._open:
                try:
                    await self.websocket.send_text(
                        json.dumps({**event, "streamSid": self.stream_sid})
                    )
                except (WebSocketDisconnect, RuntimeError, OSError):
                    self._open = False


class _Call:
    """One media stream: Twilio's events in, the session driven."""

    def __init__(self, session: VoiceSession, sink: TwilioSink, max_chars: int) -> None:
        self.session = session
        self.sink = sink
        self.max_chars = max_chars
        self.digits = ""

    async def handle(self, raw: str | bytes) -> bool:
        """False when the stream is over (stop, a frame that is not Twilio's, or a start that
        cannot be trusted). Before `start` Twilio sends only `connected`."""
        self.session.touch()
        try:
            event = parse_media_message(raw, self.max_chars)
        except MediaStreamError as exc:
            return await self._unusable(exc)
        if isinstance(event, StartEvent):
            return await self._start(event)
        if self.session.identity is None:
            return isinstance(event, ConnectedEvent)
        if isinstance(event, MediaEvent):
            await self._media(event)
        elif isinstance(event, MarkEvent):
            self._mark(event)
        elif isinstance(event, DtmfEvent):
            await self._dtmf(event)
        return not isinstance(event, StopEvent)

    async def _unusable(self, exc: MediaStreamError) -> bool:
        """Close on a frame that is not Twilio's; skip a malformed one, unless it names an
        event other than `start` before the call has started (that ends the stream, as the
        well-formed event would)."""
        if exc.close_code is not None:
            await self.session.close(exc.close_code, "bad message")
            return False
        log.warning("unreadable media-stream event on call %s: %s", self.session.call_sid, exc)
        return self.session.identity is not None or exc.event in (None, "start")

    async def _start(self, event: StartEvent) -> bool:
        from convonet.auth.tokens import TokenError
        from convonet.telephony.stream_token import PARAMETER, verify_stream_token
        from convonet.voice import access

        if self.session.identity is not None:
            return True
        self.sink.stream_sid = event.streamSid
        audio = event.start.mediaFormat
        if audio.encoding != "audio/x-mulaw" or audio.sampleRate != PHONE_RATE:
            await self.session.close(CLOSE_POLICY, "only mu-law 8 kHz is supported")
            return False
        token = event.start.customParameters.get(PARAMETER, "")
        try:
            user_id, call_sid = verify_stream_token(token)
        except TokenError as exc:
            log.warning("media stream refused: %s", exc.code)
            await self.session.close(CLOSE_POLICY, "invalid call token")
            return False
        identity = await asyncio.to_thread(access.load_identity, user_id)
        if call_sid != event.start.callSid or identity is None:
            await self.session.close(CLOSE_POLICY, "call token does not match")
            return False
        self.session.call_sid = call_sid
        language: Literal["en", "ko"] = "ko" if identity.locale.startswith("ko") else "en"
        state = access.SessionState(call_sid, identity.user_id, "phone", language)
        greet = event.start.customParameters.get("greet", "1") != "0"
        await self.session.start(identity, state, greet=greet)
        start = p.StartRecording(
            type="start_recording",
            mode="streaming",
            encoding="pcm16",
            sample_rate=PHONE_RATE,
            language=language,
        )
        await self.session.handle(start)
        return True

    async def _media(self, event: MediaEvent) -> None:
        if event.media.track not in ("inbound", "inbound_track"):
            return
        await self.session.feed_audio(mulaw_decode(event.media.payload))

    def _mark(self, event: MarkEvent) -> None:
        turn_id, _, sentence = event.mark.get("name", "").partition(_MARK_SEPARATOR)
        if sentence.isdigit():
            self.session.played(turn_id, int(sentence))

    async def _dtmf(self, event: DtmfEvent) -> None:
        digit = event.dtmf.get("digit", "")
        if self.session.speaking():
            await self.session.interrupt()
        if digit == "#":
            typed, self.digits = self.digits, ""
            if typed:
                await self.session.handle(p.TextIn(type="text", text=" ".join(typed)))
        elif digit.isdigit() or digit == "*":
            self.digits = (self.digits + digit)[-32:]


async def media_endpoint(websocket: WebSocket) -> None:
    gateway = get_gateway()
    await websocket.accept()
    sink = TwilioSink(websocket)
    if gateway.draining:
        await sink.close(CLOSE_RESTART, "draining")
        return
    peer = websocket.client.host if websocket.client is not None else "unknown"
    session = gateway.open(sink, peer=peer, channel="phone")
    call = _Call(session, sink, get_settings().voice_max_message_bytes)
    try:
        while not session.closed:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if not await call.handle(text if text is not None else message.get("bytes") or b""):
                await session.close(1000, "call ended")
                return
    finally:
        await gateway.release(session)
