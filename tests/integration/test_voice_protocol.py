"""/webrtc/ws with a real `websockets` client against uvicorn on loopback: authentication
(PIN, JWT, lockout, resume), turns, errors, limits, barge-in, silence prompts and draining.

The model is scripted and the speech engines are the fixed-latency ones, so each test controls
exactly what is said; the audio path with the offline engines is in tests/e2e/test_voice_audio.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
import websockets
from convonet.clock import FakeClock
from convonet.llm.scripted import ScriptedChatModel, say
from convonet.monitor.records import INTERACTIONS
from convonet.state import get_state_store

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
        "capture_ms",
        "stt_ms",
        "route_ms",
        "llm_first_token_ms",
        "tools_ms",
        "tts_first_byte_ms",
        "first_audio_ms",
        "total_ms",
    }
    assert waterfall["first_audio_ms"] is not None
    recorded = get_state_store().get(INTERACTIONS, result["timing"]["turn_id"])
    assert recorded is not None, "the waterfall is in the monitor by the time of `ready`"
    assert recorded["voice_timings"] == {k: v for k, v in waterfall.items() if v is not None}


def _hello_turn(scripted_model: ScriptedChatModel, text: str = "Hi.") -> None:
    scripted_model.responses = [say(text)]
    scripted_model.cycle = True


def test_jwt_login(
    voice_server: VoiceServer, pin_user: WorkspaceUser, fixed_speech: FixedSpeech
) -> None:
    async def script(client: VoiceClient) -> dict[str, Any]:
        return await client.authenticate(token=pin_user.token)

    ok = talk(voice_server.ws_url(), script)
    assert ok["user_id"] == pin_user.id


@pytest.mark.parametrize(
    ("credential", "reason"),
    [
        ({"pin": "9999"}, "invalid_pin"),
        ({"pin": "12"}, "invalid_pin"),
        ({"token": "not-a-jwt"}, "invalid_token"),
        ({"resume_token": "not-a-jwt"}, "invalid_resume_token"),
    ],
)
def test_bad_credentials_are_refused(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    credential: dict[str, str],
    reason: str,
) -> None:
    async def script(client: VoiceClient) -> tuple[dict[str, Any], dict[str, Any]]:
        await client.send(type="authenticate", **credential)
        failed = await client.until("auth_failed")
        await client.send(type="text", text="hello")
        return failed, await client.until("error")

    failed, error = talk(voice_server.ws_url(), script)
    assert failed["reason"] == reason and failed["session_id"] is None
    assert error["code"] == "auth_required"


def test_pin_lockout_and_its_expiry(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    configure: Any,
    clock: FakeClock,
) -> None:
    configure(PIN_MAX_FAILURES=3, PIN_LOCKOUT_WINDOW_S=600)

    async def attempts(client: VoiceClient) -> list[dict[str, Any]]:
        answers = []
        for pin in ("1111", "2222", "3333", PIN):
            await client.send(type="authenticate", pin=pin)
            answers.append(await client.until("auth_failed"))
        return answers

    answers = talk(voice_server.ws_url(), attempts)
    assert [a["reason"] for a in answers] == ["invalid_pin", "invalid_pin", "locked", "locked"]
    assert answers[2]["retry_after_s"] == 600
    # A new connection from the same address is still locked, even with the right PIN.

    async def right_pin(client: VoiceClient) -> dict[str, Any]:
        await client.send(type="authenticate", pin=PIN)
        return await client.recv()

    locked = talk(voice_server.ws_url(), right_pin)
    assert locked["type"] == "auth_failed" and locked["reason"] == "locked"
    clock.advance(400)
    assert talk(voice_server.ws_url(), right_pin)["retry_after_s"] == 200
    clock.advance(201)
    assert talk(voice_server.ws_url(), right_pin)["type"] == "auth_ok"


def test_malformed_and_unknown_messages_get_errors_and_the_session_continues(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
) -> None:
    _hello_turn(scripted_model)

    async def script(client: VoiceClient) -> list[str]:
        await client.ready(pin=PIN)
        codes = []
        for raw in (
            "{not json",
            "[" * 5000,  # nesting deeper than the JSON parser recurses
            "[1, 2]",
            '{"type": "dance"}',
            '{"type": "text"}',
            '{"type": "text", "text": "hi", "user_id": "someone-else"}',
            '{"type": "start_recording", "mode": "telepathy"}',
            '{"type": "audio_chunk", "seq": 0, "data_b64": "AAA="}',
            '{"type": "stop_recording"}',
            '{"type": "authenticate", "pin": "4321", "token": "x"}',
        ):
            await client.ws.send(raw)
            codes.append((await client.until("error"))["code"])
        await client.ws.send(b"\x00\x01")
        codes.append((await client.until("error"))["code"])
        await client.send(type="heartbeat", ts_ms=1)
        await client.send(type="text", text="still works?")
        await client.until("agent_final")
        return codes

    codes = talk(voice_server.ws_url(), script)
    assert codes == [
        "invalid_json",
        "invalid_json",
        "invalid_message",
        "unknown_type",
        "invalid_message",
        "invalid_message",
        "invalid_message",
        "not_recording",
        "not_recording",
        "invalid_message",
        "binary_not_supported",
    ]


def test_a_client_cannot_act_on_another_session(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    make_user: Any,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
) -> None:
    _hello_turn(scripted_model)
    other = make_user("otto")

    async def first(client: VoiceClient) -> str:
        return str((await client.authenticate(pin=PIN))["session_id"])

    vera_session = talk(voice_server.ws_url(), first)

    async def intruder(client: VoiceClient) -> tuple[dict[str, Any], dict[str, Any]]:
        ok = await client.ready(token=other.token)
        await client.send(type="text", text="read my todos", session_id=vera_session)
        return ok, await client.until("error")

    ok, error = talk(voice_server.ws_url(), intruder)
    assert ok["session_id"] != vera_session
    assert error["code"] == "session_mismatch"
    assert scripted_model.calls == []


def test_resume_continues_the_conversation_once(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
    clock: FakeClock,
) -> None:
    scripted_model.responses = [say("Noted."), say("You said remember milk.")]

    async def before(client: VoiceClient) -> tuple[str, str]:
        await client.ready(pin=PIN)
        await client.send(type="text", text="remember milk")
        await client.until("agent_final")
        ready = await client.until("status", stage="ready")
        return str(ready["session_id"]), str(ready["resume_token"])

    session_id, token = talk(voice_server.ws_url(), before)

    async def after(client: VoiceClient) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        ok = await client.authenticate(resume_token=token)
        await client.until("status", stage="ready")
        await client.send(type="text", text="what did I say?")
        final = await client.until("agent_final")
        return ok, [ok, final]

    ok, frames = talk(voice_server.ws_url(), after)
    assert ok["session_id"] == session_id and ok["resume_token"] != token
    assert frames[1]["session_id"] == session_id
    assert len(scripted_model.calls[1].messages) == 3  # the first turn is remembered

    async def replay(client: VoiceClient) -> dict[str, Any]:
        await client.send(type="authenticate", resume_token=token)
        return await client.until("auth_failed")

    assert talk(voice_server.ws_url(), replay)["reason"] == "resume_token_used"
    newest = str(ok["resume_token"])
    clock.advance(301)

    async def late(client: VoiceClient) -> dict[str, Any]:
        await client.send(type="authenticate", resume_token=newest)
        return await client.until("auth_failed")

    assert talk(voice_server.ws_url(), late)["reason"] == "resume_token_expired"


def test_an_idle_session_keeps_its_resume_token_until_half_its_life_or_a_change(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
    clock: FakeClock,
) -> None:
    """`ready` hands back the held token while it has over half of VOICE_RESUME_TTL_S left;
    later, or once the session's stored state changed, a fresh one that supersedes it."""
    scripted_model.responses = [say("One."), say("Two."), say("Three.")]

    async def turn(client: VoiceClient, text: str) -> str:
        await client.send(type="text", text=text)
        return str((await client.until("status", stage="ready"))["resume_token"])

    async def script(client: VoiceClient) -> dict[str, str]:
        tokens = {"auth": str((await client.authenticate(pin=PIN))["resume_token"])}
        await client.until("status", stage="ready")
        tokens["first"] = await turn(client, "one")
        clock.advance(149)
        tokens["young"] = await turn(client, "two")
        clock.advance(2)
        tokens["old"] = await turn(client, "three")
        await client.send(type="voice_providers", tts="offline")
        tokens["changed"] = str((await client.until("status", stage="providers"))["resume_token"])
        return tokens

    tokens = talk(voice_server.ws_url(), script)
    assert tokens["auth"] == tokens["first"] == tokens["young"]
    assert len({tokens["young"], tokens["old"], tokens["changed"]}) == 3

    async def resume(client: VoiceClient, token: str) -> dict[str, Any]:
        await client.send(type="authenticate", resume_token=token)
        while (frame := await client.recv())["type"] not in {"auth_ok", "auth_failed"}:
            pass
        return frame

    assert talk(voice_server.ws_url(), lambda c: resume(c, tokens["old"]))["reason"] == (
        "invalid_resume_token"
    )
    assert talk(voice_server.ws_url(), lambda c: resume(c, tokens["changed"]))["type"] == "auth_ok"


def test_oversized_message_closes_with_1009(
    voice_server: VoiceServer, pin_user: WorkspaceUser, fixed_speech: FixedSpeech, configure: Any
) -> None:
    configure(VOICE_MAX_MESSAGE_BYTES=4096)

    async def script(client: VoiceClient) -> int | None:
        await client.ready(pin=PIN)
        await client.send(type="text", text="x" * 5000)
        await client.ws.wait_closed()
        return client.ws.close_code

    assert talk(voice_server.ws_url(), script) == 1009


def test_message_flood_is_limited_then_closed_with_1008(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    configure: Any,
    clock: FakeClock,
) -> None:
    configure(VOICE_MAX_MESSAGES_PER_S=5)

    async def script(client: VoiceClient) -> tuple[list[str], int | None]:
        for _ in range(12):
            await client.send(type="heartbeat")
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await client.recv()
        return [f["code"] for f in client.frames], client.ws.close_code

    codes, close_code = talk(voice_server.ws_url(), script)
    assert codes == ["rate_limited"] * 5 and close_code == 1008


def test_repeated_bad_messages_close_with_1008(
    voice_server: VoiceServer, pin_user: WorkspaceUser, fixed_speech: FixedSpeech, configure: Any
) -> None:
    configure(VOICE_MAX_PROTOCOL_ERRORS=3)

    async def script(client: VoiceClient) -> tuple[int, int | None]:
        for _ in range(4):
            await client.ws.send("{bad")
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await client.recv()
        return len(client.frames), client.ws.close_code

    assert talk(voice_server.ws_url(), script) == (3, 1008)


def test_the_gateway_declines_compression_a_browser_offers(voice_server: VoiceServer) -> None:
    async def negotiated() -> str | None:
        # websockets offers permessage-deflate by default, as browsers do
        async with websockets.connect(voice_server.ws_url()) as ws:
            assert "permessage-deflate" in (
                ws.request.headers.get("Sec-WebSocket-Extensions") or ""
            )
            return ws.response.headers.get("Sec-WebSocket-Extensions")

    assert asyncio.run(negotiated()) is None
