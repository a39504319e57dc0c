"""The sentence speaker: each sentence goes to TTS as soon as it is complete, a bounded number
ahead of the one being spoken, and is spoken strictly in order."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import weakref

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


def test_a_flushed_sentence_is_spoken_without_waiting_for_more_text() -> None:
    async def run() -> tuple[list[str], list[str]]:
        tts = FixedTextToSpeech()
        speaker = SentenceSpeaker(tts, "en", 16000)
        audio = speaker.audio()
        speaker.feed("It is on extension 2001.")  # "2001." could still become "2001.5"
        held_back = list(speaker.sentences)
        speaker.flush()  # the model's response ended: the text so far is complete
        await _next_chunk(audio)
        return held_back, tts.spoken

    held_back, spoken = asyncio.run(run())
    assert held_back == []
    assert spoken == ["It is on extension two thousand one."]


def test_audio_already_made_leaves_in_pieces_of_at_most_half_a_second() -> None:
    async def run() -> list[SpokenAudio]:
        tts = FixedTextToSpeech(chunk_ms=20, ms_per_char=60)  # 20 ms chunks, all at once
        speaker = SentenceSpeaker(tts, "en", 16000)
        speaker.feed("One two three four five six.")  # 28 characters: 1.68 s of audio
        speaker.finish()
        return [piece async for piece in speaker.audio()]

    pieces = asyncio.run(run())
    sizes = [len(piece.pcm16) for piece in pieces if piece.pcm16]
    limit = int(16000 * 2 * SentenceSpeaker.PIECE_MAX_S)
    assert sum(sizes) == 2 * int(16000 * 28 * 60 / 1000)  # nothing lost
    assert all(size <= limit for size in sizes)
    assert len(sizes) == 4  # 84 chunks of 20 ms become 4 pieces
    assert pieces[-1].last and not pieces[-1].pcm16


def test_a_spoken_answer_is_freed_without_the_garbage_collector() -> None:
    """A turn's speech holds no reference cycle (speaker <-> syntheses, or a cancelled task's
    exception and frames): at hundreds of sessions every cycle lengthens the collector's pauses,
    which stall every turn in flight."""

    async def run() -> tuple[bool, set[asyncio.Task[object]]]:
        speaker = SentenceSpeaker(FixedTextToSpeech(chunk_ms=200), "en", 16000)
        speaker.feed(SENTENCES)
        speaker.finish()
        async with contextlib.aclosing(speaker.audio()) as audio:
            async for _piece in audio:
                pass
        await asyncio.sleep(0)  # the syntheses' tasks take their last step
        freed = weakref.ref(speaker)
        del speaker
        return freed() is None, {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}

    gc.collect()
    gc.disable()
    try:
        freed, left = asyncio.run(run())
    finally:
        gc.enable()
    assert freed
    assert left == set()


def test_a_synthesis_already_made_ends_by_itself_when_the_audio_closes() -> None:
    """Closing the audio releases a sentence whose audio is all made instead of cancelling it
    (the two of the lookahead), cancels those still waiting for a slot, and a sentence fed
    after the close is not synthesised."""

    async def run() -> tuple[list[bool], list[str]]:
        tts = FixedTextToSpeech(chunk_ms=200)
        speaker = SentenceSpeaker(tts, "en", 16000)
        audio = speaker.audio()
        speaker.feed(SENTENCES)
        await _next_chunk(audio)
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        await asyncio.sleep(0)  # the lookahead's second sentence is made too
        await audio.aclose()  # type: ignore[attr-defined]
        await asyncio.gather(*tasks, return_exceptions=True)
        speaker.feed("One more thing. ")
        await asyncio.sleep(0)
        return sorted(t.cancelled() for t in tasks), tts.spoken

    cancelled, spoken = asyncio.run(run())
    assert cancelled == [False, False, True, True]
    assert spoken == ["First I checked.", "Then I found two."]
