"""The assistant's own voice on the phone: with PHONE_TTS=play a reply is synthesised by the
TTS_PROVIDER engine and played with `<Play>`, so callers hear the voice browser users hear.

The text is normalised for speech first (codes spelled out, times and money in words), the
audio is 8 kHz PCM16 WAV (the phone's rate; nothing is lost and the clip stays small), kept
by the AudioStore behind a short-lived URL. Synthesis gets what is left of the webhook budget,
at most SPEECH_TIMEOUT_S; when it fails or overruns, or the clip cannot be kept, there is no
URL and the reply is spoken with Twilio's `<Say>`: the caller never waits in silence.
"""

from __future__ import annotations

import asyncio
import logging

from convonet.config import get_settings
from convonet.telephony.audio_store import get_audio_store
from convonet.telephony.webhook import Budget

log = logging.getLogger(__name__)

PHONE_RATE = 8000


def reply_audio_url(text: str, budget: Budget) -> str | None:
    """The URL of `text` spoken by the configured voice, or None to use `<Say>`."""
    settings = get_settings()
    if settings.phone_tts != "play" or not text.strip():
        return None
    timeout_s = min(budget.remaining(), settings.speech_timeout_s)
    if timeout_s <= 0:
        return None
    try:
        wav = synthesise_wav(text, timeout_s)
        left = budget.remaining()
        return get_audio_store().put(wav, left) if left > 0 else None
    except Exception:
        log.exception("phone TTS failed; the reply is spoken with <Say>")
        return None


def synthesise_wav(text: str, timeout_s: float) -> bytes:
    """`text` as an 8 kHz PCM16 WAV clip, within `timeout_s`."""
    from convonet.speech import build_tts
    from convonet.speech.base import synthesize
    from convonet.voice.audio import write_wav
    from convonet.voice.text import normalise_for_speech

    spoken = normalise_for_speech(text)
    job = synthesize(build_tts(), spoken, sample_rate=PHONE_RATE)
    pcm16 = asyncio.run(asyncio.wait_for(job, timeout_s))
    if not pcm16:
        raise ValueError("the TTS engine returned no audio")
    return write_wav(pcm16, PHONE_RATE)
