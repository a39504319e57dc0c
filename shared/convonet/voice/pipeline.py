"""The pieces of a voice turn around the session: the agent port, speech engine choice, and the
sentence speaker that turns the agent's streamed text into audio as each sentence completes.

The agent is reached in-process (the turn runner on this event loop) or, with AGENT_URL set,
over HTTP + server-sent events with the internal service token, through one `AgentPort` shape,
so the session cannot tell them apart. Nothing here talks to a socket.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from convonet.config import get_settings
from convonet.voice.text import SentenceChunker, normalise_for_speech

log = logging.getLogger(__name__)
OFFLINE_ENGINE = "offline"

if TYPE_CHECKING:
    from convonet.agent.turn import TurnEvent, TurnRequest
    from convonet.speech.base import Language, SpeechToText, TextToSpeech

WATERFALL_KEYS = (
    "capture_ms",
    "stt_ms",
    "route_ms",
    "llm_first_token_ms",
    "tools_ms",
    "tts_first_byte_ms",
    "first_audio_ms",
    "total_ms",
)


# The agent ------------------------------------------------------------------------------------


class AgentPort(Protocol):
    def stream(self, request: TurnRequest) -> AsyncIterator[TurnEvent]:
        """The turn's events: delta, tool_call, tool_result, final (or error)."""
        ...

    async def heard(
        self, user_id: str, session_id: str, interaction_id: str, heard_text: str
    ) -> None:
        """Keep only `heard_text` of that answer in the conversation (after a barge-in)."""
        ...

    def forget(self, user_id: str, session_id: str) -> None:
        """The session ended: the agent may drop what it keeps in memory of the conversation."""
        ...


class InProcessAgent:
    """The turn runner on the gateway's own event loop (AGENT_URL unset)."""

    def stream(self, request: TurnRequest) -> AsyncIterator[TurnEvent]:
        from convonet.agent.turn import get_runner

        return get_runner().stream(request)

    async def heard(
        self, user_id: str, session_id: str, interaction_id: str, heard_text: str
    ) -> None:
        from convonet.agent.turn import get_runner

        await get_runner().heard(user_id, session_id, interaction_id, heard_text)

    def forget(self, user_id: str, session_id: str) -> None:
        from convonet.agent.turn import get_runner

        get_runner().forget(user_id, session_id)


class HttpAgent:
    """`agent_turn` over HTTP: POST /agent/process as server-sent events, POST /agent/heard,
    each with a fresh 60-second service token acting for the session's user."""

    def __init__(self, base_url: str, timeout_s: float) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout_s, connect=5.0))

    def _headers(self, user_id: str) -> dict[str, str]:
        from convonet.auth.tokens import issue_service_token

        return {"Authorization": f"Bearer {issue_service_token(user_id, 'voice_gateway')}"}

    async def stream(self, request: TurnRequest) -> AsyncIterator[TurnEvent]:
        body: dict[str, Any] = {
            "prompt": request.prompt,
            "session_id": request.session_id,
            "channel": "phone" if request.channel == "phone" else "voice",
        }
        if request.provider:
            body["provider"] = request.provider
        headers = {**self._headers(request.user_id or ""), "Accept": "text/event-stream"}
        url = f"{self.base_url}/agent/process"
        async with self._client.stream("POST", url, json=body, headers=headers) as response:
            if response.status_code != 200:
                await response.aread()
                yield "error", {"code": f"agent_http_{response.status_code}", "message": ""}
                return
            async for event in _sse_events(response.aiter_lines()):
                yield event

    async def heard(
        self, user_id: str, session_id: str, interaction_id: str, heard_text: str
    ) -> None:
        body = {
            "session_id": session_id,
            "interaction_id": interaction_id,
            "heard_text": heard_text,
        }
        response = await self._client.post(
            f"{self.base_url}/agent/heard", json=body, headers=self._headers(user_id)
        )
        response.raise_for_status()

    def forget(self, user_id: str, session_id: str) -> None:
        """Nothing to do: agent_turn's instances bound what they keep by themselves."""


async def _sse_events(lines: AsyncIterator[str]) -> AsyncIterator[TurnEvent]:
    name, data = "", ""
    async for line in lines:
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif not line and name:
            yield name, json.loads(data or "{}")
            name, data = "", ""


def build_agent() -> AgentPort:
    settings = get_settings()
    if settings.agent_url:
        return HttpAgent(settings.agent_url, settings.agent_timeout_s + 5.0)
    return InProcessAgent()


# Speech engines -------------------------------------------------------------------------------

SttFactory = Callable[[str | None], "SpeechToText"]
TtsFactory = Callable[[str | None], "TextToSpeech"]


def _default_stt(name: str | None) -> SpeechToText:
    from convonet.speech import build_stt

    return build_stt(name)


def _default_tts(name: str | None) -> TextToSpeech:
    from convonet.speech import build_tts

    return build_tts(name)


@dataclass
class SpeechFactories:
    stt: SttFactory = _default_stt
    tts: TtsFactory = _default_tts


_factories = SpeechFactories()


def speech_factories() -> SpeechFactories:
    return _factories


def set_speech_factories(factories: SpeechFactories | None) -> SpeechFactories:
    """Install STT/TTS factories (benches and tests with fixed-latency engines); None restores
    the configured engines. Returns the previous ones."""
    global _factories
    previous, _factories = _factories, factories or SpeechFactories()
    return previous


# The spoken answer ----------------------------------------------------------------------------


@dataclass
class Waterfall:
    """One voice turn's latency parts (ms), keyed as the monitor expects."""

    t0: float = field(default_factory=time.perf_counter)
    values: dict[str, float | None] = field(default_factory=dict)

    def since_t0(self) -> float:
        return (time.perf_counter() - self.t0) * 1000

    def mark(self, key: str) -> None:
        self.values.setdefault(key, round(self.since_t0(), 3))

    def add_agent(self, timings: dict[str, Any]) -> None:
        for key in ("route_ms", "llm_first_token_ms", "tools_ms"):
            if key in timings:
                self.values[key] = round(float(timings[key]), 3)

    def result(self) -> dict[str, float | None]:
        self.values["total_ms"] = round(self.since_t0(), 3)
        return {key: self.values.get(key) for key in WATERFALL_KEYS}


@dataclass(frozen=True)
class SpokenAudio:
    """A piece of a sentence's audio; an empty piece with `last` ends the sentence (where a
    phone stream puts its mark)."""

    sentence: int
    pcm16: bytes
    sample_rate: int
    last: bool


class SentenceSpeaker:
    """Agent text in, sentence audio out: each sentence goes to TTS the moment it is complete,
    while the model keeps writing and earlier sentences still play (up to `LOOKAHEAD`
    sentences synthesise ahead of the one being spoken), and sentences are spoken strictly in
    order."""

    LOOKAHEAD = 2
    # Audio that has already arrived leaves as one piece of up to this much: a voice that
    # streams many small chunks then costs a frame (and a socket write) per half second,
    # not per chunk, and nothing waits for audio that has not arrived yet.
    PIECE_MAX_S = 0.5

    def __init__(
        self,
        tts: TextToSpeech,
        language: Language,
        sample_rate: int | None,
        fallback: Callable[[], TextToSpeech] | None = None,
    ) -> None:
        self.tts = tts
        self.language = language
        self.sample_rate = sample_rate
        self._fallback = fallback
        self.sentences: list[str] = []
        self.first_sentence_at: float | None = None
        self._chunker = SentenceChunker()
        self._queue: asyncio.Queue[_Synthesis | None] = asyncio.Queue()
        self._slots = asyncio.Semaphore(self.LOOKAHEAD)
        self._syntheses: list[_Synthesis] = []
        self._speaking = False
        self._finished = False
        self._closed = False

    def feed(self, delta: str) -> None:
        for sentence in self._chunker.feed(delta):
            self._add(sentence)

    def flush(self) -> None:
        """The text so far is complete (a model response ended, more may follow after a
        tool call): its last sentence need not wait for more text to be spoken."""
        for sentence in self._chunker.flush():
            self._add(sentence)

    def finish(self) -> None:
        """The text is complete: speak what is left. Only the first call counts."""
        if self._finished:
            return
        self._finished = True
        self.flush()
        self._queue.put_nowait(None)

    def _add(self, sentence: str) -> None:
        if self.first_sentence_at is None:
            self.first_sentence_at = time.perf_counter()
        self.sentences.append(sentence)
        if self._closed:  # the audio has ended (a barge-in): nothing will speak it
            return
        synthesis = _Synthesis(self, normalise_for_speech(sentence, self.language))
        self._syntheses.append(synthesis)
        self._queue.put_nowait(synthesis)
        if self._speaking:
            synthesis.start()

    async def audio(self) -> AsyncGenerator[SpokenAudio, None]:
        """The sentences' audio in order. Synthesis starts once this runs (so a speaker that
        never speaks starts nothing) and whatever is still running stops when it ends."""
        self._speaking = True
        for waiting in self._syntheses:
            waiting.start()
        index = 0
        try:
            while (sentence := await self._queue.get()) is not None:
                async for chunk in sentence.chunks(int(self._rate() * 2 * self.PIECE_MAX_S)):
                    yield SpokenAudio(index, chunk, self._rate(), last=False)
                yield SpokenAudio(index, b"", self._rate(), last=True)
                index += 1
        finally:
            # The syntheses refer back to this speaker: dropping them here leaves no reference
            # cycle, so a turn's speech is freed when the turn ends, not by the collector.
            self._closed = True
            for synthesis in self._syntheses:
                synthesis.cancel()
            self._syntheses.clear()

    async def _synthesize(self, text: str) -> AsyncIterator[bytes]:
        """A voice that fails before its first byte is replaced by the fallback (the offline
        voice), so the user still hears the answer; a sentence no voice can speak is left
        silent (its text is on screen)."""
        from convonet.speech.base import SpeechProviderError

        while True:
            started = False
            try:
                async for chunk in self.tts.synthesize_stream(
                    text, language=self.language, sample_rate=self.sample_rate
                ):
                    if chunk:
                        started = True
                        yield chunk
                return
            except SpeechProviderError as exc:
                failed = self.tts.name
                if started or self._fallback is None or failed == OFFLINE_ENGINE:
                    log.warning("voice %s failed mid-sentence or with no fallback: %s", failed, exc)
                    return
                self.tts = self._fallback()
                log.warning("voice %s failed (%s); speaking with %s", failed, exc, self.tts.name)

    def _rate(self) -> int:
        return self.sample_rate or self.tts.sample_rate


class _Synthesis:
    """One sentence's audio, synthesised in its own task as soon as a lookahead slot is free,
    buffered until the speaker reaches it; the slot is held until its audio has been taken."""

    def __init__(self, speaker: SentenceSpeaker, text: str) -> None:
        self._speaker = speaker
        self._text = text
        self._buffer: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._taken = asyncio.Event()
        self._produced = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        async with self._speaker._slots:
            try:
                if self._text:
                    async for chunk in self._speaker._synthesize(self._text):
                        self._buffer.put_nowait(chunk)
            finally:
                self._buffer.put_nowait(None)
            self._produced = True
            await self._taken.wait()

    async def chunks(self, max_bytes: int) -> AsyncIterator[bytes]:
        """The audio as it comes; chunks already buffered are joined, up to `max_bytes`."""
        try:
            ended = False
            while not ended and (chunk := await self._buffer.get()) is not None:
                piece = [chunk]
                size = len(chunk)
                while size < max_bytes and not self._buffer.empty():
                    more = self._buffer.get_nowait()
                    if more is None:
                        ended = True
                        break
                    piece.append(more)
                    size += len(more)
                yield piece[0] if len(piece) == 1 else b"".join(piece)
        finally:
            self._taken.set()

    def cancel(self) -> None:
        """Stop synthesising. A synthesis whose audio is all made only waits for it to be
        taken: it is released to end by itself, since a cancelled task leaves its exception,
        traceback and frames in a reference cycle for the collector (one per sentence, which
        at hundreds of sessions made its pauses longer)."""
        if self._task is None:
            return
        if self._produced:
            self._taken.set()
        else:
            self._task.cancel()
