"""The STT and TTS ports: one shape for Deepgram, ElevenLabs, Cartesia and the offline engines.

Audio at the ports is PCM16 mono (see convonet.voice.audio). A provider failure (HTTP error,
timeout, closed socket, unsupported language) raises `SpeechProviderError`, so the voice
gateway can fall back to another engine or apologise; nothing vendor-typed leaks out.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Protocol

Language = Literal["en", "ko"]
LANGUAGES: tuple[Language, ...] = ("en", "ko")


@dataclass(frozen=True)
class Word:
    text: str
    start_s: float
    end_s: float
    confidence: float = 1.0


@dataclass(frozen=True)
class Transcript:
    """One recognition result. In a stream, `is_final=False` is a partial that may change;
    `speech_final` marks the end of the speaker's utterance (the turn can be taken)."""

    text: str
    confidence: float = 0.0
    words: tuple[Word, ...] = ()
    is_final: bool = True
    speech_final: bool = True
    language: Language = "en"


class SpeechProviderError(RuntimeError):
    """The engine failed; `retryable` says whether another attempt (or engine) may succeed."""

    def __init__(self, provider: str, message: str, *, retryable: bool = True) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.retryable = retryable


class SttStream(Protocol):
    """A live recognition session: `send` audio chunks, read `transcripts()`; `finish()` says
    the caller stopped (flushes the final result); `close()` abandons it."""

    async def send(self, pcm16: bytes) -> None: ...

    async def finish(self) -> None: ...

    async def close(self) -> None: ...

    def transcripts(self) -> AsyncIterator[Transcript]: ...

    async def __aenter__(self) -> SttStream: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class SpeechToText(Protocol):
    name: str

    async def transcribe(
        self, pcm16: bytes, sample_rate: int, language: Language = "en"
    ) -> Transcript: ...

    async def stream(self, sample_rate: int, language: Language = "en") -> SttStream:
        """Open a live session (connected and ready for audio when this returns)."""
        ...


class TextToSpeech(Protocol):
    name: str
    sample_rate: int

    @property
    def mime_type(self) -> str: ...

    def synthesize_stream(
        self,
        text: str,
        *,
        voice: str | None = None,
        language: Language = "en",
        sample_rate: int | None = None,
    ) -> AsyncIterator[bytes]:
        """PCM16 chunks at `sample_rate` (default: the engine's), the first as early as
        possible."""
        ...


def pcm_mime_type(sample_rate: int) -> str:
    return f"audio/L16;rate={sample_rate};channels=1"


def check_language(provider: str, language: str, supported: tuple[str, ...]) -> None:
    if language not in supported:
        raise SpeechProviderError(provider, f"language {language!r} not supported", retryable=False)


async def synthesize(
    tts: TextToSpeech, text: str, *, language: Language = "en", sample_rate: int | None = None
) -> bytes:
    """The whole utterance as one PCM16 buffer (greetings, tests)."""
    chunks = [
        chunk
        async for chunk in tts.synthesize_stream(text, language=language, sample_rate=sample_rate)
    ]
    return b"".join(chunks)


class QueueStream:
    """The transcripts side shared by stream implementations: results go on a queue, the end
    of the session is a sentinel, and a failure surfaces to the reader as the error."""

    _END = object()

    def __init__(self) -> None:
        self._queue: asyncio.Queue[object] = asyncio.Queue()

    def emit(self, transcript: Transcript) -> None:
        self._queue.put_nowait(transcript)

    def fail(self, error: SpeechProviderError) -> None:
        self._queue.put_nowait(error)

    def end(self) -> None:
        self._queue.put_nowait(self._END)

    async def transcripts(self) -> AsyncIterator[Transcript]:
        while True:
            item = await self._queue.get()
            if item is self._END:
                return
            if isinstance(item, SpeechProviderError):
                raise item
            assert isinstance(item, Transcript)
            yield item


async def whole_samples(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """Re-cut a byte stream so every chunk holds whole PCM16 samples (HTTP chunk boundaries
    fall anywhere)."""
    carry = b""
    async for chunk in chunks:
        data = carry + chunk
        cut = len(data) - len(data) % 2
        carry = data[cut:]
        if cut:
            yield data[:cut]
