"""ElevenLabs TTS on the official `elevenlabs` SDK (HTTP streaming, `/v1/text-to-speech/{voice}
/stream`), raw PCM at the rate asked for, so the first chunk can be played (or mu-law encoded
for a phone) as soon as it arrives. ELEVENLABS_BASE_URL points the SDK elsewhere (tests: a
loopback server replaying a recorded response).
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

NAME = "elevenlabs"
RATES = (8000, 16000, 22050, 24000, 44100)
DEFAULT_RATE = 24000


def _error(exc: BaseException) -> SpeechProviderError:
    from elevenlabs.core.api_error import ApiError

    if isinstance(exc, ApiError):
        status = exc.status_code or 0
        retryable = status >= 500 or status in (408, 429)
        return SpeechProviderError(NAME, f"HTTP {status}: {exc.body}", retryable=retryable)
    return SpeechProviderError(NAME, f"{type(exc).__name__}: {exc}")


class ElevenLabsTTS:
    name = NAME
    sample_rate = DEFAULT_RATE

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings or get_settings()
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from elevenlabs import AsyncElevenLabs

            self._client = AsyncElevenLabs(
                api_key=self._settings.secret("elevenlabs_api_key"),
                base_url=self._settings.elevenlabs_base_url,
                timeout=self._settings.speech_timeout_s,
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
        audio = self.client.text_to_speech.stream(
            voice or self._settings.elevenlabs_voice_id,
            text=text,
            model_id=self._settings.elevenlabs_model,
            language_code=language,
            output_format=f"pcm_{rate}",
        )
        try:
            async for chunk in whole_samples(audio):
                yield chunk
        except Exception as exc:
            raise _error(exc) from exc
