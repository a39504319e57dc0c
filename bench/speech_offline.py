"""Offline speech figures: PocketSphinx time per utterance (phone and browser paths) and eSpeak
NG time to first byte and real-time factor. Prints figures; asserts nothing.

    .venv/bin/python bench/speech_offline.py [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from convonet.speech.offline import ESPEAK_RATE, OfflineSTT, OfflineTTS, synthesize_blocking
from convonet.voice import audio

UTTERANCES = (
    "add a todo to buy bread",
    "book a table for four people at seven pm on friday",
    "transfer me to a human agent",
    "what is my deductible",
    "check the status of my mortgage application",
    "remind me to call mom tomorrow at nine am",
    "cancel my dinner reservation",
    "list my todos",
)
REPLY = "Your table for four is booked for Friday at seven PM. Your code is H N K, A B 1 2."


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


async def bench_stt(repeat: int) -> None:
    stt = OfflineSTT()
    start = time.perf_counter()
    stt.warm_up()
    print(f"STT warm-up (LM build + first decoder): {_ms(time.perf_counter() - start)}")
    paths = {
        "browser 16 kHz": lambda pcm: audio.resample(pcm, ESPEAK_RATE, audio.STT_RATE),
        "phone 8 kHz mu-law": lambda pcm: audio.phone_to_stt(audio.pcm_to_phone(pcm, ESPEAK_RATE)),
    }
    for label, convert in paths.items():
        times, audio_s, exact = [], 0.0, 0
        for text in UTTERANCES:
            pcm = convert(synthesize_blocking(text))
            audio_s += audio.duration_ms(pcm, audio.STT_RATE) / 1000 * repeat
            for _ in range(repeat):
                start = time.perf_counter()
                transcript = await stt.transcribe(pcm, audio.STT_RATE)
                times.append(time.perf_counter() - start)
            exact += transcript.text == text
        print(
            f"STT {label:20s} median {_ms(statistics.median(times))}  "
            f"p95 {_ms(sorted(times)[int(0.95 * (len(times) - 1))])}  "
            f"RTF {sum(times) / audio_s:5.3f}  exact {exact}/{len(UTTERANCES)}"
        )


async def bench_tts(repeat: int) -> None:
    tts = OfflineTTS()
    for rate in (ESPEAK_RATE, 16000, 8000):
        first_bytes, rtfs = [], []
        for _ in range(repeat):
            start = time.perf_counter()
            first = None
            size = 0
            async for chunk in tts.synthesize_stream(REPLY, sample_rate=rate):
                first = first if first is not None else time.perf_counter() - start
                size += len(chunk)
            total = time.perf_counter() - start
            first_bytes.append(first or total)
            rtfs.append(total / (audio.duration_ms(b"\0" * size, rate) / 1000))
        print(
            f"TTS {rate:5d} Hz  first byte median {_ms(statistics.median(first_bytes))}  "
            f"RTF {statistics.median(rtfs):6.4f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(bench_stt(args.repeat))
    asyncio.run(bench_tts(max(args.repeat, 5)))


if __name__ == "__main__":
    main()
