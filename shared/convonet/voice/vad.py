"""Voice activity detection: where an utterance starts (barge-in) and ends (take the turn).

WebRTC's VAD (the `webrtcvad-wheels` build) classifies each 20 ms frame; this wraps it in the
usual hysteresis: speech starts once `min_speech_ms` of the last window is voiced, and ends
after `silence_ms` without speech (VAD_SILENCE_MS). Works at 8 kHz (phone) and 16 kHz
(browser); chunks of any size are framed internally. Times are positions in the audio stream
(milliseconds since the detector started), never wall-clock, so it is deterministic.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal

from convonet.config import get_settings
from convonet.voice.audio import FRAME_MS, FrameBuffer

SUPPORTED_RATES = (8000, 16000, 32000, 48000)
_PRE_ROLL_MS = 300  # audio kept from before the start, so the first syllable is not cut


@dataclass(frozen=True)
class VadEvent:
    kind: Literal["speech_start", "speech_end"]
    at_ms: int
    audio: bytes = b""  # on speech_end: the whole utterance (with pre-roll), PCM16


class VoiceActivityDetector:
    def __init__(
        self,
        sample_rate: int,
        *,
        silence_ms: int | None = None,
        min_speech_ms: int | None = None,
        aggressiveness: int | None = None,
    ) -> None:
        import webrtcvad

        if sample_rate not in SUPPORTED_RATES:
            raise ValueError(f"VAD needs one of {SUPPORTED_RATES} Hz, not {sample_rate}")
        settings = get_settings()
        self.sample_rate = sample_rate
        self.silence_ms = settings.vad_silence_ms if silence_ms is None else silence_ms
        self.min_speech_ms = settings.vad_min_speech_ms if min_speech_ms is None else min_speech_ms
        mode = settings.vad_aggressiveness if aggressiveness is None else aggressiveness
        self._vad = webrtcvad.Vad(mode)
        self._frames = FrameBuffer(sample_rate, FRAME_MS)
        self._start_window: deque[bool] = deque(maxlen=max(1, self.min_speech_ms // FRAME_MS))
        self._pre_roll: deque[bytes] = deque(maxlen=_PRE_ROLL_MS // FRAME_MS)
        self._utterance = bytearray()
        self._position_ms = 0
        self._silent_ms = 0
        self.in_speech = False

    def feed(self, pcm16: bytes) -> list[VadEvent]:
        events: list[VadEvent] = []
        for frame in self._frames.feed(pcm16):
            event = self._on_frame(frame)
            if event is not None:
                events.append(event)
        return events

    def flush(self) -> list[VadEvent]:
        """End of the stream: close an utterance that is still open."""
        if not self.in_speech:
            return []
        return [self._end()]

    def _on_frame(self, frame: bytes) -> VadEvent | None:
        voiced = self._vad.is_speech(frame, self.sample_rate)
        self._position_ms += FRAME_MS
        if self.in_speech:
            self._utterance.extend(frame)
            self._silent_ms = 0 if voiced else self._silent_ms + FRAME_MS
            return self._end() if self._silent_ms >= self.silence_ms else None
        self._pre_roll.append(frame)
        self._start_window.append(voiced)
        window = self._start_window
        if len(window) == window.maxlen and sum(window) >= 0.8 * len(window):
            self.in_speech = True
            self._silent_ms = 0
            self._utterance = bytearray(b"".join(self._pre_roll))
            self._pre_roll.clear()
            return VadEvent("speech_start", self._position_ms - len(window) * FRAME_MS)
        return None

    def _end(self) -> VadEvent:
        self.in_speech = False
        self._start_window.clear()
        audio = bytes(self._utterance)
        self._utterance = bytearray()
        return VadEvent("speech_end", self._position_ms - self._silent_ms, audio)
