"""The voice session state machine, shared by the browser socket and the Twilio media stream.

A session is driven by client frames (`receive`) and a periodic `tick`, and talks back only
through a `VoiceSink`, so it runs the same behind /webrtc/ws, /twilio/media, a test or a bench:

    connected --authenticate--> ready --start_recording--> recording --stop / VAD--> turn
    turn: STT final -> agent (streamed) -> each finished sentence to TTS -> audio -> ready

- Batch (push-to-talk) buffers the utterance until `stop_recording`; streaming (hands-free)
  feeds a live STT session and the VAD, streams partials, and ends the utterance on silence.
- Barge-in (`cancel`, or the user talking over the assistant with at least
  VOICE_BARGE_IN_MIN_WORDS words): the sink is cleared at once, TTS stops, no more audio of that
  turn leaves, the model's remaining output is discarded, and the conversation keeps only what
  was heard (sent, for the browser; acknowledged by marks, for the phone). Tool calls already
  made stay made and are never repeated (the ledger).
- Silence: after VOICE_STILL_THERE_S the assistant asks whether the user is still there; after
  VOICE_SILENCE_HANGUP_S it says goodbye and ends the session. A socket that sends nothing for
  VOICE_IDLE_TIMEOUT_S is closed. All of these are read through the injectable clock.
- Every turn sends a `timing` waterfall and records it in the monitor, off the hot path.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from convonet.clock import get_clock
from convonet.config import get_settings
from convonet.voice import access
from convonet.voice import protocol as p
from convonet.voice.pipeline import (
    OFFLINE_ENGINE,
    AgentPort,
    SentenceSpeaker,
    SpokenAudio,
    Waterfall,
    speech_factories,
)

if TYPE_CHECKING:
    from convonet.agent.turn import TurnRequest
    from convonet.speech.base import Language, SpeechToText, SttStream, TextToSpeech
    from convonet.voice.audio import Resampler

log = logging.getLogger(__name__)

Channel = Literal["voice", "phone"]

GREETING = "Hi {name}, this is Convonet. What can I help you with today?"
STILL_THERE = "Are you still there?"
GOODBYE = "I haven't heard from you in a while, so I'll hang up now. Goodbye!"
NOT_HEARD = "Sorry, I could not hear that. Please try again."
APOLOGY = "I'm sorry, I'm having trouble with that right now. Please try again in a moment."

CONVERSATION_LINES = 50

CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_RESTART = 1012
CLOSE_REPLACED = 4001


class VoiceSink(Protocol):
    """Where a session's output goes: a browser socket, a Twilio stream, a test."""

    heard_on_send: bool
    """True when audio handed over counts as heard (browser); False when the transport
    confirms playback itself and calls `VoiceSession.played` (Twilio marks)."""

    output_rate: int | None
    """The sample rate the transport plays (None: the TTS engine's own)."""

    session_id: str | None
    """Set by the session once it has one, for the frames the sink builds itself."""

    async def send(self, frame: p.ServerFrame) -> None: ...

    async def play(self, turn_id: str, piece: SpokenAudio) -> None: ...

    async def end_audio(self, turn_id: str) -> None: ...

    async def clear(self) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...


class Endpointer(Protocol):
    """Voice-activity detection over PCM16 at one rate: `feed` returns (speech started in this
    audio, utterance ended in this audio)."""

    def feed(self, pcm16: bytes) -> tuple[bool, bool]: ...


EndpointerFactory = Callable[[int], Endpointer]


@dataclass
class _Recording:
    mode: Literal["batch", "streaming"]
    encoding: Literal["pcm16", "webm"]
    sample_rate: int
    language: Language
    raw: bytearray = field(default_factory=bytearray)
    pcm_seconds: float = 0.0
    stt_rate: int = 16000
    resampler: Resampler | None = None
    last_seq: int = -1
    decoded_bytes: int = 0
    stt: SttStream | None = None
    vad: Endpointer | None = None
    reader: asyncio.Task[None] | None = None
    finals: list[str] = field(default_factory=list)
    partial: str = ""
    in_speech: bool = False


@dataclass
class _Turn:
    turn_id: str
    speaker: SentenceSpeaker
    waterfall: Waterfall
    agent_driven: bool
    silence_prompt: bool = False
    heard: int = 0
    audio_s: float = 0.0
    """Seconds of audio handed to the transport so far."""
    playing_since: float | None = None
    cut: bool = False
    speaking: asyncio.Task[None] | None = None
    thinking: asyncio.Task[None] | None = None
    request: TurnRequest | None = None
    interaction_id: str = ""
    """The agent's id of this turn (its monitor record); the turn id until it answers."""

    def __post_init__(self) -> None:
        self.interaction_id = self.interaction_id or self.turn_id

    def heard_text(self) -> str:
        return " ".join(self.speaker.sentences[: self.heard])


class VoiceSession:
    def __init__(
        self,
        sink: VoiceSink,
        agent: AgentPort,
        *,
        peer: str,
        channel: Channel = "voice",
        endpointer: EndpointerFactory | None = None,
        on_authenticated: Callable[[VoiceSession], Awaitable[None]] | None = None,
    ) -> None:
        self.sink = sink
        self.agent = agent
        self.peer = peer
        self.channel = channel
        self.connection_id = uuid.uuid4().hex
        self.session_id: str | None = None
        self.identity: access.Identity | None = None
        self.state: access.SessionState | None = None
        self.closed = False
        self.call_sid: str | None = None
        self.conversation: deque[dict[str, str]] = deque(maxlen=CONVERSATION_LINES)
        self._endpointer = endpointer or default_endpointer
        self._on_authenticated = on_authenticated
        self._recording: _Recording | None = None
        self._turn: _Turn | None = None
        self._playback_progress = asyncio.Event()
        self._leaving_after: _Turn | None = None
        self._settling: asyncio.Task[None] | None = None
        self._speaking: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._errors = 0
        self._rate_window = -1
        self._rate_count = 0
        clock = get_clock()
        self._last_frame_at = clock.monotonic()
        self._last_user_at = clock.monotonic()
        self._asked_still_there = False
        self._ending = False
        self._stt: SpeechToText | None = None
        self._tts: TextToSpeech | None = None
        self._resume_token: str | None = None
        self._resume_issued_at = 0.0
        self._saved_state: dict[str, Any] = {}

    # Input ------------------------------------------------------------------------------------

    def touch(self) -> None:
        """The client is still there (any message counts against the idle timeout)."""
        self._last_frame_at = get_clock().monotonic()

    async def receive(self, raw: str | bytes) -> None:
        """One client message: rate-limited, validated, dispatched; bad ones get `error`."""
        if self.closed:
            return
        self.touch()
        if not await self._within_rate():
            return
        try:
            frame = p.parse_client_frame(raw)
        except p.ProtocolError as exc:
            await self.refuse(exc.code, exc.message)
            return
        if frame.session_id is not None and frame.session_id != self.session_id:
            await self.refuse("session_mismatch", "That is not this connection's session.")
            return
        await self.handle(frame)

    async def handle(self, frame: p.ClientFrame) -> None:
        if isinstance(frame, p.Heartbeat):
            return
        if isinstance(frame, p.Authenticate):
            await self._authenticate(frame)
            return
        if self.identity is None:
            await self._error("auth_required", "Authenticate first.")
            return
        if isinstance(frame, p.TextIn):
            await self._user_said(frame.text.strip(), Waterfall(), spoken=False)
        elif isinstance(frame, p.StartRecording):
            await self._start_recording(frame)
        elif isinstance(frame, p.AudioChunkIn):
            await self._audio(frame)
        elif isinstance(frame, p.StopRecording):
            await self._stop_recording()
        elif isinstance(frame, p.Cancel):
            await self.interrupt()
        elif isinstance(frame, p.VoiceProviders):
            await self._choose_providers(frame)

    async def _within_rate(self) -> bool:
        limit = get_settings().voice_max_messages_per_s
        window = int(get_clock().monotonic())
        if window != self._rate_window:
            self._rate_window, self._rate_count = window, 0
        self._rate_count += 1
        if self._rate_count > 2 * limit:
            await self.close(CLOSE_POLICY, "message rate")
            return False
        if self._rate_count > limit:
            await self._error("rate_limited", "Too many messages; slow down.")
            return False
        return True

    async def refuse(self, code: str, message: str) -> None:
        """A bad message: an `error`, and the socket closed (1008) once they add up."""
        self._errors += 1
        if self._errors > get_settings().voice_max_protocol_errors:
            await self.close(CLOSE_POLICY, "too many bad messages")
            return
        await self._error(code, message)

    # Authentication ---------------------------------------------------------------------------

    async def _authenticate(self, frame: p.Authenticate) -> None:
        if self.identity is not None:
            await self._error("already_authenticated", "This connection is already signed in.")
            return
        resumed = frame.resume_token is not None
        try:
            identity, state = await asyncio.to_thread(self._verify, frame)
        except access.AccessDenied as denied:
            await self._send(p.AuthFailed(reason=denied.reason, retry_after_s=denied.retry_after_s))
            return
        await self.start(identity, state, greet=not resumed)

    def _verify(self, frame: p.Authenticate) -> tuple[access.Identity, access.SessionState]:
        if frame.resume_token is not None:
            return access.resume_session(frame.resume_token)
        if frame.pin is not None:
            sources = (f"ip:{self.peer}", f"connection:{self.connection_id}")
            identity = access.identity_for_pin(frame.pin, sources)
        else:
            identity = access.identity_for_token(frame.token or "")
        state = access.SessionState(
            session_id=access.new_session_id(),
            user_id=identity.user_id,
            channel=self.channel,
            language="ko" if identity.locale.startswith("ko") else "en",
        )
        return identity, state

    async def start(
        self, identity: access.Identity, state: access.SessionState, *, greet: bool
    ) -> None:
        """Open the session for a verified user (the phone path arrives here verified)."""
        self.identity, self.state, self.session_id = identity, state, state.session_id
        self.sink.session_id = state.session_id
        resume_token = await self._save_session()
        self._last_user_at = get_clock().monotonic()
        if self._on_authenticated is not None:
            await self._on_authenticated(self)
        await self._send(
            p.AuthOk(
                user_id=identity.user_id, user_name=identity.user_name, resume_token=resume_token
            )
        )
        if greet:
            text = GREETING.format(name=identity.user_name.split(" ")[0])
            await self._send(p.Greeting(text=text))
            self._begin_spoken_text(text)
        else:
            await self._send(p.Status(stage="ready"))

    # Providers --------------------------------------------------------------------------------

    async def _choose_providers(self, frame: p.VoiceProviders) -> None:
        assert self.state is not None
        chosen = {k: v for k, v in (("stt", frame.stt), ("tts", frame.tts)) if v is not None}
        try:
            engines = {kind: self._build_engine(kind, name) for kind, name in chosen.items()}
            if frame.llm is not None:
                chosen["llm"] = _llm_provider(frame.llm)
        except ValueError as exc:
            await self._error("unknown_provider", str(exc))
            return
        self._stt = engines.get("stt", self._stt)
        self._tts = engines.get("tts", self._tts)
        self.state.providers.update(chosen)
        token = await self._save_session()  # the stored state changed: the old token is retired
        await self._send(p.Status(stage="providers", resume_token=token))

    def _build_engine(self, kind: str, name: str | None) -> Any:
        from convonet.speech.base import SpeechProviderError

        factories = speech_factories()
        try:
            return factories.stt(name) if kind == "stt" else factories.tts(name)
        except SpeechProviderError as exc:
            raise ValueError(f"Unknown {kind} provider {name!r}.") from exc

    def stt(self) -> SpeechToText:
        if self._stt is None:
            self._stt = self._build_engine("stt", self._provider("stt"))
        return self._stt

    def tts(self) -> TextToSpeech:
        if self._tts is None:
            self._tts = self._build_engine("tts", self._provider("tts"))
        return self._tts

    def _provider(self, kind: str) -> str | None:
        return self.state.providers.get(kind) if self.state is not None else None

    # Recording --------------------------------------------------------------------------------

    async def _start_recording(self, frame: p.StartRecording) -> None:
        await self._drop_recording()
        assert self.state is not None
        self.state.language = frame.language
        recording = _Recording(frame.mode, frame.encoding, frame.sample_rate, frame.language)
        self._recording = recording
        self._last_user_at = get_clock().monotonic()
        self._asked_still_there = False
        if frame.mode == "streaming":
            await self._open_stream(recording)
        await self._send(p.Status(stage="recording"))

    async def _open_stream(self, recording: _Recording) -> None:
        from convonet.voice.audio import STT_RATE, Resampler
        from convonet.voice.vad import SUPPORTED_RATES

        rate = recording.sample_rate
        if recording.encoding == "webm" or rate not in SUPPORTED_RATES:
            rate = STT_RATE
        if recording.encoding == "pcm16" and rate != recording.sample_rate:
            recording.resampler = Resampler(recording.sample_rate, rate)
        recording.stt_rate = rate
        recording.stt = await self.stt().stream(rate, recording.language)
        recording.vad = self._endpointer(rate)
        recording.reader = self._spawn(self._read_transcripts(recording))

    async def _audio(self, frame: p.AudioChunkIn) -> None:
        recording = self._recording
        if recording is None:
            await self._error("not_recording", "Send start_recording first.")
            return
        if frame.seq <= recording.last_seq:
            await self._error("out_of_order", f"Chunk {frame.seq} is late or repeated.")
            return
        try:
            data = base64.b64decode(frame.data_b64, validate=True)
        except (binascii.Error, ValueError):
            await self.refuse("invalid_audio", "data_b64 is not base64.")
            return
        if recording.encoding == "pcm16" and len(data) % 2:
            await self.refuse("invalid_audio", "PCM16 audio has an even byte count.")
            return
        recording.last_seq = frame.seq
        await self.feed_audio(data)

    async def feed_audio(self, data: bytes) -> None:
        """Audio of the current recording, as the client encodes it (the phone transport hands
        over its decoded PCM16 here)."""
        recording = self._recording
        if recording is None:
            return
        if recording.mode == "batch":
            recording.raw.extend(data)
            if recording.encoding == "pcm16":
                recording.pcm_seconds += len(data) / (2 * recording.sample_rate)
            if recording.pcm_seconds > get_settings().voice_max_utterance_s:
                await self._drop_recording()
                await self._error("utterance_too_long", "That was too long; please try again.")
            return
        await self._stream_audio(recording, data)

    async def _stream_audio(self, recording: _Recording, data: bytes) -> None:
        pcm = await self._new_pcm(recording, data)
        if not pcm or recording.stt is None or recording.vad is None:
            return
        await recording.stt.send(pcm)
        started, ended = recording.vad.feed(pcm)
        if started:
            recording.in_speech = True
            self._last_user_at = get_clock().monotonic()
            self._asked_still_there = False
        if recording.in_speech:
            recording.pcm_seconds += len(pcm) / (2 * recording.stt_rate)
        too_long = recording.pcm_seconds > get_settings().voice_max_utterance_s
        if recording.in_speech and (ended or too_long):
            await self._end_streamed_utterance(recording)

    async def _new_pcm(self, recording: _Recording, data: bytes) -> bytes:
        """The audio this chunk adds, as PCM16 (WebM is re-decoded from its start: a
        MediaRecorder chunk is not decodable on its own)."""
        if recording.encoding == "pcm16":
            return recording.resampler.feed(data) if recording.resampler else data
        from convonet.voice.audio import decode_webm_opus

        recording.raw.extend(data)
        try:
            pcm = await asyncio.to_thread(decode_webm_opus, bytes(recording.raw))
        except ValueError:
            return b""  # not enough of the container yet
        fresh = pcm[recording.decoded_bytes :]
        recording.decoded_bytes = len(pcm)
        return fresh

    async def _read_transcripts(self, recording: _Recording) -> None:
        assert recording.stt is not None
        min_words = get_settings().voice_barge_in_min_words
        async for transcript in recording.stt.transcripts():
            text = transcript.text.strip()
            if not text:
                continue
            if transcript.is_final:
                recording.finals.append(text)
                recording.partial = ""
            else:
                recording.partial = text
                await self._send(p.TranscriptPartial(text=text))
            heard_so_far = " ".join([*recording.finals, recording.partial])
            if self.speaking() and len(heard_so_far.split()) >= min_words:
                await self.interrupt()

    async def _end_streamed_utterance(self, recording: _Recording) -> None:
        """VAD heard the end: finish this STT session, take the turn, listen for the next."""
        waterfall = Waterfall()
        assert recording.stt is not None and recording.reader is not None
        stream, reader = recording.stt, recording.reader
        recording.stt = recording.reader = None
        await stream.finish()
        stt_started = time.perf_counter()
        await reader
        await stream.close()
        text = " ".join(recording.finals).strip()
        stt_ms = (time.perf_counter() - stt_started) * 1000
        fresh = _Recording(
            "streaming", recording.encoding, recording.sample_rate, recording.language
        )
        fresh.last_seq = recording.last_seq
        if recording.encoding == "webm":
            fresh.raw, fresh.decoded_bytes = recording.raw, recording.decoded_bytes
        self._recording = fresh
        await self._open_stream(fresh)
        await self._user_said(text, waterfall, stt_ms=stt_ms)

    async def _stop_recording(self) -> None:
        recording, self._recording = self._recording, None
        if recording is None:
            await self._error("not_recording", "There is no recording to stop.")
            return
        waterfall = Waterfall()
        if recording.mode == "streaming":
            if recording.stt is None:
                return
            assert recording.reader is not None
            await recording.stt.finish()
            await recording.reader
            await recording.stt.close()
            stt_ms = waterfall.since_t0()
            text = " ".join(recording.finals).strip()
            await self._user_said(text, waterfall, stt_ms=stt_ms)
            return
        self._spawn(self._transcribe_and_answer(recording, waterfall))

    async def _transcribe_and_answer(self, recording: _Recording, waterfall: Waterfall) -> None:
        await self._send(p.Status(stage="transcribing"))
        try:
            pcm, rate = await self._decoded(recording)
        except ValueError:
            await self._error("invalid_audio", "The audio could not be decoded.")
            return
        capture_ms = waterfall.since_t0()
        if len(pcm) / (2 * rate) > get_settings().voice_max_utterance_s:
            await self._error("utterance_too_long", "That was too long; please try again.")
            return
        from convonet.speech.base import SpeechProviderError

        try:
            transcript = await self._transcribe(pcm, rate, recording.language)
        except SpeechProviderError:
            log.exception("speech recognition failed in session %s", self.session_id)
            await self._error("stt_failed", NOT_HEARD)
            self._begin_spoken_text(NOT_HEARD)
            return
        stt_ms = waterfall.since_t0() - capture_ms
        await self._user_said(
            transcript.text.strip(), waterfall, capture_ms=capture_ms, stt_ms=stt_ms
        )

    async def _decoded(self, recording: _Recording) -> tuple[bytes, int]:
        if recording.encoding == "pcm16":
            return bytes(recording.raw), recording.sample_rate
        from convonet.voice.audio import STT_RATE, decode_webm_opus

        return await asyncio.to_thread(decode_webm_opus, bytes(recording.raw)), STT_RATE

    async def _drop_recording(self) -> None:
        recording, self._recording = self._recording, None
        if recording is not None and recording.stt is not None:
            if recording.reader is not None:
                recording.reader.cancel()
            with contextlib.suppress(Exception):
                await recording.stt.close()

    # Turns ------------------------------------------------------------------------------------

    async def _user_said(
        self,
        text: str,
        waterfall: Waterfall,
        *,
        spoken: bool = True,
        capture_ms: float = 0.0,
        stt_ms: float = 0.0,
    ) -> None:
        """A complete user turn (typed, or the final transcript of an utterance). Said over the
        assistant, a short utterance is a backchannel and changes nothing; typed text and
        longer speech interrupt it."""
        waterfall.values.update(capture_ms=round(capture_ms, 3), stt_ms=round(stt_ms, 3))
        if not text:
            await self._error("no_speech", "I didn't catch that. Please try again.")
            await self._send(p.Status(stage="ready"))
            return
        self._last_user_at = get_clock().monotonic()
        self._asked_still_there = False
        if self.speaking():
            if spoken and len(text.split()) < get_settings().voice_barge_in_min_words:
                return
            await self.interrupt()
        await self._send(p.TranscriptFinal(text=text))
        self.conversation.append({"role": "user", "content": text})
        self._begin_agent_turn(text, waterfall)

    def _begin_agent_turn(self, prompt: str, waterfall: Waterfall) -> None:
        turn = _Turn(uuid.uuid4().hex, self._speaker(), waterfall, agent_driven=True)
        turn.speaking = self._speaking = self._spawn(self._run_turn(turn, prompt))

    def _begin_spoken_text(self, text: str, *, silence_prompt: bool = False) -> _Turn:
        """Speak text that is not the agent's (greeting, silence prompts); bargeable. A silence
        prompt does not restart the silence it is about."""
        turn = _Turn(
            uuid.uuid4().hex,
            self._speaker(),
            Waterfall(),
            agent_driven=False,
            silence_prompt=silence_prompt,
        )
        turn.speaker.feed(text)
        turn.speaker.finish()
        turn.speaking = self._speaking = self._spawn(self._speak(turn))
        return turn

    def _speaker(self) -> SentenceSpeaker:
        language = self.state.language if self.state is not None else "en"
        return SentenceSpeaker(
            self.tts(),
            language,  # type: ignore[arg-type]
            self.sink.output_rate,
            fallback=self._offline_tts,
        )

    def _offline_tts(self) -> TextToSpeech:
        """The session's voice failed: speak with the offline voice from now on."""
        self._tts = self._build_engine("tts", OFFLINE_ENGINE)
        return self._tts

    async def _transcribe(self, pcm: bytes, rate: int, language: Language) -> Any:
        """A recogniser that fails is replaced by the offline one for the rest of the session."""
        from convonet.speech.base import SpeechProviderError

        engine = self.stt()
        try:
            return await engine.transcribe(pcm, rate, language)
        except SpeechProviderError as exc:
            if engine.name == OFFLINE_ENGINE:
                raise
            log.warning("recogniser %s failed (%s); falling back to offline", engine.name, exc)
            self._stt = self._build_engine("stt", OFFLINE_ENGINE)
            return await self._stt.transcribe(pcm, rate, language)

    async def _run_turn(self, turn: _Turn, prompt: str) -> None:
        previous = self._settling
        if previous is not None and not previous.done():
            await asyncio.wait([previous])  # however it ends (a cut-off turn is cancelled)
        turn.request = self._turn_request(turn, prompt)
        self._turn = turn
        await self._send(p.ProcessingStart(ts=get_clock().now().isoformat(), turn_id=turn.turn_id))
        if turn.cut:
            return
        turn.thinking = self._spawn(self._think(turn, turn.request))
        self._settling = turn.thinking
        await self._speak(turn)

    def _turn_request(self, turn: _Turn, prompt: str) -> TurnRequest:
        from convonet.agent.turn import TurnRequest

        assert self.identity is not None and self.state is not None
        return TurnRequest(
            user_id=self.identity.user_id,
            session_id=self.state.session_id,
            prompt=prompt,
            provider=self._llm_choice(),
            channel=self.channel,
            team_ids=self.identity.team_ids,
            roles=self.identity.roles,
            user_name=self.identity.user_name,
            interaction_id=turn.turn_id,
        )

    def _llm_choice(self) -> str:
        """The session's choice, else the user's setting (read at sign-in), else LLM_PROVIDER,
        so the turn itself never has to look the user up."""
        assert self.identity is not None and self.state is not None
        chosen = self.state.providers.get("llm") or self.identity.llm_provider
        return chosen or get_settings().llm_provider

    async def _think(self, turn: _Turn, request: TurnRequest) -> None:
        """Drive the agent: text to the speaker as it streams. A barge-in cancels this task,
        which closes the agent's stream: the model stops generating mid-answer and the agent
        stores what it had said, which `_settle_interrupted` then cuts to what was heard."""
        final: dict[str, Any] = {}
        try:
            async for name, data in self.agent.stream(request):
                if name == "delta" and not turn.cut:
                    turn.speaker.feed(data["text"])
                    if data.get("end"):  # the response's last sentence is complete
                        turn.speaker.flush()
                    if data["text"]:
                        await self._send(p.AgentDelta(text=data["text"], turn_id=turn.turn_id))
                elif name == "tool_call" and not turn.cut:
                    await self._send(p.Status(stage="tool", tool=data.get("name")))
                elif name == "final":
                    final = data
                    # The text is complete (its last sentence went at the `end` delta): the
                    # speaker learns it now, before the agent's bookkeeping runs.
                    turn.speaker.finish()
                    await asyncio.sleep(0)
                elif name == "error":
                    log.warning("agent error in turn %s: %s", turn.turn_id, data)
        except Exception:
            log.exception("agent turn %s failed", turn.turn_id)
            if not turn.speaker.sentences and not turn.cut:
                turn.speaker.feed(APOLOGY)
        finally:
            turn.speaker.finish()
        turn.waterfall.add_agent(final.get("timings") or {})
        turn.interaction_id = str(final.get("interaction_id") or turn.turn_id)
        if turn.cut:  # the interruption settles it
            return
        text = final.get("response") or " ".join(turn.speaker.sentences)
        self.conversation.append({"role": "assistant", "content": text})
        transfer = final.get("transfer")
        await self._send(p.AgentFinal(text=text, turn_id=turn.turn_id, transfer=transfer))
        if transfer:
            await self._send_transfer(transfer, turn)

    async def _settle_interrupted(self, turn: _Turn) -> None:
        """Once the agent has ended the turn (stored what it said), cut that to what was heard."""
        request = turn.request
        assert request is not None
        if turn.thinking is not None:
            await asyncio.wait([turn.thinking])
        heard = turn.heard_text()
        self.conversation.append({"role": "assistant", "content": heard})
        try:
            await self.agent.heard(
                request.user_id or "", request.session_id, turn.interaction_id, heard
            )
        except Exception as exc:  # noqa: BLE001 - an answer that was never stored has nothing to cut
            log.info("could not trim turn %s to what was heard: %s", turn.turn_id, exc)
        await self._send(p.AgentFinal(text=heard, turn_id=turn.turn_id))
        waterfall = await self._report_timing(turn)
        await self._record_timing(turn, waterfall)
        if self._turn is None:  # no newer turn has begun: the session is idle again
            await self._ready()

    async def _speak(self, turn: _Turn) -> None:
        """Play the turn's sentences as they are synthesised; a barge-in cancels this task."""
        self._turn = turn
        try:
            # Closed however this task ends (a barge-in cancels it), so the sentences still
            # being synthesised stop now rather than whenever the generator is collected.
            async with contextlib.aclosing(turn.speaker.audio()) as audio:
                async for piece in audio:
                    await self._play(turn, piece)
            if turn.thinking is not None:
                await asyncio.shield(turn.thinking)
            await self.sink.end_audio(turn.turn_id)
        except Exception:
            log.exception("speaking turn %s failed", turn.turn_id)
        await self._finish_turn(turn)

    async def _play(self, turn: _Turn, piece: SpokenAudio) -> None:
        await self._pace(turn)
        turn.audio_s += len(piece.pcm16) / (2 * piece.sample_rate)
        first = bool(piece.pcm16) and "first_audio_ms" not in turn.waterfall.values
        if first:
            queued = turn.speaker.first_sentence_at or time.perf_counter()
            tts_ms = (time.perf_counter() - queued) * 1000
            turn.waterfall.values["tts_first_byte_ms"] = round(tts_ms, 3)
        await self.sink.play(turn.turn_id, piece)
        if first:
            turn.waterfall.mark("first_audio_ms")
        if piece.last and self.sink.heard_on_send:
            turn.heard = piece.sentence + 1

    async def _pace(self, turn: _Turn) -> None:
        """Hand audio over no more than VOICE_PLAYBACK_LEAD_S ahead of real time, the way it
        plays: what was sent is then about what was heard when the user barges in, and the
        rest of the answer is never sent."""
        if turn.playing_since is None:
            turn.playing_since = time.perf_counter()
            return
        played = time.perf_counter() - turn.playing_since
        ahead = turn.audio_s - played - get_settings().voice_playback_lead_s
        if ahead > 0:
            await asyncio.sleep(ahead)

    async def _finish_turn(self, turn: _Turn) -> None:
        waterfall = await self._report_timing(turn)
        if not self.sink.heard_on_send:
            await self._until_played(turn)
        if not turn.silence_prompt:
            self._last_user_at = get_clock().monotonic()
        if self._turn is turn:
            self._turn = None
        self._signal_playback()
        await self._record_timing(turn, waterfall)
        if self._turn is None:  # no newer turn has begun meanwhile
            await self._ready()

    async def _until_played(self, turn: _Turn) -> None:
        """A phone plays what it was sent over seconds: the turn stays the one speaking (the
        caller can still barge in, and `clear` empties Twilio's buffer) until its marks come
        back, or its audio's length plus VOICE_PLAYBACK_GRACE_S has passed."""
        budget = turn.audio_s + get_settings().voice_playback_grace_s
        await self._wait_playback(
            lambda: turn.cut or turn.heard >= len(turn.speaker.sentences), budget
        )

    async def _wait_playback(self, done: Callable[[], bool], timeout_s: float) -> None:
        """Wait (at most `timeout_s`) until `done()`, re-checked whenever a mark comes back."""

        async def played_out() -> None:
            while not done():
                await self._playback_progress.wait()

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(played_out(), timeout_s)

    async def _ready(self) -> None:
        """Tell the client the session is idle, with its current resume token."""
        if self.state is not None and not self.closed:
            token = await self._resume_token_now()
            await self._send(p.Status(stage="ready", resume_token=token))

    async def _save_session(self) -> str:
        """Store the session's state; the fresh resume token it returns is the one held."""
        assert self.state is not None
        saved = self.state.doc("")
        token = await asyncio.to_thread(access.save_session, self.state)
        self._resume_token, self._resume_issued_at = token, get_clock().monotonic()
        self._saved_state = saved
        return token

    async def _resume_token_now(self) -> str:
        """The held resume token while it has more than half its lifetime left and the state
        it was saved with is unchanged, else a fresh save: the client always holds a token valid
        for at least VOICE_RESUME_TTL_S / 2, and a session that is idle again does not pay a
        store write and a signature every turn."""
        assert self.state is not None
        age = get_clock().monotonic() - self._resume_issued_at
        fresh = age < get_settings().voice_resume_ttl_s / 2
        if self._resume_token is None or not fresh or self.state.doc("") != self._saved_state:
            return await self._save_session()
        return self._resume_token

    async def _report_timing(self, turn: _Turn) -> dict[str, float | None] | None:
        """Send an agent turn's waterfall (its total taken now); returns it for the monitor."""
        if not turn.agent_driven:
            return None
        waterfall = turn.waterfall.result()
        await self._send(p.Timing(turn_id=turn.turn_id, waterfall=waterfall))
        return waterfall

    async def _record_timing(self, turn: _Turn, waterfall: dict[str, float | None] | None) -> None:
        """The waterfall the client was sent into the monitor, before the session says it is
        ready: a next turn started at `ready` would otherwise share the interpreter with this
        write's worker thread, which measurably slowed its way to first audio."""
        if waterfall is not None:
            await asyncio.to_thread(_write_timing, turn.interaction_id, waterfall)

    def played(self, turn_id: str, sentence: int) -> None:
        """The transport confirms a sentence was played out (a Twilio mark came back)."""
        for turn in (self._turn, self._leaving_after):
            if turn is not None and turn.turn_id == turn_id and not turn.cut:
                turn.heard = max(turn.heard, sentence + 1)
                break
        self._signal_playback()

    def _signal_playback(self) -> None:
        """Wake every playback waiter: set this event, hand later waiters a fresh one."""
        progress, self._playback_progress = self._playback_progress, asyncio.Event()
        progress.set()

    def speaking(self) -> bool:
        return self._turn is not None and not self._turn.cut

    async def interrupt(self) -> None:
        """Barge-in: stop the audio now, keep only what was heard."""
        turn = self._turn
        if turn is None or turn.cut:
            return
        turn.cut = True
        await self.sink.clear()
        await self._stop_speaking(turn)
        self._turn = None
        await self._send(p.Status(stage="interrupted"))
        thinking = turn.thinking
        if thinking is not None and not thinking.done() and thinking is not asyncio.current_task():
            thinking.cancel()  # the generation stops; the agent keeps what it had said
        if turn.agent_driven and turn.request is not None:
            self._settling = self._spawn(self._settle_interrupted(turn))

    async def _stop_speaking(self, turn: _Turn) -> None:
        task = turn.speaking
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _send_transfer(self, transfer: dict[str, Any], turn: _Turn) -> None:
        from convonet.voice.transfer import hand_off

        assert self.identity is not None and self.state is not None
        try:
            frame = await asyncio.to_thread(
                hand_off,
                transfer=transfer,
                user_id=self.identity.user_id,
                session_id=self.state.session_id,
                channel=self.channel,
                call_sid=self.call_sid,
                conversation=list(self.conversation),
            )
        except Exception:
            log.exception("could not prepare the transfer of session %s", self.session_id)
            await self._error("transfer_failed", "The transfer could not be started.")
            return
        if frame is not None:
            await self._send(frame)
        elif self.channel == "phone":
            self._spawn(self._leave_stream_after(turn))

    async def _leave_stream_after(self, turn: _Turn) -> None:
        """A phone call leaves the media stream once the last words have played (Twilio's marks
        say so, or VOICE_TRANSFER_CLOSE_S passes): Twilio then requests the <Connect> action,
        which dials the human."""

        self._leaving_after = turn  # marks keep counting after the turn has sent its audio
        await self._wait_playback(
            lambda: (
                turn.cut or (self._turn is not turn and turn.heard >= len(turn.speaker.sentences))
            ),
            get_settings().voice_transfer_close_s,
        )
        await self.close(CLOSE_NORMAL, "transferred to a human")

    # Silence, idle and shutdown ---------------------------------------------------------------

    def tick(self) -> None:
        """Check the silence and idle timers. The gateway calls this for every session every
        VOICE_TICK_S, so it only looks: what it decides runs as this session's own task, and
        one session's goodbye (seconds of speech) or slow socket never holds up the others'
        timers."""
        if self.closed or self._ending:
            return
        settings = get_settings()
        now = get_clock().monotonic()
        if now - self._last_frame_at >= settings.voice_idle_timeout_s:
            self._ending = True
            self._spawn(self.close(CLOSE_NORMAL, "idle timeout"))
            return
        if self.identity is None or self._busy():
            return
        silent = now - self._last_user_at
        if silent >= settings.voice_silence_hangup_s:
            self._ending = True
            self._spawn(self._say_goodbye())
        elif silent >= settings.voice_still_there_s and not self._asked_still_there:
            self._asked_still_there = True
            self._spawn(self._say_prompt(STILL_THERE))

    async def _say_prompt(self, text: str) -> _Turn:
        """Speak a silence prompt, its text shown at once."""
        turn = self._begin_spoken_text(text, silence_prompt=True)
        await self._send(p.AgentFinal(text=text, turn_id=turn.turn_id))
        return turn

    async def _say_goodbye(self) -> None:
        """The user stayed silent too long: say goodbye, then end the session."""
        turn = await self._say_prompt(GOODBYE)
        assert turn.speaking is not None
        await asyncio.shield(turn.speaking)
        await self._send(p.Status(stage="goodbye"))
        await self.close(CLOSE_NORMAL, "silence")

    def _busy(self) -> bool:
        recording = self._recording
        in_speech = recording is not None and (recording.mode == "batch" or recording.in_speech)
        settling = self._settling is not None and not self._settling.done()
        return self._turn is not None or in_speech or settling

    def running_turn(self) -> asyncio.Task[Any] | None:
        """The task a drain must let finish (thinking, then speaking up to the session save that
        ends a turn, so no later save retires the drain's resume token), if any."""
        for task in (self._settling, self._speaking):
            if task is not None and not task.done():
                return task
        return None

    async def drain(self) -> None:
        """The instance is stopping: hand the client a resume token and close."""
        if self.closed:
            return
        token = await self._resume_token_now() if self.state is not None else None
        await self._send(p.Status(stage="draining", resume_token=token))
        await self.close(CLOSE_RESTART, "server restarting; resume")

    async def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """End everything the session started, then the transport."""
        if self.closed:
            return
        self.closed = True
        await self.shutdown()
        with contextlib.suppress(Exception):
            await self.sink.close(code, reason)

    async def shutdown(self) -> None:
        """Cancel every task and stream of this session (hang-up, socket gone)."""
        self.closed = True
        await self._drop_recording()
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current and not t.done()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.identity is not None and self.state is not None:
            self.agent.forget(self.identity.user_id, self.state.session_id)

    # Plumbing ---------------------------------------------------------------------------------

    def _spawn(self, work: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._reap)
        return task

    def _reap(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("voice session task failed", exc_info=task.exception())

    async def _send(self, frame: p.ServerFrame) -> None:
        if self.closed:
            return
        frame.session_id = self.session_id
        await self.sink.send(frame)

    async def _error(self, code: str, message: str) -> None:
        await self._send(p.ErrorFrame(code=code, message=message))


def _llm_provider(name: str) -> str:
    from convonet.llm.select import OFFLINE, PROVIDERS, normalise_provider

    provider = normalise_provider(name) or name
    if provider not in (*PROVIDERS, OFFLINE):
        raise ValueError(f"Unknown llm provider {name!r}.")
    return provider


def _write_timing(turn_id: str, waterfall: dict[str, float | None]) -> None:
    from convonet.monitor.records import merge_voice_timing

    try:
        merge_voice_timing(turn_id, waterfall)
    except Exception:
        log.exception("could not record the voice timing of turn %s", turn_id)


class _VadEndpointer:
    """convonet.voice.vad's detector as an Endpointer."""

    def __init__(self, sample_rate: int) -> None:
        from convonet.voice.vad import VoiceActivityDetector

        self._vad = VoiceActivityDetector(sample_rate)

    def feed(self, pcm16: bytes) -> tuple[bool, bool]:
        kinds = {event.kind for event in self._vad.feed(pcm16)}
        return "speech_start" in kinds, "speech_end" in kinds


def default_endpointer(sample_rate: int) -> Endpointer:
    return _VadEndpointer(sample_rate)
