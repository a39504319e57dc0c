"""Deepgram on the official `deepgram-sdk`: batch STT (/v1/listen), live STT (WebSocket
/v1/listen with interim results, endpointing and UtteranceEnd) and Aura TTS (/v1/speak).

DEEPGRAM_BASE_URL moves both the REST and the WebSocket host (https -> wss), so tests point the
real SDK at a loopback server replaying recorded Deepgram traffic. SDK and transport errors
become SpeechProviderError. Live results map to Transcript: interim -> partial, is_final ->
final (with Deepgram's speech_final), and UtteranceEnd -> an empty final with speech_final,
which tells the gateway the speaker has finished even when no endpoint came with the words.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

from convonet.config import Settings, get_settings
from convonet.speech.base import (
    Language,
    QueueStream,
    SpeechProviderError,
    Transcript,
    Word,
    pcm_mime_type,
    whole_samples,
)
from convonet.speech.phrases import KEY_TERMS
from convonet.voice.audio import write_wav

NAME = "deepgram"
TTS_RATE = 24000
_LANGUAGES: dict[str, str] = {"en": "en-US", "ko": "ko"}

log = logging.getLogger(__name__)


def _client(settings: Settings) -> Any:
    from deepgram import AsyncDeepgramClient
    from deepgram.environment import DeepgramClientEnvironment

    environment = DeepgramClientEnvironment.PRODUCTION
    if settings.deepgram_base_url:
        base = settings.deepgram_base_url.rstrip("/")
        socket_base = "ws" + base.removeprefix("http")
        environment = DeepgramClientEnvironment(
            base=base, production=socket_base, agent=socket_base, agent_rest=base
        )
    return AsyncDeepgramClient(
        api_key=settings.secret("deepgram_api_key"),
        environment=environment,
        timeout=settings.speech_timeout_s,
    )


def _error(exc: BaseException) -> SpeechProviderError:
    from deepgram.core.api_error import ApiError

    if isinstance(exc, SpeechProviderError):
        return exc
    if isinstance(exc, ApiError):
        status = exc.status_code or 0
        retryable = status >= 500 or status in (408, 429)
        return SpeechProviderError(NAME, f"HTTP {status}: {exc.body}", retryable=retryable)
    return SpeechProviderError(NAME, f"{type(exc).__name__}: {exc}")


def _words(items: Any) -> tuple[Word, ...]:
    return tuple(
        Word(
            getattr(w, "punctuated_word", None) or w.word,
            float(w.start),
            float(w.end),
            float(w.confidence),
        )
        for w in items or ()
    )


def _language(language: str) -> str:
    return _LANGUAGES.get(language, language)


class DeepgramSTT:
    name = NAME

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings or get_settings()
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _client(self._settings)
        return self._client

    def _options(self, language: Language) -> dict[str, Any]:
        options: dict[str, Any] = {
            "model": self._settings.deepgram_stt_model,
            "language": _language(language),
            "smart_format": True,
            "punctuate": True,
        }
        if self._settings.deepgram_stt_model.startswith("nova-3") and language == "en":
            options["keyterm"] = list(KEY_TERMS)
        return options

    async def transcribe(
        self, pcm16: bytes, sample_rate: int, language: Language = "en"
    ) -> Transcript:
        try:
            response = await self.client.listen.v1.media.transcribe_file(
                request=write_wav(pcm16, sample_rate), **self._options(language)
            )
        except Exception as exc:
            raise _error(exc) from exc
        channels = response.results.channels if response.results else []
        if not channels or not channels[0].alternatives:
            return Transcript("", 0.0, language=language)
        best = channels[0].alternatives[0]
        return Transcript(
            best.transcript or "",
            float(best.confidence or 0.0),
            _words(best.words),
            language=language,
        )

    async def stream(self, sample_rate: int, language: Language = "en") -> DeepgramSttStream:
        options = self._options(language) | {
            "encoding": "linear16",
            "sample_rate": sample_rate,
            "channels": 1,
            "interim_results": "true",
            "endpointing": 300,
            "utterance_end_ms": 1000,
            "vad_events": "true",
        }
        for flag in ("smart_format", "punctuate"):
            options[flag] = "true"
        stream = DeepgramSttStream(
            self.client.listen.v1.connect(**options), language, self._settings.speech_timeout_s
        )
        await stream.open()
        return stream


class DeepgramSttStream(QueueStream):
    """One Deepgram live connection; a reader task turns its messages into transcripts."""

    def __init__(self, connection: Any, language: Language, timeout_s: float) -> None:
        super().__init__()
        self._connection = connection
        self._language = language
        self._timeout_s = timeout_s
        self._socket: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._closed = False
        self.request_id: str | None = None

    async def open(self) -> None:
        try:
            async with asyncio.timeout(self._timeout_s):
                self._socket = await self._connection.__aenter__()
        except Exception as exc:
            raise _error(exc) from exc
        self._reader = asyncio.create_task(self._read())

    async def __aenter__(self) -> DeepgramSttStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _read(self) -> None:
        try:
            async for message in self._socket:
                self._on_message(message)
        except Exception as exc:
            if not self._closed:
                self.fail(_error(exc))
        finally:
            self.end()

    def _on_message(self, message: Any) -> None:
        kind = getattr(message, "type", None)
        if kind == "Results":
            best = message.channel.alternatives[0] if message.channel.alternatives else None
            text = best.transcript if best else ""
            if not text and not message.is_final:
                return
            self.emit(
                Transcript(
                    text,
                    float(best.confidence or 0.0) if best else 0.0,
                    _words(best.words) if best else (),
                    is_final=bool(message.is_final),
                    speech_final=bool(message.speech_final),
                    language=self._language,
                )
            )
        elif kind == "UtteranceEnd":
            self.emit(
                Transcript("", 0.0, is_final=True, speech_final=True, language=self._language)
            )
        elif kind == "Metadata":
            self.request_id = getattr(message, "request_id", None)
        elif kind == "Error":
            self.fail(SpeechProviderError(NAME, str(getattr(message, "description", message))))

    async def send(self, pcm16: bytes) -> None:
        if self._closed:
            raise SpeechProviderError(NAME, "stream already closed", retryable=False)
        try:
            await self._socket.send_media(pcm16)
        except Exception as exc:
            raise _error(exc) from exc

    async def finish(self) -> None:
        """Ask Deepgram to flush and close; the reader ends after its last results."""
        if self._closed:
            return
        try:
            await self._socket.send_close_stream()
        except Exception as exc:
            raise _error(exc) from exc
        if self._reader is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._reader), self._timeout_s)
        await self.close()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        with contextlib.suppress(Exception):
            await self._connection.__aexit__(None, None, None)
        self.end()


class DeepgramTTS:
    """Aura over HTTP streaming: raw linear16 at the asked rate, chunks as they arrive."""

    name = NAME
    sample_rate = TTS_RATE

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings or get_settings()
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _client(self._settings)
        return self._client

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
        if not text.strip():
            return
        audio = self.client.speak.v1.audio.generate(
            text=text,
            model=voice or self._settings.deepgram_tts_model,
            encoding="linear16",
            container="none",
            sample_rate=sample_rate or self.sample_rate,
        )
        try:
            async for chunk in whole_samples(audio):
                yield chunk
        except Exception as exc:
            raise _error(exc) from exc
