"""A speech provider that is down: the session falls back to the offline engines, so the user
is still heard and still hears the answer. Deepgram is real (its SDK) but points at a closed
loopback port; with no engine left, the user gets a spoken apology."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from convonet.speech import build_tts, reset_engines
from convonet.speech.base import synthesize
from convonet.voice.audio import STT_RATE, silence

from tests.fixtures.devserver import free_port
from tests.fixtures.google_calendar import WorkspaceUser
from tests.fixtures.voice import PIN, VoiceClient, VoiceServer, talk

pytestmark = [
    pytest.mark.usefixtures("migrated_db", "use_local_state"),
    pytest.mark.parametrize("db_backend", ["sqlite"]),
]


@pytest.fixture
def deepgram_down(configure: Any) -> Iterator[None]:
    configure(
        DEEPGRAM_API_KEY="dg-test-key",
        DEEPGRAM_BASE_URL=f"http://127.0.0.1:{free_port()}",
        STT_PROVIDER="deepgram",
        TTS_PROVIDER="deepgram",
        SPEECH_TIMEOUT_S=2,
    )
    reset_engines()
    yield
    reset_engines()


def _speech(text: str) -> bytes:
    async def run() -> bytes:
        pcm = await synthesize(build_tts("offline"), text, sample_rate=STT_RATE)
        return silence(200, STT_RATE) + pcm + silence(400, STT_RATE)

    return asyncio.run(run())


@pytest.mark.usefixtures("deepgram_down")
def test_a_dead_recogniser_and_voice_fall_back_to_the_offline_engines(
    voice_server: VoiceServer, pin_user: WorkspaceUser
) -> None:
    audio = _speech("add a todo to buy bread")

    async def script(client: VoiceClient) -> list[dict[str, Any]]:
        await client.ready(pin=PIN)
        await client.send(
            type="start_recording", mode="batch", encoding="pcm16", sample_rate=STT_RATE
        )
        await client.send_audio(audio, chunk_bytes=16000)
        await client.send(type="stop_recording")
        await client.until("timing")
        return client.frames

    frames = talk(voice_server.ws_url(), script)
    finals = [f["text"] for f in frames if f["type"] == "transcript_final"]
    assert finals == ["add a todo to buy bread"], "the offline recogniser took over"
    answer = [f for f in frames if f["type"] == "agent_final"][-1]
    assert "bread" in answer["text"].lower()
    spoken = [f for f in frames if f["type"] == "audio_chunk" and f["turn_id"] == answer["turn_id"]]
    assert any(f["data_b64"] for f in spoken), "the offline voice spoke the answer"
    assert not [f for f in frames if f["type"] == "error"]


@pytest.mark.usefixtures("deepgram_down")
def test_with_no_recogniser_left_the_user_hears_an_apology(
    voice_server: VoiceServer, pin_user: WorkspaceUser
) -> None:
    """Korean: Deepgram is down and the offline recogniser has no Korean model."""
    audio = _speech("add a todo to buy bread")

    async def script(client: VoiceClient) -> list[dict[str, Any]]:
        await client.ready(pin=PIN)
        await client.send(
            type="start_recording",
            mode="batch",
            encoding="pcm16",
            sample_rate=STT_RATE,
            language="ko",
        )
        await client.send_audio(audio, chunk_bytes=16000)
        await client.send(type="stop_recording")
        await client.until("error")
        await client.until("audio_chunk", is_final=True)
        return client.frames

    frames = talk(voice_server.ws_url(), script)
    error = [f for f in frames if f["type"] == "error"][0]
    assert error["code"] == "stt_failed"
    assert not [f for f in frames if f["type"] == "transcript_final"]
    after = frames[frames.index(error) :]
    assert any(f["type"] == "audio_chunk" and f["data_b64"] for f in after), "spoken apology"
