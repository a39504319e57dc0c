"""Voice activity detection on real synthesized speech with silence around it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from convonet.voice import audio
from convonet.voice.vad import VadEvent, VoiceActivityDetector

from tests.fixtures.speech import speak


def utterance(text: str, rate: int, *, lead_ms: int = 500, tail_ms: int = 1000) -> bytes:
    pcm, native = speak(text)
    speech = audio.resample(pcm, native, rate)
    return audio.silence(lead_ms, rate) + speech + audio.silence(tail_ms, rate)


def feed_in_chunks(vad: VoiceActivityDetector, pcm: bytes, chunk: int = 700) -> list[VadEvent]:
    events: list[VadEvent] = []
    for start in range(0, len(pcm), chunk):
        events += vad.feed(pcm[start : start + chunk])
    return events


@pytest.mark.parametrize("rate", [16000, 8000])
def test_one_utterance_starts_and_ends(rate: int) -> None:
    pcm = utterance("book a table for four people at seven pm on friday", rate)
    if rate == 8000:  # the phone path: through mu-law and back
        pcm = audio.mulaw_decode(audio.mulaw_encode(pcm))
    vad = VoiceActivityDetector(rate, silence_ms=600, min_speech_ms=100)

    events = feed_in_chunks(vad, pcm)

    assert [e.kind for e in events] == ["speech_start", "speech_end"]
    start, end = events
    speech_ms = audio.duration_ms(
        speak("book a table for four people at seven pm on friday")[0], 22050
    )
    assert 400 <= start.at_ms <= 700
    assert abs((end.at_ms - start.at_ms) - speech_ms) < 400
    assert audio.duration_ms(end.audio, rate) >= speech_ms


def test_silence_setting_decides_when_the_turn_ends(configure: Callable[..., object]) -> None:
    configure(VAD_SILENCE_MS=300)
    pcm = utterance("what is my deductible", 16000, tail_ms=600)

    short = feed_in_chunks(VoiceActivityDetector(16000), pcm)
    long = feed_in_chunks(VoiceActivityDetector(16000, silence_ms=1000), pcm)

    assert [e.kind for e in short] == ["speech_start", "speech_end"]
    assert [e.kind for e in long] == ["speech_start"]


def test_flush_closes_an_open_utterance() -> None:
    vad = VoiceActivityDetector(16000, silence_ms=2000)
    assert [e.kind for e in vad.feed(utterance("list my todos", 16000, tail_ms=100))] == [
        "speech_start"
    ]
    (end,) = vad.flush()
    assert end.kind == "speech_end" and end.audio
    assert vad.flush() == []


def test_two_utterances_are_two_turns() -> None:
    pcm = utterance("add a todo to buy bread", 16000) + utterance("list my todos", 16000)
    events = feed_in_chunks(VoiceActivityDetector(16000, silence_ms=500), pcm)
    assert [e.kind for e in events] == ["speech_start", "speech_end"] * 2


def test_silence_and_low_noise_are_not_speech() -> None:
    noise = (np.random.default_rng(7).normal(0, 40, 16000 * 2)).astype("<i2").tobytes()
    vad = VoiceActivityDetector(16000)
    assert feed_in_chunks(vad, audio.silence(2000, 16000) + noise) == []


def test_unsupported_rate_is_refused() -> None:
    with pytest.raises(ValueError):
        VoiceActivityDetector(22050)
