"""Speech engines behind two ports (convonet.speech.base): `build_stt(name)`, `build_tts(name)`.

Choice per session: the name asked for, else STT_PROVIDER / TTS_PROVIDER. A vendor without its
API key is not configured, and `offline` (PocketSphinx / eSpeak NG, always available) is used
instead, so a local run needs no account. Engines are built once per process and reused;
vendor modules (and their SDKs) are imported only when first chosen.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from convonet.config import Settings, get_settings
from convonet.speech.base import (
    Language,
    SpeechProviderError,
    SpeechToText,
    TextToSpeech,
    Transcript,
    Word,
)

__all__ = [
    "Language",
    "SpeechProviderError",
    "SpeechToText",
    "TextToSpeech",
    "Transcript",
    "Word",
    "build_stt",
    "build_tts",
    "configured_providers",
    "reset_engines",
]

OFFLINE = "offline"
# name -> (module, API key setting) per port
_STT: dict[str, tuple[str, str | None]] = {
    "offline": ("convonet.speech.offline", None),
    "deepgram": ("convonet.speech.deepgram", "deepgram_api_key"),
}
_TTS: dict[str, tuple[str, str | None]] = {
    "offline": ("convonet.speech.offline", None),
    "deepgram": ("convonet.speech.deepgram", "deepgram_api_key"),
    "elevenlabs": ("convonet.speech.elevenlabs", "elevenlabs_api_key"),
    "cartesia": ("convonet.speech.cartesia", "cartesia_api_key"),
}
_CLASS_SUFFIX = {"stt": "STT", "tts": "TTS"}
_CLASS_PREFIX = {
    "offline": "Offline",
    "deepgram": "Deepgram",
    "elevenlabs": "ElevenLabs",
    "cartesia": "Cartesia",
}

_engines: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


def configured_providers(kind: str, settings: Settings | None = None) -> list[str]:
    """Names usable now for `kind` ("stt" or "tts"): offline plus every vendor with a key."""
    settings = settings or get_settings()
    table = _STT if kind == "stt" else _TTS
    return [name for name, (_, key) in table.items() if key is None or settings.secret(key)]


def _resolve(kind: str, name: str | None, default: str) -> str:
    wanted = (name or default).strip().lower()
    table = _STT if kind == "stt" else _TTS
    if wanted not in table:
        raise SpeechProviderError(wanted, f"unknown {kind.upper()} provider", retryable=False)
    return wanted if wanted in configured_providers(kind) else OFFLINE


def _build(kind: str, name: str) -> Any:
    with _lock:
        engine = _engines.get((kind, name))
        if engine is None:
            table = _STT if kind == "stt" else _TTS
            module = importlib.import_module(table[name][0])
            engine = getattr(module, _CLASS_PREFIX[name] + _CLASS_SUFFIX[kind])()
            _engines[(kind, name)] = engine
        return engine


def build_stt(name: str | None = None) -> SpeechToText:
    """The recogniser called `name` (or the configured default), offline when not configured."""
    engine: SpeechToText = _build("stt", _resolve("stt", name, get_settings().stt_provider))
    return engine


def build_tts(name: str | None = None) -> TextToSpeech:
    """The voice called `name` (or the configured default), offline when not configured."""
    engine: TextToSpeech = _build("tts", _resolve("tts", name, get_settings().tts_provider))
    return engine


def reset_engines() -> None:
    """Forget built engines (tests change provider settings, then call this)."""
    with _lock:
        _engines.clear()
