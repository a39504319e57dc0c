"""/webrtc/ws with a real `websockets` client against uvicorn on loopback: authentication
(PIN, JWT, lockout, resume), turns, errors, limits, barge-in, silence prompts and draining.

The model is scripted and the speech engines are the fixed-latency ones, so each test controls
exactly what is said; the audio path with the offline engines is in tests/e2e/test_voice_audio.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from convonet.clock import FakeClock
from convonet.llm.scripted import ScriptedChatModel, say

from tests.fixtures.google_calendar import WorkspaceUser
from tests.fixtures.voice import PIN, FixedSpeech, VoiceClient, VoiceServer, talk

pytestmark = [
    pytest.mark.usefixtures("migrated_db", "use_local_state"),
    pytest.mark.parametrize("db_backend", ["sqlite"]),
]


def test_pin_login_greets_and_answers_a_typed_turn(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
    clock: FakeClock,
) -> None:
    scripted_model.responses = [say("Hello Vera. How can I help?")]

    async def script(client: VoiceClient) -> dict[str, Any]:
        ok = await client.authenticate(pin=PIN)
        greeting = await client.until("greeting")
        await client.until("status", stage="ready")
        await client.send(type="text", text="hello")
        final = await client.until("agent_final")
        timing = await client.until("timing")
        await client.until("status", stage="ready")
        return {"ok": ok, "greeting": greeting, "final": final, "timing": timing}

    result = talk(voice_server.ws_url(), script)
    ok = result["ok"]
    assert ok["user_id"] == pin_user.id and ok["user_name"] == "Vera"
    assert ok["session_id"] and ok["resume_token"]
    assert result["greeting"]["text"].startswith("Hi Vera")
    assert result["final"]["text"] == "Hello Vera. How can I help?"
    assert result["final"]["session_id"] == ok["session_id"]
    waterfall = result["timing"]["waterfall"]
    assert set(waterfall) == {
        "capture_ms", "stt_ms", "route_ms", "llm_first_token_ms", "tools_ms",
        "tts_first_byte_ms", "first_audio_ms", "total_ms",
    }
    assert waterfall["first_audio_ms"] is not None
