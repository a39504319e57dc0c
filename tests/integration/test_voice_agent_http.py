"""The voice gateway reaching `agent_turn` over HTTP + SSE (AGENT_URL) with the internal
service token: the function runs under a real WSGI server on loopback, loaded by
functions-framework; a turn streams through it and a barge-in trims it through /agent/heard."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import functions_framework
import pytest
from convonet.agent.turn import get_runner, thread_id
from convonet.llm.scripted import ScriptedChatModel, say
from convonet.manifest import by_name
from werkzeug.serving import BaseWSGIServer, make_server

from tests.fixtures.google_calendar import WorkspaceUser
from tests.fixtures.voice import PIN, FixedSpeech, VoiceClient, VoiceServer, talk

pytestmark = [
    pytest.mark.usefixtures("migrated_db", "use_local_state"),
    pytest.mark.parametrize("db_backend", ["sqlite"]),
]


@pytest.fixture
def agent_url(configure: Any) -> Iterator[str]:
    spec = by_name("agent_turn")
    app = functions_framework.create_app(target=spec.entry_point, source=str(spec.source))
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    configure(AGENT_URL=url)
    yield url
    server.shutdown()
    thread.join(timeout=5)


def test_turn_and_barge_in_over_http(
    agent_url: str,
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
    configure: Any,
) -> None:
    configure(VOICE_PLAYBACK_LEAD_S=0)  # audio leaves as it plays: one sentence a second
    fixed_speech.tts.chunk_ms = 60_000
    fixed_speech.tts.ms_per_char = 40
    scripted_model.responses = [
        say("Hello from the agent service."),
        say("First I checked your list. Then I found two todos. Finally I sorted them."),
    ]

    async def script(client: VoiceClient) -> tuple[str, str, str]:
        ok = await client.ready(pin=PIN)
        await client.send(type="text", text="hello")
        first = await client.until("agent_final")
        await client.until("status", stage="ready")
        await client.send(type="text", text="sort my todos")
        await client.until("audio_chunk")
        await client.until("audio_chunk")  # the first sentence has played
        await client.send(type="cancel")
        await client.until("status", stage="interrupted")
        cut = await client.until("agent_final")
        return str(ok["session_id"]), first["text"], cut["text"]

    session_id, first, cut = talk(voice_server.ws_url(), script)
    assert type(voice_server.gateway.agent).__name__ == "HttpAgent"
    assert first == "Hello from the agent service."
    assert cut == "First I checked your list."
    history = asyncio.run(get_runner().agent.messages(thread_id(pin_user.id, session_id)))
    assert [m["content"] for m in history if m["role"] == "assistant"] == [
        "Hello from the agent service.",
        "First I checked your list.",
    ]
