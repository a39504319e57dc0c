"""Audio end to end with no network: utterances spoken by the offline TTS go over /webrtc/ws as
PCM16 and as WebM/Opus (batch) and as hands-free PCM16 (streaming, the VAD ends the turn); the
offline STT transcribes them, the offline model makes the right tool call on the demo data,
and audio comes back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from convonet.db.engine import session_scope
from convonet.demo import DEMO_PIN, seed_demo_data
from convonet.speech import build_tts
from convonet.speech.base import synthesize
from convonet.voice.audio import STT_RATE, encode_webm_opus, silence

from tests.fixtures.voice import VoiceClient, VoiceServer, talk

pytestmark = [
    pytest.mark.usefixtures("migrated_db", "use_local_state"),
    pytest.mark.parametrize("db_backend", ["sqlite"]),
]

# (utterance, tool the offline model must call)
REQUESTS = [
    ("add a todo to buy bread", "create_todo"),
    ("what are my todos", "list_todos"),
    ("remind me to call the bank tomorrow", "create_reminder"),
    ("what's on my calendar tomorrow", "list_calendar_events"),
    ("check my eligibility", "check_eligibility"),
    ("what is my deductible", "get_deductible_status"),
    ("what is my mortgage application status", "get_mortgage_application_status"),
    ("calculate my debt to income ratio", "calculate_dti_ratio"),
    ("find a cardiologist", "search_providers"),
    ("transfer me to a human agent", "transfer_to_agent"),
]


@pytest.fixture
def demo_data() -> Iterator[None]:
    with session_scope() as session:
        seed_demo_data(session)
    yield


def _speech(text: str) -> bytes:
    async def run() -> bytes:
        return await synthesize(build_tts("offline"), text, sample_rate=STT_RATE)

    return asyncio.run(run())


async def _turn(client: VoiceClient, encoding: str, audio: bytes) -> dict[str, Any]:
    await client.send(type="start_recording", mode="batch", encoding=encoding, sample_rate=STT_RATE)
    await client.send_audio(audio, chunk_bytes=16000)
    await client.send(type="stop_recording")
    transcript = await client.until("transcript_final")
    tools = []
    while True:
        frame = await client.recv()
        if frame["type"] == "status" and frame["stage"] == "tool":
            tools.append(frame["tool"])
        if frame["type"] == "agent_final":
            final = frame
        if frame["type"] == "status" and frame["stage"] == "ready":
            break
    return {
        "transcript": transcript["text"],
        "tools": tools,
        "final": final,
        "audio": client.audio_of(final["turn_id"]),
    }


@pytest.mark.parametrize("encoding", ["pcm16", "webm"])
def test_spoken_requests_make_the_right_tool_calls(
    voice_server: VoiceServer, demo_data: None, encoding: str, configure: Any
) -> None:
    configure(VOICE_MAX_MESSAGES_PER_S=10_000)
    clips = {}
    for text, _tool in REQUESTS:
        pcm = _speech(text)
        clips[text] = encode_webm_opus(pcm, STT_RATE) if encoding == "webm" else pcm

    async def script(client: VoiceClient) -> list[dict[str, Any]]:
        await client.ready(pin=DEMO_PIN)
        return [await _turn(client, encoding, clips[text]) for text, _ in REQUESTS]

    results = talk(voice_server.ws_url(), script)
    for (text, tool), result in zip(REQUESTS, results, strict=True):
        assert tool in result["tools"], (text, result["transcript"], result["tools"])
        assert result["final"]["text"]
        assert len(result["audio"]) > STT_RATE  # more than half a second of speech came back


def test_hands_free_streaming_turn_ends_on_silence(
    voice_server: VoiceServer, demo_data: None, configure: Any
) -> None:
    configure(VOICE_MAX_MESSAGES_PER_S=10_000)
    speech = silence(300, STT_RATE) + _speech("add a todo to buy bread") + silence(1200, STT_RATE)

    async def script(client: VoiceClient) -> tuple[list[str], dict[str, Any], list[str]]:
        await client.ready(pin=DEMO_PIN)
        await client.send(
            type="start_recording", mode="streaming", encoding="pcm16", sample_rate=STT_RATE
        )
        await client.send_audio(speech, chunk_bytes=3200)  # 100 ms chunks, like a worklet
        final = await client.until("transcript_final")
        await client.until("agent_final")
        await client.until("status", stage="ready")
        partials = [f["text"] for f in client.frames if f["type"] == "transcript_partial"]
        tools = [f["tool"] for f in client.frames if f.get("stage") == "tool"]
        return partials, final, tools

    partials, final, tools = talk(voice_server.ws_url(), script)
    assert final["text"] == "add a todo to buy bread"
    assert partials, "partial transcripts stream while the user speaks"
    assert tools == ["create_todo"]
