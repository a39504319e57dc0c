"""Audio formats: G.711 mu-law, resampling, framing, WAV, WebM/Opus; and lazy imports."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from convonet.voice import audio

from tests.fixtures.speech import speak


def tone(freq: float, rate: int, seconds: float = 0.5, level: float = 8000.0) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    return (level * np.sin(2 * np.pi * freq * t)).astype("<i2").tobytes()


def peak_hz(pcm: bytes, rate: int) -> float:
    samples = np.frombuffer(pcm, "<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.argmax(spectrum) * rate / len(samples))


def test_mulaw_matches_g711_reference_codes() -> None:
    samples = np.array([0, -1, 1, 32767, -32768, 1000, -1000], dtype="<i2").tobytes()
    assert audio.mulaw_encode(samples).hex() == "ff7fff8000ce4e"
    decoded = np.frombuffer(audio.mulaw_decode(bytes([0xFF, 0x7F, 0x80, 0x00, 0xCE])), "<i2")
    assert decoded.tolist() == [0, 0, 32124, -32124, 988]


def test_mulaw_round_trip_error_is_within_the_quantisation_step() -> None:
    pcm, _ = speak("what is my deductible")
    original = np.frombuffer(pcm, "<i2").astype(int)
    restored = np.frombuffer(audio.mulaw_decode(audio.mulaw_encode(pcm)), "<i2").astype(int)
    error = np.abs(original - restored)
    assert np.all(error <= np.maximum(np.abs(original) // 16, 8) + 4)
    assert len(audio.mulaw_encode(pcm)) == len(pcm) // 2


def test_mulaw_decode_of_every_code_then_encode_is_identity() -> None:
    codes = bytes(range(256))
    again = audio.mulaw_encode(audio.mulaw_decode(codes))
    # 0x7F decodes to 0, which encodes as 0xFF; every other code survives the round trip
    assert [a for a, b in zip(codes, again, strict=True) if a != b] == [0x7F]


def test_odd_pcm_is_refused() -> None:
    with pytest.raises(ValueError):
        audio.mulaw_encode(b"\0\0\0")


@pytest.mark.parametrize(
    ("src", "dst"), [(8000, 16000), (16000, 8000), (22050, 16000), (24000, 8000), (16000, 24000)]
)
def test_resampling_keeps_duration_and_pitch(src: int, dst: int) -> None:
    out = audio.resample(tone(440, src), src, dst)
    assert abs(audio.duration_ms(out, dst) - 500) < 2
    assert abs(peak_hz(out, dst) - 440) < 4


def test_streaming_resampler_matches_whole_buffer() -> None:
    pcm = tone(300, 22050, 1.0)
    resampler = audio.Resampler(22050, 16000)
    chunks = [resampler.feed(pcm[i : i + 882]) for i in range(0, len(pcm), 882)]
    streamed = b"".join(chunks) + resampler.flush()
    whole = audio.resample(pcm, 22050, 16000)
    assert abs(len(streamed) - len(whole)) <= 4
    assert abs(peak_hz(streamed, 16000) - 300) < 3
    assert audio.Resampler(8000, 8000).feed(b"ab") == b"ab"


def test_phone_round_trip_keeps_speech_band() -> None:
    back = audio.phone_to_stt(audio.pcm_to_phone(tone(1000, 16000), 16000))
    assert abs(peak_hz(back, 16000) - 1000) < 4
    assert audio.rms(back) > 0.8 * audio.rms(tone(1000, 16000))


def test_frames_are_twenty_ms_and_the_tail_is_padded() -> None:
    pcm = bytes(range(240)) * 5  # 1200 bytes at 8 kHz: 3.75 frames of 320 bytes
    frames = list(audio.frames(pcm, 8000))
    assert [len(f) for f in frames] == [320] * 4
    assert b"".join(frames)[: len(pcm)] == pcm


def test_frame_buffer_regroups_arbitrary_chunks() -> None:
    buffer = audio.FrameBuffer(16000)
    out = buffer.feed(b"\1" * 500) + buffer.feed(b"\2" * 500) + buffer.feed(b"\3" * 100)
    assert [len(f) for f in out] == [640]
    tail = buffer.flush()
    assert len(tail) == 640 and tail.startswith(b"\2" * 360 + b"\3" * 100)
    assert buffer.flush() == b""


def test_wav_round_trip_and_stereo_downmix() -> None:
    pcm = tone(440, 16000, 0.1)
    assert audio.read_wav(audio.write_wav(pcm, 16000)) == (pcm, 16000)
    import io
    import wave

    stereo = io.BytesIO()
    with wave.open(stereo, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.array([100, 300, -100, -300], dtype="<i2").tobytes())
    mono, rate = audio.read_wav(stereo.getvalue())
    assert rate == 8000 and np.frombuffer(mono, "<i2").tolist() == [200, -200]


def test_webm_opus_round_trip_like_a_browser_recording() -> None:
    pcm = audio.resample(speak("list my todos")[0], 22050, 16000)
    webm = audio.encode_webm_opus(pcm, 16000)
    assert webm[:4] == bytes.fromhex("1a45dfa3")  # EBML header
    assert len(webm) < len(pcm) // 2
    decoded = audio.decode_webm_opus(webm, 16000)
    assert abs(audio.duration_ms(decoded, 16000) - audio.duration_ms(pcm, 16000)) < 30
    assert audio.decode_webm_opus(webm, 8000)  # any rate the engine wants


@pytest.mark.parametrize("data", [b"", b"not audio at all", bytes.fromhex("1a45dfa3") + b"\0" * 64])
def test_undecodable_audio_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        audio.decode_webm_opus(data)


def test_importing_audio_and_text_loads_no_engine_or_sdk() -> None:
    heavy = ["av", "pocketsphinx", "espeakng_loader", "deepgram", "elevenlabs", "cartesia"]
    script = (
        "import sys, convonet.voice.audio, convonet.voice.text, convonet.speech;"
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


_RESAMPLE_THREE_TIMES = """
import numpy as np
from convonet.voice import audio
pcm = (np.random.default_rng(7).standard_normal(8000) * 3000).astype("<i2").tobytes()
def once():
    r = audio.Resampler(8000, 16000)
    return b"".join(r.feed(pcm[i : i + 320]) for i in range(0, len(pcm), 320)) + r.flush()
whole = [audio.resample(pcm, 8000, 16000) for _ in range(3)]
print(once() == once() == once(), whole[0] == whole[1] == whole[2])
"""


def test_resampling_gives_the_same_audio_every_time() -> None:
    """No random dither: libsoxr's own 16-bit output is dithered from a generator whose state
    made a process's first stream differ from the next ones (so the recogniser heard other
    audio from run to run). In a fresh interpreter, where the first stream is the first."""
    result = subprocess.run(
        [sys.executable, "-c", _RESAMPLE_THREE_TIMES], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["True", "True"]
