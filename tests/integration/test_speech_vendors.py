"""Deepgram (batch, live, Aura), ElevenLabs and Cartesia through their real SDKs, pointed at
loopback servers replaying recorded vendor traffic."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from convonet.speech import SpeechProviderError, build_stt, build_tts, configured_providers
from convonet.speech.base import Transcript, synthesize
from convonet.voice.audio import read_wav

from tests.fixtures.speech import RECORDINGS, DeepgramLive, Recorded, SpeechVendor

pytestmark = pytest.mark.timeout(60)

SPEECH = bytes(range(256)) * 64  # 8 KiB of "PCM16"; the vendor never listens in a replay
AURA = (RECORDINGS / "deepgram/speak_linear16_24000.raw").read_bytes()


def test_every_vendor_is_configured_by_its_key(speech_vendor: SpeechVendor) -> None:
    assert configured_providers("stt") == ["offline", "deepgram"]
    assert configured_providers("tts") == ["offline", "deepgram", "elevenlabs", "cartesia"]
    assert build_stt("deepgram").name == "deepgram"
    assert build_tts("ELEVENLABS").name == "elevenlabs"


def test_deepgram_batch_sends_wav_and_parses_words(speech_vendor: SpeechVendor) -> None:
    speech_vendor.answer("/v1/listen", Recorded("deepgram/listen_prerecorded.json"))

    transcript = asyncio.run(build_stt("deepgram").transcribe(SPEECH, 16000, "en"))

    assert transcript.text == "Book a table for four people at 7 PM on Friday."
    assert transcript.confidence == pytest.approx(0.9912, abs=1e-4)
    assert [w.text for w in transcript.words][-2:] == ["on", "Friday."]
    assert transcript.words[0].start_s == pytest.approx(0.16)
    (request,) = speech_vendor.requests
    assert request.headers["authorization"] == "Token dg-test-key"
    assert request.query["model"] == ["nova-3"]
    assert request.query["language"] == ["en-US"]
    assert "Hanok" in request.query["keyterm"]
    pcm, rate = read_wav(request.body)
    assert (pcm, rate) == (SPEECH, 16000)


@pytest.mark.parametrize(
    ("status", "recording", "retryable"),
    [(401, "deepgram/error_401.json", False), (503, "deepgram/error_503.json", True)],
)
def test_deepgram_batch_errors_are_typed(
    speech_vendor: SpeechVendor, status: int, recording: str, retryable: bool
) -> None:
    speech_vendor.answer("/v1/listen", *[Recorded(recording, status)] * 3)

    with pytest.raises(SpeechProviderError) as raised:
        asyncio.run(build_stt("deepgram").transcribe(SPEECH, 16000))

    assert raised.value.provider == "deepgram"
    assert raised.value.retryable is retryable
    assert str(status) in str(raised.value)


def test_deepgram_korean_uses_the_korean_model_language(speech_vendor: SpeechVendor) -> None:
    speech_vendor.answer("/v1/listen", Recorded("deepgram/listen_prerecorded.json"))

    asyncio.run(build_stt("deepgram").transcribe(SPEECH, 8000, "ko"))

    (request,) = speech_vendor.requests
    assert request.query["language"] == ["ko"]
    assert "keyterm" not in request.query


async def _live_session(chunks: list[bytes]) -> tuple[list[Transcript], str | None]:
    stream = await build_stt("deepgram").stream(16000, "en")
    async with stream:
        for chunk in chunks:
            await stream.send(chunk)
        seen: list[Transcript] = []
        reader = stream.transcripts()
        seen.append(await anext(reader))
        await stream.finish()
        seen += [t async for t in reader]
    return seen, getattr(stream, "request_id", None)


def test_deepgram_live_partials_finals_and_utterance_end(deepgram_live: DeepgramLive) -> None:
    chunks = [bytes([i]) * 640 for i in range(5)]

    transcripts, request_id = asyncio.run(_live_session(chunks))

    assert [(t.text, t.is_final, t.speech_final) for t in transcripts] == [
        ("book a table", False, False),
        ("book a table for four people at", False, False),
        ("Book a table for four people at 7 PM on Friday.", True, True),
        ("", True, True),
    ]
    assert transcripts[2].words[-1].text == "Friday."
    assert request_id == "a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
    assert bytes(deepgram_live.audio) == b"".join(chunks)
    assert deepgram_live.control == [{"type": "CloseStream"}]
    (path,) = deepgram_live.paths
    assert path.startswith("/v1/listen?")
    for option in ("encoding=linear16", "sample_rate=16000", "interim_results=true"):
        assert option in path
    assert deepgram_live.headers[0]["authorization"] == "Token dg-test-key"


def test_deepgram_live_refused_connection_is_typed(deepgram_live: DeepgramLive) -> None:
    deepgram_live.refuse_with = 401

    with pytest.raises(SpeechProviderError) as raised:
        asyncio.run(build_stt("deepgram").stream(16000))

    assert raised.value.retryable is False


def test_deepgram_aura_streams_pcm(speech_vendor: SpeechVendor) -> None:
    speech_vendor.answer(
        "/v1/speak", Recorded("deepgram/speak_linear16_24000.raw", content_type="audio/l16")
    )

    chunks = asyncio.run(_collect(build_tts("deepgram"), "Your table is booked."))

    assert b"".join(chunks) == AURA
    assert len(chunks) > 1 and all(len(c) % 2 == 0 for c in chunks)
    (request,) = speech_vendor.requests
    assert json.loads(request.body) == {"text": "Your table is booked."}
    assert request.query["encoding"] == ["linear16"]
    assert request.query["container"] == ["none"]
    assert request.query["model"] == ["aura-2-thalia-en"]


def test_elevenlabs_streams_pcm_at_the_asked_rate(speech_vendor: SpeechVendor) -> None:
    voice = "21m00Tcm4TlvDq8ikWAM"
    path = f"/v1/text-to-speech/{voice}/stream"
    speech_vendor.answer(
        path, Recorded("elevenlabs/stream_pcm_24000.raw", content_type="application/octet-stream")
    )
    tts = build_tts("elevenlabs")

    audio = asyncio.run(
        synthesize(tts, "안녕하세요, 한옥입니다.", language="ko", sample_rate=24000)
    )

    assert audio == (RECORDINGS / "elevenlabs/stream_pcm_24000.raw").read_bytes()
    (request,) = speech_vendor.requests
    assert request.headers["xi-api-key"] == "el-test-key"
    assert request.query["output_format"] == ["pcm_24000"]
    body = json.loads(request.body)
    assert body["text"] == "안녕하세요, 한옥입니다."
    assert body["model_id"] == "eleven_flash_v2_5"
    assert body["language_code"] == "ko"


def test_elevenlabs_auth_error_is_not_retryable(speech_vendor: SpeechVendor) -> None:
    path = "/v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream"
    speech_vendor.answer(path, Recorded("elevenlabs/error_401.json", 401))

    with pytest.raises(SpeechProviderError) as raised:
        asyncio.run(synthesize(build_tts("elevenlabs"), "Hello."))

    assert raised.value.retryable is False


def test_cartesia_sse_chunks_become_pcm(speech_vendor: SpeechVendor) -> None:
    recording = "cartesia/tts_sse_pcm_24000.sse"
    speech_vendor.answer("/tts/sse", Recorded(recording, content_type="text/event-stream"))

    chunks = asyncio.run(_collect(build_tts("cartesia"), "Your table is booked."))

    expected = b"".join(
        base64.b64decode(json.loads(line.removeprefix("data: "))["data"])
        for line in (RECORDINGS / recording).read_text().splitlines()
        if line.startswith("data: ") and '"chunk"' in line
    )
    assert b"".join(chunks) == expected
    (request,) = speech_vendor.requests
    assert request.headers["authorization"] == "Bearer sk_car_test"
    body = json.loads(request.body)
    assert body["output_format"] == {
        "container": "raw",
        "encoding": "pcm_s16le",
        "sample_rate": 24000,
    }
    assert body["model_id"] == "sonic-2"
    assert body["voice"] == "f786b574-daa5-4673-aa0c-cbe3e8534c02"


def test_cartesia_rate_limit_is_retryable(speech_vendor: SpeechVendor) -> None:
    speech_vendor.answer("/tts/sse", Recorded("cartesia/error_429.json", 429))

    with pytest.raises(SpeechProviderError) as raised:
        asyncio.run(synthesize(build_tts("cartesia"), "Hello."))

    assert raised.value.retryable is True


@pytest.mark.parametrize("name", ["elevenlabs", "cartesia"])
def test_unsupported_rate_is_refused_before_any_request(
    speech_vendor: SpeechVendor, name: str
) -> None:
    with pytest.raises(SpeechProviderError):
        asyncio.run(synthesize(build_tts(name), "Hello.", sample_rate=11025))
    assert speech_vendor.requests == []


async def _collect(tts: object, text: str) -> list[bytes]:
    return [chunk async for chunk in tts.synthesize_stream(text)]  # type: ignore[attr-defined]
