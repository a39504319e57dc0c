"""The browser voice protocol at /webrtc/ws: every client and server frame as a pydantic model.

Frames are JSON text `{"type": ..., ...}`. Client frames are validated on receipt through one
discriminated union (`parse_client_frame`); unknown fields are refused so a typo is an error,
not a silent no-op. Server frames carry the server-issued `session_id` (None before
authentication). A client frame may repeat `session_id`; one naming another session is
refused, so no client can act on a session it does not hold.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

Language = Literal["en", "ko"]
ProviderName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
# base64 of the largest audio chunk a message may carry (the socket limit applies first).
_MAX_B64 = 1_000_000


class _ClientFrame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    session_id: Annotated[str, Field(max_length=64)] | None = None


class Authenticate(_ClientFrame):
    type: Literal["authenticate"]
    pin: Annotated[str, Field(max_length=16)] | None = None
    token: Annotated[str, Field(max_length=4096)] | None = None
    resume_token: Annotated[str, Field(max_length=4096)] | None = None

    @model_validator(mode="after")
    def _one_credential(self) -> Authenticate:
        given = [v for v in (self.pin, self.token, self.resume_token) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of pin, token, resume_token")
        return self


class StartRecording(_ClientFrame):
    type: Literal["start_recording"]
    mode: Literal["batch", "streaming"] = "batch"
    encoding: Literal["pcm16", "webm"] = "pcm16"
    sample_rate: Annotated[int, Field(ge=8000, le=48000)] = 16000
    language: Language = "en"


class AudioChunkIn(_ClientFrame):
    type: Literal["audio_chunk"]
    seq: Annotated[int, Field(ge=0)]
    data_b64: Annotated[str, Field(max_length=_MAX_B64)]


class StopRecording(_ClientFrame):
    type: Literal["stop_recording"]


class TextIn(_ClientFrame):
    type: Literal["text"]
    text: Annotated[str, Field(min_length=1, max_length=2000)]


class Cancel(_ClientFrame):
    type: Literal["cancel"]


class VoiceProviders(_ClientFrame):
    type: Literal["voice_providers"]
    stt: ProviderName | None = None
    tts: ProviderName | None = None
    llm: ProviderName | None = None


class Heartbeat(_ClientFrame):
    type: Literal["heartbeat"]
    ts_ms: int | None = None


ClientFrame = Annotated[
    Authenticate
    | StartRecording
    | AudioChunkIn
    | StopRecording
    | TextIn
    | Cancel
    | VoiceProviders
    | Heartbeat,
    Field(discriminator="type"),
]
CLIENT_TYPES = frozenset(
    ("authenticate", "start_recording", "audio_chunk", "stop_recording")
    + ("text", "cancel", "voice_providers", "heartbeat")
)
_CLIENT_ADAPTER: TypeAdapter[ClientFrame] = TypeAdapter(ClientFrame)


class ProtocolError(ValueError):
    """A frame the session cannot accept; `code` goes into the `error` frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_client_frame(raw: str | bytes) -> ClientFrame:
    """One client frame, or ProtocolError (`invalid_json`, `unknown_type`, `invalid_message`)."""
    try:
        data: Any = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # deep nesting is not a message
        raise ProtocolError("invalid_json", "The message is not valid JSON.") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ProtocolError("invalid_message", 'A message is a JSON object with a "type".')
    if data["type"] not in CLIENT_TYPES:
        raise ProtocolError("unknown_type", f"Unknown message type {data['type'][:40]!r}.")
    try:
        return _CLIENT_ADAPTER.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or data["type"]
        raise ProtocolError("invalid_message", f"{where}: {first['msg']}") from None


# Server frames --------------------------------------------------------------------------------


class ServerFrame(BaseModel):
    session_id: str | None = None


class AuthOk(ServerFrame):
    type: Literal["auth_ok"] = "auth_ok"
    user_id: str
    user_name: str
    resume_token: str


class AuthFailed(ServerFrame):
    type: Literal["auth_failed"] = "auth_failed"
    reason: str
    retry_after_s: int | None = None


class Greeting(ServerFrame):
    type: Literal["greeting"] = "greeting"
    text: str


class Status(ServerFrame):
    """`stage`: recording, transcribing, thinking, tool, speaking, ready, providers, draining,
    goodbye. `ready`, `providers` and `draining` carry the session's single-use `resume_token`
    (the newest issued, with at least half of VOICE_RESUME_TTL_S left); `tool` names the tool
    being run."""

    type: Literal["status"] = "status"
    stage: str
    resume_token: str | None = None
    tool: str | None = None


class ProcessingStart(ServerFrame):
    type: Literal["processing_start"] = "processing_start"
    ts: str
    turn_id: str


class TranscriptPartial(ServerFrame):
    type: Literal["transcript_partial"] = "transcript_partial"
    text: str


class TranscriptFinal(ServerFrame):
    type: Literal["transcript_final"] = "transcript_final"
    text: str


class AgentDelta(ServerFrame):
    type: Literal["agent_delta"] = "agent_delta"
    text: str
    turn_id: str


class AgentFinal(ServerFrame):
    type: Literal["agent_final"] = "agent_final"
    text: str
    turn_id: str
    transfer: dict[str, Any] | None = None


# An audio_chunk frame's empty audio as pydantic serialises it (compact JSON).
_EMPTY_AUDIO = '"data_b64":""'


class AudioChunkOut(ServerFrame):
    type: Literal["audio_chunk"] = "audio_chunk"
    seq: int
    data_b64: str
    mime_type: str
    sample_rate: int
    is_final: bool
    turn_id: str

    def json_with_audio(self, data_b64: str) -> str:
        """This frame (its `data_b64` empty) as JSON, carrying `data_b64`. Base64 needs no
        escaping, so the audio is put into the serialised frame instead of being validated
        and scanned by pydantic: a half-second frame costs 8 us instead of 43, for every
        piece of audio a turn sends."""
        text = self.model_dump_json()
        cut = text.index(_EMPTY_AUDIO) + len(_EMPTY_AUDIO) - 1
        return text[:cut] + data_b64 + text[cut:]


class Timing(ServerFrame):
    type: Literal["timing"] = "timing"
    turn_id: str
    waterfall: dict[str, float | None]


class SipDetails(BaseModel):
    uri: str
    ws_url: str | None
    username: str
    password: str
    expires_at: str


class Transfer(ServerFrame):
    type: Literal["transfer"] = "transfer"
    transfer_id: str
    department: str
    extension: str
    sip: SipDetails


class ErrorFrame(ServerFrame):
    type: Literal["error"] = "error"
    code: str
    message: str
