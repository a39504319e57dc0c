"""The embedded speech engines: PocketSphinx STT and eSpeak NG TTS, installed by pip alone.

STT: PocketSphinx's bundled English acoustic model with a small trigram language model built
at first use from the assistant's phrases (convonet.speech.phrases) and a dictionary cut down
to that vocabulary; it recognises the demo phrases where the general model does not. When the
small model hears nothing it knows, the general model (also bundled) gets a second pass.
Decoders are stateful and CPU-bound: a process-wide pool hands one to each utterance or live
session, and the async methods run decoding in a worker thread.

TTS: eSpeak NG from the `espeakng-loader` wheel through ctypes (22.05 kHz PCM16, English and
Korean voices). The library is a process-wide singleton, so synthesis is serialised by a lock;
a sentence takes milliseconds. Chunks are streamed to the caller as eSpeak produces them.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import re
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from convonet.speech import phrases
from convonet.speech.base import (
    Language,
    QueueStream,
    SpeechProviderError,
    Transcript,
    Word,
    check_language,
    pcm_mime_type,
)
from convonet.speech.language_model import build_arpa, tokenize
from convonet.voice.audio import STT_RATE, Resampler, dithered, resample, rms

NAME = "offline"
ESPEAK_RATE = 22050
# eSpeak voices per language. The Klatt variant of en-us is the one PocketSphinx recognises
# best (checked over the demo phrases on the phone and browser paths).
VOICES: dict[str, str] = {"en": "en-us+klatt", "ko": "ko"}
_FRAMES_PER_SECOND = 100  # PocketSphinx's default frame rate
_PARTIAL_EVERY_BYTES = STT_RATE * 2 // 4  # a partial result at most every 250 ms of audio
# PocketSphinx misreads digital silence (its features take the log of a frame's energy), so
# what it hears gets a step of dither, from a generator seeded afresh for every utterance:
# the same audio is always recognised the same way.
_DITHER_SEED = 1
_SILENCE_RMS = 30.0  # about -60 dBFS: nothing to recognise (the decoder would guess a word)
_FILLERS = frozenset({"<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]"})


def _noise() -> np.random.Generator:
    return np.random.default_rng(_DITHER_SEED)


# --- PocketSphinx ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _SphinxFiles:
    acoustic_model: str
    assistant_lm: str
    assistant_dict: str


def _vocabulary() -> set[str]:
    words = {w for sentence in phrases.training_sentences() for w in tokenize(sentence)}
    return words | set(tokenize(" ".join(phrases.VOCABULARY)))


def _dictionary_lines(full_dict: Path, vocabulary: set[str]) -> list[str]:
    """Every pronunciation of the vocabulary's words (the bundled CMU dictionary plus ours)."""
    lines = []
    with full_dict.open(encoding="utf-8") as f:
        for line in f:
            word = line.split(maxsplit=1)[0] if line.strip() else ""
            if re.sub(r"\(\d+\)$", "", word) in vocabulary:
                lines.append(line.strip())
    lines += [f"{word} {phones}" for word, phones in phrases.PRONUNCIATIONS.items()]
    return sorted(lines)


def _build_sphinx_files(directory: Path) -> _SphinxFiles:
    import pocketsphinx

    model_dir = Path(pocketsphinx.get_model_path()) / "en-us"
    dict_lines = _dictionary_lines(model_dir / "cmudict-en-us.dict", _vocabulary())
    pronounceable = {re.sub(r"\(\d+\)$", "", line.split()[0]) for line in dict_lines}
    arpa = build_arpa(
        phrases.training_sentences(), extra_words=phrases.VOCABULARY, vocabulary=pronounceable
    )
    lm_path = directory / "assistant.arpa"
    dict_path = directory / "assistant.dict"
    lm_path.write_text(arpa, encoding="utf-8")
    dict_path.write_text("\n".join(dict_lines) + "\n", encoding="utf-8")
    return _SphinxFiles(str(model_dir / "en-us"), str(lm_path), str(dict_path))


class _DecoderPool:
    """Idle decoders of one configuration, created on demand and reused."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    def acquire(self) -> Any:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._factory()

    def release(self, decoder: Any) -> None:
        with self._lock:
            self._idle.append(decoder)

    @contextlib.contextmanager
    def decoder(self) -> Iterator[Any]:
        decoder = self.acquire()
        try:
            yield decoder
        finally:
            self.release(decoder)


class _Sphinx:
    """The process's PocketSphinx models: the assistant model and the general fallback."""

    def __init__(self) -> None:
        import pocketsphinx

        self._tmp = tempfile.TemporaryDirectory(prefix="convonet-sphinx-")
        files = _build_sphinx_files(Path(self._tmp.name))
        common = {"samprate": STT_RATE, "loglevel": "FATAL", "remove_noise": False}
        assistant = {
            "hmm": files.acoustic_model,
            "lm": files.assistant_lm,
            "dict": files.assistant_dict,
            **common,
        }
        # Live sessions adapt the cepstral mean as audio arrives. Whole utterances use the
        # utterance's own mean ("batch"), so a result never depends on what a pooled decoder
        # heard before.
        self.assistant = _DecoderPool(lambda: pocketsphinx.Decoder(**assistant))
        self.assistant_batch = _DecoderPool(lambda: pocketsphinx.Decoder(cmn="batch", **assistant))
        self.general = _DecoderPool(lambda: pocketsphinx.Decoder(cmn="batch", **common))

    def decode(self, pcm16: bytes) -> Transcript:
        with self.assistant_batch.decoder() as decoder:
            transcript = _decode(decoder, pcm16)
        if transcript.text:
            return transcript
        with self.general.decoder() as decoder:
            return _decode(decoder, pcm16)


def _decode(decoder: Any, pcm16: bytes) -> Transcript:
    decoder.start_utt()
    decoder.process_raw(pcm16, full_utt=True)
    decoder.end_utt()
    return _result(decoder, is_final=True)


def _result(decoder: Any, *, is_final: bool) -> Transcript:
    hyp = decoder.hyp()
    if hyp is None or not hyp.hypstr:
        return Transcript("", 0.0, is_final=is_final, speech_final=is_final)
    words = tuple(
        Word(
            re.sub(r"\(\d+\)$", "", seg.word),
            seg.start_frame / _FRAMES_PER_SECOND,
            (seg.end_frame + 1) / _FRAMES_PER_SECOND,
        )
        for seg in decoder.seg()
        if seg.word not in _FILLERS
    )
    confidence = min(max(float(hyp.prob), 0.0), 1.0) if is_final else 0.0
    return Transcript(hyp.hypstr, confidence, words, is_final=is_final, speech_final=is_final)


_sphinx: _Sphinx | None = None
_sphinx_lock = threading.Lock()


def _get_sphinx() -> _Sphinx:
    global _sphinx
    with _sphinx_lock:
        if _sphinx is None:
            _sphinx = _Sphinx()
        return _sphinx


class OfflineSTT:
    """PocketSphinx, English only (other languages raise a non-retryable error, so the
    gateway picks an engine that has them)."""

    name = NAME

    def warm_up(self) -> None:
        """Build the models and one decoder now rather than on the first utterance."""
        with _get_sphinx().assistant.decoder():
            pass

    async def transcribe(
        self, pcm16: bytes, sample_rate: int, language: Language = "en"
    ) -> Transcript:
        check_language(NAME, language, ("en",))
        if rms(pcm16) < _SILENCE_RMS:
            return Transcript("", 0.0)
        audio = dithered(resample(pcm16, sample_rate, STT_RATE), _noise())
        return await asyncio.to_thread(lambda: _get_sphinx().decode(audio))

    async def stream(self, sample_rate: int, language: Language = "en") -> OfflineSttStream:
        check_language(NAME, language, ("en",))
        return OfflineSttStream(sample_rate)


class OfflineSttStream(QueueStream):
    """A live session on one pooled assistant decoder: partials as audio arrives (about every
    250 ms), the final on `finish()`. Decoding runs in a worker thread, one call at a time."""

    def __init__(self, sample_rate: int) -> None:
        super().__init__()
        self._resampler = Resampler(sample_rate, STT_RATE)
        self._noise = _noise()
        self._pool = _get_sphinx().assistant
        self._decoder: Any = None
        self._since_partial = 0
        self._last_partial = ""
        self._lock = asyncio.Lock()
        self._done = False

    async def __aenter__(self) -> OfflineSttStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _ensure_started(self) -> Any:
        if self._decoder is None:
            self._decoder = await asyncio.to_thread(self._pool.acquire)
            # The features (the cepstral mean among them) adapt as this session's audio
            # arrives, from the model's starting point, not from whatever the pooled decoder
            # heard last (another caller): the same audio gives the same transcript.
            self._decoder.reinit_feat()
            self._decoder.start_utt()
        return self._decoder

    async def send(self, pcm16: bytes) -> None:
        if self._done:
            raise SpeechProviderError(NAME, "stream already finished", retryable=False)
        audio = dithered(self._resampler.feed(pcm16), self._noise)
        async with self._lock:
            decoder = await self._ensure_started()
            if audio:
                await asyncio.to_thread(decoder.process_raw, audio, False, False)
            self._since_partial += len(audio)
            if self._since_partial >= _PARTIAL_EVERY_BYTES:
                self._since_partial = 0
                partial = _result(decoder, is_final=False)
                if partial.text and partial.text != self._last_partial:
                    self._last_partial = partial.text
                    self.emit(partial)

    async def finish(self) -> None:
        if self._done:
            return
        async with self._lock:
            decoder = await self._ensure_started()
            tail = dithered(self._resampler.flush(), self._noise)
            if tail:
                await asyncio.to_thread(decoder.process_raw, tail, False, False)
            decoder.end_utt()
            self.emit(_result(decoder, is_final=True))
        await self.close()

    async def close(self) -> None:
        if self._done:
            return
        self._done = True
        if self._decoder is not None:
            with contextlib.suppress(RuntimeError):
                self._decoder.end_utt()
            self._pool.release(self._decoder)
        self.end()


# --- eSpeak NG ------------------------------------------------------------------------------

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_ESPEAK_CHARS_UTF8 = 1
_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class _Espeak:
    """The eSpeak NG library (one per process; not re-entrant, so calls hold `lock`)."""

    def __init__(self) -> None:
        import espeakng_loader

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        data = espeakng_loader.get_data_path().encode()
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
        if rate != ESPEAK_RATE:
            raise SpeechProviderError(NAME, f"eSpeak NG failed to start ({rate})", retryable=False)
        self._lib = lib
        self._sink: Callable[[bytes], bool] | None = None
        self._callback = _SynthCallback(self._on_audio)
        lib.espeak_SetSynthCallback(self._callback)
        self.lock = threading.Lock()

    def _on_audio(self, wav: Any, samples: int, _events: Any) -> int:
        if samples > 0 and self._sink is not None:
            keep_going = self._sink(ctypes.string_at(wav, samples * 2))
            return 0 if keep_going else 1
        return 0

    def synthesize(self, text: str, voice: str, sink: Callable[[bytes], bool]) -> None:
        """Synthesise `text`, handing each PCM chunk to `sink`; `sink` returning False stops."""
        encoded = text.encode("utf-8")
        with self.lock:
            if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise SpeechProviderError(NAME, f"unknown voice {voice!r}", retryable=False)
            self._sink = sink
            try:
                status = self._lib.espeak_Synth(
                    encoded, len(encoded) + 1, 0, 0, 0, _ESPEAK_CHARS_UTF8, None, None
                )
            finally:
                self._sink = None
        if status != 0:
            raise SpeechProviderError(NAME, f"eSpeak NG synthesis failed ({status})")


_espeak: _Espeak | None = None
_espeak_lock = threading.Lock()


def _get_espeak() -> _Espeak:
    global _espeak
    with _espeak_lock:
        if _espeak is None:
            _espeak = _Espeak()
        return _espeak


def synthesize_blocking(text: str, language: Language = "en", voice: str | None = None) -> bytes:
    """The whole utterance at 22.05 kHz, synchronously (tests, benches, cached prompts)."""
    check_language(NAME, language, tuple(VOICES))
    chunks: list[bytes] = []

    def keep(chunk: bytes) -> bool:
        chunks.append(chunk)
        return True

    _get_espeak().synthesize(text, voice or VOICES[language], keep)
    return b"".join(chunks)


class OfflineTTS:
    """eSpeak NG: PCM16 at 22.05 kHz natively, resampled on the fly to the rate asked for."""

    name = NAME
    sample_rate = ESPEAK_RATE

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
        check_language(NAME, language, tuple(VOICES))
        if not text.strip():
            return
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        cancelled = threading.Event()

        def sink(chunk: bytes) -> bool:
            loop.call_soon_threadsafe(chunks.put_nowait, chunk)
            return not cancelled.is_set()

        def run() -> None:
            try:
                _get_espeak().synthesize(text, voice or VOICES[language], sink)
            finally:
                loop.call_soon_threadsafe(chunks.put_nowait, None)

        worker = loop.run_in_executor(None, run)
        resampler = Resampler(ESPEAK_RATE, sample_rate or ESPEAK_RATE)
        try:
            while (chunk := await chunks.get()) is not None:
                out = resampler.feed(chunk)
                if out:
                    yield out
            await worker
            tail = resampler.flush()
            if tail:
                yield tail
        finally:
            cancelled.set()
