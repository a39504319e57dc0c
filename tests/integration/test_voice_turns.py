"""Voice turns over /webrtc/ws: batch and streaming audio, barge-in, backchannels, silence
prompts, providers, transfer, draining, and 50 concurrent sessions (real socket, scripted model,
fixed-latency speech engines)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import pytest
import websockets
from convonet.agent.turn import get_runner, thread_id
from convonet.clock import FakeClock
from convonet.llm.base import ChatMessage, ToolCall
from convonet.llm.scripted import ScriptedChatModel, ScriptedResponse, call_tool, say

from tests.fixtures.google_calendar import WorkspaceUser
from tests.fixtures.voice import PIN, FixedSpeech, VoiceClient, VoiceServer, talk

pytestmark = [
    pytest.mark.usefixtures("migrated_db", "use_local_state"),
    pytest.mark.parametrize("db_backend", ["sqlite"]),
]

THREE_SENTENCES = "First I checked your list. Then I found two todos. Finally I sorted them."


def _history(user_id: str, session_id: str) -> list[dict[str, Any]]:
    runner = get_runner()
    return asyncio.run(runner.agent.messages(thread_id(user_id, session_id)))


def test_batch_audio_turn(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
) -> None:
    fixed_speech.stt.transcript = "what is on my list"
    scripted_model.responses = [say("You have two todos.")]

    async def script(client: VoiceClient) -> list[dict[str, Any]]:
        await client.ready(pin=PIN)
        await client.send(type="start_recording", mode="batch", encoding="pcm16")
        await client.send_audio(bytes(32000))
        await client.send(type="stop_recording")
        await client.until("timing")
        return client.frames

    frames = talk(voice_server.ws_url(), script)
    kinds = [f["type"] for f in frames]
    turn = kinds.index("transcript_final")
    assert kinds[turn:].index("processing_start") >= 0
    assert frames[turn]["text"] == "what is on my list"
    finals = [f for f in frames if f["type"] == "agent_final"]
    assert finals[-1]["text"] == "You have two todos."
    audio = [
        f for f in frames if f["type"] == "audio_chunk" and f["turn_id"] == finals[-1]["turn_id"]
    ]
    assert audio[-1]["is_final"] and audio[-1]["data_b64"] == ""
    assert all(a["mime_type"] == "audio/L16;rate=16000;channels=1" for a in audio[:-1])
    assert scripted_model.calls[-1].messages[-1].content == "what is on my list"


def test_streaming_partials_and_stop(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
) -> None:
    fixed_speech.stt.transcript = "book a table for two"
    scripted_model.responses = [say("For when?")]

    async def script(client: VoiceClient) -> tuple[list[str], str]:
        await client.ready(pin=PIN)
        await client.send(type="start_recording", mode="streaming", encoding="pcm16")
        await client.send_audio(bytes(6400), chunk_bytes=1600)
        partials = [(await client.until("transcript_partial"))["text"] for _ in range(3)]
        await client.send(type="stop_recording")
        final = await client.until("transcript_final")
        await client.until("agent_final")
        return partials, final["text"]

    partials, final = talk(voice_server.ws_url(), script)
    assert partials == ["book", "book a", "book a table"]
    assert final == "book a table for two"


def test_batch_utterance_too_long(
    voice_server: VoiceServer, pin_user: WorkspaceUser, fixed_speech: FixedSpeech, configure: Any
) -> None:
    configure(VOICE_MAX_UTTERANCE_S=0.5)

    async def script(client: VoiceClient) -> dict[str, Any]:
        await client.ready(pin=PIN)
        await client.send(type="start_recording", mode="batch", encoding="pcm16")
        await client.send_audio(bytes(32000))
        return await client.until("error")

    assert talk(voice_server.ws_url(), script)["code"] == "utterance_too_long"


def test_cancel_stops_audio_and_keeps_only_what_was_sent(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
    configure: Any,
) -> None:
    # One chunk per sentence, about a second of audio each, sent as it would play: the second
    # sentence's audio leaves once the first has played, then the user barges in.
    configure(VOICE_PLAYBACK_LEAD_S=0)
    fixed_speech.tts.chunk_ms = 60_000
    fixed_speech.tts.ms_per_char = 40
    scripted_model.responses = [say(THREE_SENTENCES), say("Okay.")]

    async def script(client: VoiceClient) -> tuple[str, str, list[dict[str, Any]]]:
        ok = await client.ready(pin=PIN)
        await client.send(type="text", text="sort my todos")
        first = await client.until("audio_chunk")
        await client.until("audio_chunk")
        await client.send(type="cancel")
        await client.until("status", stage="interrupted")
        final = await client.until("agent_final")
        ready = await client.until("status", stage="ready")
        assert ready["resume_token"], "idle again after the barge-in, with a fresh resume token"
        await client.send(type="text", text="thanks")
        await client.until("agent_final", text="Okay.")
        await client.until("timing")
        later = client.frames[client.frames.index(final) :]
        return str(ok["session_id"]), first["turn_id"], [final, *later]

    session_id, turn_id, after = talk(voice_server.ws_url(), script)
    assert after[0]["text"] == "First I checked your list."
    assert not [f for f in after if f["type"] == "audio_chunk" and f["turn_id"] == turn_id]
    history = _history(pin_user.id, session_id)
    answers = [m["content"] for m in history if m["role"] == "assistant"]
    assert answers == ["First I checked your list.", "Okay."]


def test_tool_calls_before_a_barge_in_are_kept_and_not_repeated(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
    configure: Any,
) -> None:
    configure(VOICE_PLAYBACK_LEAD_S=0)  # audio leaves as it plays: one sentence a second
    fixed_speech.tts.chunk_ms = 60_000
    fixed_speech.tts.ms_per_char = 50
    scripted_model.responses = [
        call_tool("create_todo", {"title": "Buy bread"}, "call-bread"),
        say("I added buy bread. It is due today. Anything else?"),
    ]

    async def script(client: VoiceClient) -> str:
        ok = await client.ready(pin=PIN)
        await client.send(type="text", text="add a todo to buy bread")
        await client.until("audio_chunk")
        await client.until("audio_chunk")  # the first sentence has played
        await client.send(type="cancel")
        await client.until("agent_final")
        return str(ok["session_id"])

    session_id = talk(voice_server.ws_url(), script)
    history = _history(pin_user.id, session_id)
    assert [m["role"] for m in history] == ["user", "assistant", "tool", "assistant"]
    assert history[-1]["content"] == "I added buy bread."
    from convonet.db.engine import session_scope
    from convonet.db.models import Todo
    from sqlalchemy import select

    with session_scope() as db:
        titles = db.scalars(select(Todo.title).where(Todo.owner_id == pin_user.id)).all()
    assert titles == ["Buy bread"]


def test_the_sentence_before_a_tool_call_is_spoken_while_the_tool_runs(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
) -> None:
    """A response ending in "2001." could still become "2001.5" mid-stream; once the model's
    response has ended it cannot, so it is spoken then, not after the next response."""

    def after_the_tool(_messages: list[ChatMessage]) -> ScriptedResponse:
        asked = any("two thousand one" in text for text in fixed_speech.tts.spoken)
        return say("Done." if asked else "The first sentence waited for this one.")

    scripted_model.responses = [
        ScriptedResponse(
            text="Adding it to list 2001.",
            tool_calls=(ToolCall("call-milk", "create_todo", {"title": "Buy milk"}),),
        ),
        after_the_tool,
    ]

    async def script(client: VoiceClient) -> dict[str, Any]:
        await client.ready(pin=PIN)
        await client.send(type="text", text="add a todo to buy milk")
        return await client.until("agent_final")

    final = talk(voice_server.ws_url(), script)
    assert final["text"] == "Adding it to list 2001. Done."


def test_cancel_while_the_model_is_still_answering_stops_it_before_its_tool_call(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
) -> None:
    scripted_model.latency_s = 30.0  # the model is still thinking when the user cuts it off
    scripted_model.responses = [
        call_tool("create_todo", {"title": "Buy bread"}, "call-bread"),
        say("I added buy bread."),
    ]

    async def script(client: VoiceClient) -> str:
        ok = await client.ready(pin=PIN)
        await client.send(type="text", text="add a todo to buy bread")
        await client.until("processing_start")
        await client.send(type="cancel")
        await client.until("status", stage="interrupted")
        await client.until("status", stage="ready")
        return str(ok["session_id"])

    session_id = talk(voice_server.ws_url(), script)
    history = _history(pin_user.id, session_id)
    assert [(m["role"], m["content"]) for m in history] == [("user", "add a todo to buy bread")]
    from convonet.db.engine import session_scope
    from convonet.db.models import Todo
    from sqlalchemy import select

    with session_scope() as db:
        assert db.scalars(select(Todo.title).where(Todo.owner_id == pin_user.id)).all() == []


def test_speech_over_the_assistant_interrupts_but_a_backchannel_does_not(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
) -> None:
    fixed_speech.tts.chunk_ms = 60_000
    scripted_model.responses = [say(THREE_SENTENCES), say(THREE_SENTENCES)]

    async def script(client: VoiceClient) -> list[dict[str, Any]]:
        await client.ready(pin=PIN)
        fixed_speech.stt.transcript = "uh-huh"
        await client.send(type="start_recording", mode="streaming", encoding="pcm16")
        fixed_speech.tts.latency_s = 0.3
        await client.send(type="text", text="sort my todos")
        await client.until("audio_chunk")
        await client.send_audio(bytes(1600))
        await client.send(type="stop_recording")
        await client.until("status", stage="ready")
        fixed_speech.stt.transcript = "no stop please"
        await client.send(type="start_recording", mode="streaming", encoding="pcm16")
        await client.send(type="text", text="sort them again")
        await client.until("audio_chunk")
        await client.send_audio(bytes(4800), chunk_bytes=1600)
        await client.until("status", stage="interrupted")
        return client.frames

    frames = talk(voice_server.ws_url(), script)
    finals = [f["text"] for f in frames if f["type"] == "agent_final"]
    assert finals[0] == THREE_SENTENCES  # "uh-huh" did not cut the first answer
    assert not [f for f in frames if f["type"] == "transcript_final" and f["text"] == "uh-huh"]


def test_silence_prompts_then_goodbye(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    configure: Any,
    clock: FakeClock,
) -> None:
    configure(VOICE_TICK_S=0.01, VOICE_STILL_THERE_S=30, VOICE_SILENCE_HANGUP_S=90)

    async def script(client: VoiceClient) -> tuple[list[str], int | None]:
        await client.ready(pin=PIN)
        clock.advance(31)
        still = await client.until("agent_final")
        await client.until("status", stage="ready")
        clock.advance(60)
        goodbye = await client.until("agent_final")
        await client.until("status", stage="goodbye")
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await client.recv()
        return [still["text"], goodbye["text"]], client.ws.close_code

    texts, code = talk(voice_server.ws_url(), script)
    assert texts[0] == "Are you still there?"
    assert "Goodbye" in texts[1] and code == 1000


def test_one_sessions_goodbye_does_not_hold_up_the_others_timers(
    voice_server: VoiceServer,
    make_user: Any,
    fixed_speech: FixedSpeech,
    configure: Any,
    clock: FakeClock,
) -> None:
    """Every session's timers are checked by one ticker: a session saying goodbye (its speech
    stuck here on a voice that takes a minute) must not stop the others' being checked."""
    configure(VOICE_TICK_S=0.01, VOICE_STILL_THERE_S=30, VOICE_SILENCE_HANGUP_S=90)
    leaving, staying = make_user("leaving"), make_user("staying")

    async def script() -> tuple[str, str]:
        async with (
            websockets.connect(voice_server.ws_url(), max_queue=None) as first,
            websockets.connect(voice_server.ws_url(), max_queue=None) as second,
        ):
            silent, other = VoiceClient(first), VoiceClient(second)
            await silent.ready(token=leaving.token)
            clock.advance(31)
            await silent.until("agent_final")  # still there?
            await silent.until("status", stage="ready")
            clock.advance(58)
            await other.ready(token=staying.token)
            fixed_speech.tts.latency_s = 60.0
            clock.advance(1)  # 90 s of silence: goodbye, spoken by the stuck voice
            goodbye = await silent.until("agent_final")
            clock.advance(30)  # the other session's 30 s of silence
            prompt = await other.until("agent_final")
            return goodbye["text"], prompt["text"]

    goodbye, prompt = asyncio.run(script())
    assert "Goodbye" in goodbye
    assert prompt == "Are you still there?"


def test_idle_socket_is_closed(
    voice_server: VoiceServer, fixed_speech: FixedSpeech, configure: Any, clock: FakeClock
) -> None:
    configure(VOICE_TICK_S=0.01, VOICE_IDLE_TIMEOUT_S=10)

    async def script(client: VoiceClient) -> int | None:
        await client.send(type="heartbeat")
        await asyncio.sleep(0.05)
        clock.advance(11)
        await client.ws.wait_closed()
        return client.ws.close_code

    assert talk(voice_server.ws_url(), script) == 1000


def test_voice_providers(
    voice_server: VoiceServer, pin_user: WorkspaceUser, scripted_model: ScriptedChatModel
) -> None:
    scripted_model.responses = [say("Hi.")]

    async def script(client: VoiceClient) -> list[str]:
        await client.ready(pin=PIN)
        codes = []
        for choice in ({"stt": "nope"}, {"tts": "nope"}, {"llm": "nope"}):
            await client.send(type="voice_providers", **choice)
            codes.append((await client.until("error"))["code"])
        await client.send(type="voice_providers", stt="offline", tts="offline", llm="openai")
        await client.until("status", stage="providers")
        return codes

    assert talk(voice_server.ws_url(), script) == ["unknown_provider"] * 3


def test_transfer_frame_carries_sip_details(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
) -> None:
    scripted_model.responses = [
        call_tool("transfer_to_agent", {"reason": "wants a person"}, "tr-1"),
        say("Transferring you now."),
    ]

    async def script(client: VoiceClient) -> tuple[dict[str, Any], dict[str, Any]]:
        await client.ready(pin=PIN)
        await client.send(type="text", text="transfer me to a human")
        final = await client.until("agent_final")
        return final, await client.until("transfer")

    final, transfer = talk(voice_server.ws_url(), script)
    assert final["transfer"]["extension"] == "2001"
    assert transfer["department"] == "support" and transfer["extension"] == "2001"
    sip = transfer["sip"]
    assert sip["uri"].startswith("sip:2001@") and transfer["transfer_id"] in sip["uri"]
    assert sip["username"] and sip["password"] and sip["ws_url"]
    from convonet.telephony.transfer import load_transfer_context

    context = load_transfer_context(transfer["transfer_id"])
    assert context is not None and context["user_id"] == pin_user.id
    assert context["conversation"][0]["content"] == "transfer me to a human"


def test_drain_lets_the_turn_finish_then_hands_out_resume_tokens(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
) -> None:
    scripted_model.responses = [say("Done thinking."), say("Welcome back.")]

    async def script(client: VoiceClient) -> tuple[dict[str, Any], dict[str, Any], int | None]:
        await client.ready(pin=PIN)
        scripted_model.latency_s = 0.3
        await client.send(type="text", text="think hard")
        await client.until("processing_start")
        drained = asyncio.ensure_future(
            asyncio.to_thread(voice_server.call, voice_server.gateway.drain)
        )
        final = await client.until("agent_final")
        draining = await client.until("status", stage="draining")
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await client.recv()
        await drained
        return final, draining, client.ws.close_code

    final, draining, code = talk(voice_server.ws_url(), script)
    assert final["text"] == "Done thinking." and code == 1012
    assert draining["resume_token"]

    async def refused(client: VoiceClient) -> tuple[dict[str, Any], int | None]:
        frame = await client.recv()
        await client.ws.wait_closed()
        return frame, client.ws.close_code

    frame, code = talk(voice_server.ws_url(), refused)
    assert frame["code"] == "draining" and code == 1012
    voice_server.gateway.draining = False
    scripted_model.latency_s = 0.0

    async def resumed(client: VoiceClient) -> dict[str, Any]:
        ok = await client.authenticate(resume_token=draining["resume_token"])
        await client.send(type="text", text="hello again")
        await client.until("agent_final")
        return ok

    assert talk(voice_server.ws_url(), resumed)["session_id"] == draining["session_id"]


def test_fifty_concurrent_sessions_complete_their_turns(
    voice_server: VoiceServer,
    make_user: Any,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
) -> None:
    scripted_model.responses = [say("Here you are.")]
    scripted_model.cycle = True
    users = [make_user(f"user{n}") for n in range(50)]

    async def one(user: WorkspaceUser) -> tuple[str, str]:
        async with websockets.connect(voice_server.ws_url(), max_queue=None) as ws:
            client = VoiceClient(ws)
            ok = await client.ready(token=user.token)
            await client.send(type="text", text="what is on my list")
            final = await client.until("agent_final")
            await client.until("timing")
            return str(ok["session_id"]), str(final["text"])

    async def everyone() -> list[tuple[str, str]]:
        return await asyncio.gather(*(one(user) for user in users))

    results = asyncio.run(everyone())
    assert len({session for session, _ in results}) == 50
    assert all(text == "Here you are." for _, text in results)


def test_a_closed_session_leaves_its_conversation_out_of_memory(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
) -> None:
    scripted_model.responses = [say("Hello.")]

    async def script(client: VoiceClient) -> str:
        ok = await client.ready(pin=PIN)
        await client.send(type="text", text="hello")
        await client.until("status", stage="ready")
        return str(ok["session_id"])

    session_id = talk(voice_server.ws_url(), script)

    gone = time.monotonic() + 10  # the server ends the session once it sees the close
    while voice_server.gateway.connections and time.monotonic() < gone:
        time.sleep(0.01)

    async def kept() -> set[str]:
        return get_runner().agent.kept_threads()

    assert not voice_server.gateway.connections
    assert thread_id(pin_user.id, session_id) not in voice_server.call(kept)
    assert [m["role"] for m in _history(pin_user.id, session_id)] == ["user", "assistant"]
