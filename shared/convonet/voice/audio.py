"""Audio formats the voice path meets: PCM16, G.711 mu-law, WAV and browser WebM/Opus.

Everything here is 16-bit signed little-endian mono PCM ("PCM16") unless said otherwise.
- Phone (Twilio media streams): mu-law at 8 kHz in and out; table-based G.711 with numpy
  (`audioop` is deprecated and gone in Python 3.13).
- Browser: PCM16 from an AudioWorklet, or WebM/Opus from MediaRecorder, decoded with PyAV
  (the `av` wheel ships its own FFmpeg libraries; no subprocess). PyAV is imported only
  inside the WebM functions.
- Resampling between 8, 16, 22.05 and 24 kHz with soxr (high quality, streaming-capable), in
  float32 and rounded to PCM16 here: soxr's own 16-bit output adds dither from a generator
  seeded with the time and an address, so the same audio came out different in every process
  and the offline recogniser's result on it changed from run to run.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from typing import Any

import numpy as np
import soxr

FRAME_MS = 20
PCM16_WIDTH = 2
PHONE_RATE = 8000
STT_RATE = 16000

_MULAW_BIAS = 0x84
_MULAW_CLIP = 32635


def _build_mulaw_decode_table() -> np.ndarray:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + _MULAW_BIAS) << exponent) - _MULAW_BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


def _build_mulaw_encode_table() -> np.ndarray:
    """One code per possible 16-bit sample (indexed by the sample as uint16)."""
    samples = np.arange(65536, dtype=np.int32)
    samples = np.where(samples >= 32768, samples - 65536, samples)
    sign = np.where(samples < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(samples), _MULAW_CLIP) + _MULAW_BIAS
    exponent = np.floor(np.log2(magnitude)).astype(np.int32) - 7
    exponent = np.clip(exponent, 0, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)


_MULAW_DECODE = _build_mulaw_decode_table()
_MULAW_ENCODE = _build_mulaw_encode_table()


def mulaw_decode(data: bytes) -> bytes:
    """G.711 mu-law bytes -> PCM16 (same sample rate)."""
    return _MULAW_DECODE[np.frombuffer(data, dtype=np.uint8)].tobytes()


def mulaw_encode(pcm16: bytes) -> bytes:
    """PCM16 -> G.711 mu-law bytes (same sample rate)."""
    return _MULAW_ENCODE[_samples(pcm16).view(np.uint16)].tobytes()


def _samples(pcm16: bytes) -> np.ndarray:
    if len(pcm16) % PCM16_WIDTH:
        raise ValueError("PCM16 audio must have an even number of bytes")
    return np.frombuffer(pcm16, dtype="<i2")


def _floats(pcm16: bytes) -> np.ndarray:
    return _samples(pcm16).astype(np.float32)


def _to_pcm16(samples: np.ndarray) -> bytes:
    """Float samples in PCM16 units, rounded (no dither: the same audio in, the same out)."""
    return np.clip(np.rint(samples), -32768, 32767).astype("<i2").tobytes()


def dithered(pcm16: bytes, noise: np.random.Generator) -> bytes:
    """PCM16 with triangular noise of up to one step per sample from `noise`: audio that has
    digital silence (exact zeros: synthesised speech, padding; never a microphone) made
    usable for a recogniser that takes the log of each frame's energy."""
    samples = _floats(pcm16)
    jitter = noise.random(samples.size, dtype=np.float32) - noise.random(
        samples.size, dtype=np.float32
    )
    return _to_pcm16(samples + jitter)


def duration_ms(pcm16: bytes, sample_rate: int) -> float:
    return 1000.0 * len(pcm16) / (PCM16_WIDTH * sample_rate)


def silence(ms: float, sample_rate: int) -> bytes:
    return bytes(PCM16_WIDTH * int(sample_rate * ms / 1000))


def rms(pcm16: bytes) -> float:
    """Root-mean-square level in sample units (0..32768)."""
    samples = _samples(pcm16)
    if not samples.size:
        return 0.0
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


def resample(pcm16: bytes, from_rate: int, to_rate: int) -> bytes:
    """Resample a whole PCM16 buffer (for a stream of chunks use `Resampler`)."""
    if from_rate == to_rate or not pcm16:
        return pcm16
    return _to_pcm16(soxr.resample(_floats(pcm16), from_rate, to_rate, quality="HQ"))


class Resampler:
    """Streaming resampler: feed chunks as they arrive, no clicks at chunk boundaries."""

    def __init__(self, from_rate: int, to_rate: int) -> None:
        self.from_rate = from_rate
        self.to_rate = to_rate
        self._stream: Any = (
            None
            if from_rate == to_rate
            else soxr.ResampleStream(from_rate, to_rate, 1, dtype="float32", quality="HQ")
        )

    def feed(self, pcm16: bytes, *, last: bool = False) -> bytes:
        if self._stream is None:
            return pcm16
        return _to_pcm16(self._stream.resample_chunk(_floats(pcm16), last=last))

    def flush(self) -> bytes:
        return self.feed(b"", last=True)


def frame_bytes(sample_rate: int, frame_ms: int = FRAME_MS) -> int:
    return PCM16_WIDTH * sample_rate * frame_ms // 1000


def frames(pcm16: bytes, sample_rate: int, frame_ms: int = FRAME_MS) -> Iterator[bytes]:
    """Whole frames of `frame_ms`; a short tail is padded with silence."""
    size = frame_bytes(sample_rate, frame_ms)
    for start in range(0, len(pcm16), size):
        frame = pcm16[start : start + size]
        yield frame + bytes(size - len(frame))


class FrameBuffer:
    """Collects arbitrary-sized chunks and hands out whole fixed-size frames."""

    def __init__(self, sample_rate: int, frame_ms: int = FRAME_MS) -> None:
        self.sample_rate = sample_rate
        self.frame_ms = frame_ms
        self.frame_size = frame_bytes(sample_rate, frame_ms)
        self._pending = bytearray()

    def feed(self, chunk: bytes) -> list[bytes]:
        self._pending.extend(chunk)
        whole = len(self._pending) - len(self._pending) % self.frame_size
        out = [
            bytes(self._pending[i : i + self.frame_size]) for i in range(0, whole, self.frame_size)
        ]
        del self._pending[:whole]
        return out

    def flush(self) -> bytes:
        """The leftover partial frame, padded to a whole frame (empty when none is left)."""
        if not self._pending:
            return b""
        tail = bytes(self._pending) + bytes(self.frame_size - len(self._pending))
        self._pending.clear()
        return tail


def phone_to_stt(mulaw: bytes, to_rate: int = STT_RATE) -> bytes:
    """Twilio media payload (mu-law 8 kHz) -> PCM16 at the STT rate."""
    return resample(mulaw_decode(mulaw), PHONE_RATE, to_rate)


def pcm_to_phone(pcm16: bytes, sample_rate: int) -> bytes:
    """PCM16 at any rate -> mu-law 8 kHz for a Twilio media stream."""
    return mulaw_encode(resample(pcm16, sample_rate, PHONE_RATE))


def write_wav(pcm16: bytes, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(PCM16_WIDTH)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm16)
    return buffer.getvalue()


def read_wav(data: bytes) -> tuple[bytes, int]:
    """A PCM16 WAV (mono, or downmixed to mono) -> (pcm16, sample_rate)."""
    with wave.open(io.BytesIO(data), "rb") as wav:
        if wav.getsampwidth() != PCM16_WIDTH:
            raise ValueError("only 16-bit WAV is supported")
        channels = wav.getnchannels()
        rate = wav.getframerate()
        raw = wav.readframes(wav.getnframes())
    if channels == 1:
        return raw, rate
    mixed = _samples(raw).reshape(-1, channels).mean(axis=1)
    return mixed.astype("<i2").tobytes(), rate


def decode_webm_opus(data: bytes, sample_rate: int = STT_RATE) -> bytes:
    """A browser MediaRecorder recording (WebM/Opus, or any container FFmpeg reads) -> PCM16
    mono at `sample_rate`. Raises ValueError when the bytes are not decodable audio."""
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise ValueError("no audio stream")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
            out = bytearray()
            for frame in container.decode(audio=0):
                for converted in resampler.resample(frame):
                    out.extend(bytes(converted.planes[0])[: converted.samples * PCM16_WIDTH])
            for converted in resampler.resample(None):
                out.extend(bytes(converted.planes[0])[: converted.samples * PCM16_WIDTH])
    except av.FFmpegError as exc:
        raise ValueError(f"undecodable audio: {exc}") from exc
    return bytes(out)


def encode_webm_opus(pcm16: bytes, sample_rate: int) -> bytes:
    """PCM16 -> WebM/Opus at 48 kHz, the way a browser MediaRecorder records it (for tests
    and the call simulator)."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="webm") as container:
        stream: Any = container.add_stream("libopus", rate=48000)
        stream.layout = "mono"
        samples = _samples(pcm16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = sample_rate
        frame.pts = None
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()
