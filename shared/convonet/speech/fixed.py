"""The "fixed" engines: STT and TTS with a fixed latency and no recognition or voice at all.

For benches and tests that measure what Convonet adds around the providers (the provider's
time is exactly `latency_s`), or that need a TTS slow enough to barge in on. The STT answers
with the transcript it was built with, whatever the audio; the TTS returns silence sized to
the text (`ms_per_char`), in `chunk_ms` pieces, the first after `latency_s`. Not selectable by
STT_PROVIDER/TTS_PROVIDER: they are installed explicitly (convonet.voice.pipeline
`set_speech_factories`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import TracebackType

from convonet.speech.base import Language, QueueStream, Transcript, pcm_mime_type


class FixedSpeechToText:
    name = "fixed"

    def __init__(self, transcript: str, *, latency_s: float = 0.0) -> None:
        self.transcript = transcript
        self.latency_s = latency_s

    async def transcribe(
        self, pcm16: bytes, sample_rate: int, language: Language = "en"
    ) -> Transcript:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        return Transcript(self.transcript, confidence=1.0, language=language)

    async def stream(self, sample_rate: int, language: Language = "en") -> FixedSttStream:
        return FixedSttStream(self.transcript, self.latency_s, language)


class FixedSttStream(QueueStream):
    """Partials grow by a word per audio chunk; the whole transcript is final `latency_s`
    after `finish()`."""

    def __init__(self, transcript: str, latency_s: float, language: Language) -> None:
        super().__init__()
        self._words = transcript.split()
        self._latency_s = latency_s
        self._language = language
        self._said = 0
        self._done = False

    async def send(self, pcm16: bytes) -> None:
        if self._done or self._said >= len(self._words):
            return
        self._said += 1
        partial = " ".join(self._words[: self._said])
        self.emit(Transcript(partial, is_final=False, speech_final=False, language=self._language))

    async def finish(self) -> None:
        if self._done:
            return
        self._done = True
        if self._latency_s:
            await asyncio.sleep(self._latency_s)
        if self._words:
            self.emit(Transcript(" ".join(self._words), confidence=1.0, language=self._language))
        self.end()

    async def close(self) -> None:
        if not self._done:
            self._done = True
            self.end()

    async def __aenter__(self) -> FixedSttStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class FixedTextToSpeech:
    name = "fixed"

    def __init__(
        self,
        *,
        latency_s: float = 0.0,
        sample_rate: int = 16000,
        ms_per_char: float = 60.0,
        chunk_ms: int = 100,
        chunk_delay_s: float = 0.0,
    ) -> None:
        self.latency_s = latency_s
        self.sample_rate = sample_rate
        self.ms_per_char = ms_per_char
        self.chunk_ms = chunk_ms
        self.chunk_delay_s = chunk_delay_s
        self.spoken: list[str] = []

    @property
    def mime_type(self) -> str:
        return pcm_mime_type(self.sample_rate)

    async def synthesize_stream(
        self,
        text: str,
        *,
        voice: str | None = None,
        language: Language = "en",
        sample_rate: int | None = None,
    ) -> AsyncIterator[bytes]:
        self.spoken.append(text)
        rate = sample_rate or self.sample_rate
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        total = 2 * int(rate * len(text) * self.ms_per_char / 1000)
        step = 2 * int(rate * self.chunk_ms / 1000)
        for start in range(0, total, step):
            if start and self.chunk_delay_s:
                await asyncio.sleep(self.chunk_delay_s)
            yield bytes(min(step, total - start))
