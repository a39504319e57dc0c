"""The sentence speaker: each sentence goes to TTS as soon as it is complete, a bounded number
ahead of the one being spoken, and is spoken strictly in order."""

from __future__ import annotations

import asyncio

from convonet.speech.fixed import FixedTextToSpeech
from convonet.voice.pipeline import SentenceSpeaker, SpokenAudio

SENTENCES = "First I checked. Then I found two. Finally I sorted them. That is all. "


async def _next_chunk(audio: object) -> SpokenAudio:
    return await anext(audio)  # type: ignore[call-overload,no-any-return]


def test_next_sentences_synthesise_while_the_first_is_spoken() -> None:
    async def run() -> tuple[list[str], list[str], list[int]]:
        tts = FixedTextToSpeech(latency_s=0.05, chunk_ms=10_000)
        speaker = SentenceSpeaker(tts, "en", 16000)
        audio = speaker.audio()
        speaker.feed(SENTENCES)
        speaker.finish()
        await _next_chunk(audio)  # the first sentence's audio is being spoken
        asked_while_first_spoken = list(tts.spoken)
        order = []
        async for piece in audio:
            order.append(piece.sentence)
        return asked_while_first_spoken, tts.spoken, order

    asked, all_asked, order = asyncio.run(run())
    assert asked == ["First I checked.", "Then I found two."]  # lookahead of two, no more
    assert all_asked == [
        "First I checked.",
        "Then I found two.",
        "Finally I sorted them.",
        "That is all.",
    ]
    assert order == sorted(order)  # strictly in order, each sentence then its end marker


def test_closing_the_audio_stops_every_synthesis_in_flight() -> None:
    async def run() -> set[asyncio.Task[object]]:
        tts = FixedTextToSpeech(latency_s=30.0)
        speaker = SentenceSpeaker(tts, "en", 16000)
        audio = speaker.audio()
        speaker.feed(SENTENCES)
        waiting = asyncio.ensure_future(_next_chunk(audio))
        await asyncio.sleep(0.01)
        waiting.cancel()  # a barge-in cancels the task that speaks
        await asyncio.gather(waiting, return_exceptions=True)
        await asyncio.sleep(0)
        return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}

    assert asyncio.run(run()) == set()
