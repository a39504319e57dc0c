"""Cartesia TTS on the official `cartesia` SDK: Sonic over server-sent events (`/tts/sse`),
raw PCM16 chunks (base64 in each `chunk` event) at the rate asked for, so the first audio is
playable while the rest is generated. CARTESIA_BASE_URL points the SDK elsewhere (tests: a
loopback server replaying a recorded event stream).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from convonet.config import Settings, get_settings
from convonet.speech.base import (
    Language,
    SpeechProviderError,
    check_language,
    pcm_mime_type,
    whole_samples,
)

NAME = "cartesia"
RATES = (8000, 16000, 22050, 24000, 44100, 48000)
DEFAULT_RATE = 24000


def _error(exc: BaseException) -> SpeechProviderError:
    from cartesia import APIStatusError

    if isinstance(exc, SpeechProviderError):
        return exc
    if isinstance(exc, APIStatusError):
        status = exc.status_code
        retryable = status >= 500 or status in (408, 429)
        return SpeechProviderError(NAME, f"HTTP {status}: {exc.message}", retryable=retryable)
    return SpeechProviderError(NAME, f"{type(exc).__name__}: {exc}")


class CartesiaTTS:
    name = NAME
    sample_rate = DEFAULT_RATE

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings or get_settings()
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from cartesia import AsyncCartesia

            self._client = AsyncCartesia(
                api_key=self._settings.secret("cartesia_api_key"),
                base_url=self._settings.cartesia_base_url,
                timeout=self._settings.speech_timeout_s,
                max_retries=0,
            )
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
        check_language(NAME, language, ("en", "ko"))
        rate = sample_rate or self.sample_rate
        if rate not in RATES:
            raise SpeechProviderError(NAME, f"sample rate {rate} not offered", retryable=False)
        if not text.strip():
            return
        try:
            async for chunk in whole_samples(self._chunks(text, voice, language, rate)):
                yield chunk
        except Exception as exc:
            raise _error(exc) from exc

    async def _chunks(
        self, text: str, voice: str | None, language: Language, rate: int
    ) -> AsyncIterator[bytes]:
        events = await self.client.tts.generate_sse(
            model_id=self._settings.cartesia_model,
            transcript=text,
            voice=voice or self._settings.cartesia_voice_id,
            language=language,
            output_format={"container": "raw", "encoding": "pcm_s16le", "sample_rate": rate},
        )
        async for event in events:
            if event.type == "chunk" and event.audio:
                yield event.audio
            elif event.type == "error":
                raise SpeechProviderError(NAME, str(getattr(event, "error", event)))
            elif event.type == "done":
                return
