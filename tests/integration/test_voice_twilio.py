"""/twilio/media with a real `websockets` client speaking Twilio's media-stream protocol:
the signed call token, mu-law in and out, marks, `clear` on barge-in (the conversation keeps
what the marks prove was played), DTMF, and hang-up cleanup."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from typing import Any

import pytest
import websockets
from convonet.agent.turn import get_runner, thread_id
from convonet.llm.scripted import ScriptedChatModel, say
from convonet.telephony.stream_token import issue_stream_token
from convonet.voice.audio import PHONE_RATE, Resampler, mulaw_decode, mulaw_encode, silence

from tests.fixtures.google_calendar import WorkspaceUser
from tests.fixtures.speech import speak
from tests.fixtures.voice import FixedSpeech, VoiceServer

pytestmark = [
    pytest.mark.usefixtures("migrated_db", "use_local_state"),
    pytest.mark.parametrize("db_backend", ["sqlite"]),
]

CALL_SID = "CA0123456789abcdef0123456789abcdef"
STREAM_SID = "MZ0123456789abcdef0123456789abcdef"
LONG_ANSWER = "First I checked your list. Then I found two todos. Finally I sorted them."


class TwilioClient:
    """What Twilio sends and receives on a media stream."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self.seq = 0

    async def send(self, event: str, **body: Any) -> None:
        self.seq += 1
        payload = {"event": event, "sequenceNumber": str(self.seq), "streamSid": STREAM_SID}
        await self.ws.send(json.dumps({**payload, **body}))

    async def start(self, token: str, **parameters: str) -> None:
        await self.send("connected", protocol="Call", version="1.0.0")
        start = {
            "accountSid": "AC0123",
            "callSid": CALL_SID,
            "streamSid": STREAM_SID,
            "tracks": ["inbound"],
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            "customParameters": {"call_token": token, **parameters},
        }
        await self.send("start", start=start)

    async def media(self, mulaw: bytes) -> None:
        for offset in range(0, len(mulaw), 160):  # 20 ms frames, as Twilio sends them
            payload = base64.b64encode(mulaw[offset : offset + 160]).decode()
            await self.send("media", media={"track": "inbound", "payload": payload})

    async def recv(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), 20))
        self.events.append(event)
        return event

    async def until(self, kind: str) -> dict[str, Any]:
        while (event := await self.recv())["event"] != kind:
            pass
        return event


def call(url: str, script: Any) -> Any:
    async def run() -> Any:
        async with websockets.connect(url, max_queue=None) as ws:
            return await script(TwilioClient(ws))

    return asyncio.run(run())


def test_spoken_request_round_trip_in_mulaw(
    voice_server: VoiceServer, pin_user: WorkspaceUser, configure: Any
) -> None:
    configure(VOICE_MAX_MESSAGES_PER_S=10_000)

    spoken, rate = speak("add a todo to buy bread")  # the same audio in every run
    to_phone = Resampler(rate, PHONE_RATE)
    pcm = to_phone.feed(spoken) + to_phone.flush()
    caller_audio = mulaw_encode(silence(200, PHONE_RATE) + pcm + silence(1200, PHONE_RATE))
    token = issue_stream_token(pin_user.id, CALL_SID)

    async def script(client: TwilioClient) -> list[dict[str, Any]]:
        await client.start(token, greet="0")
        await client.media(caller_audio)
        await client.until("mark")
        return client.events

    events = call(voice_server.ws_url("/twilio/media"), script)
    media = [e for e in events if e["event"] == "media"]
    assert media and all(e["streamSid"] == STREAM_SID for e in events)
    reply = b"".join(base64.b64decode(e["media"]["payload"]) for e in media)
    assert len(reply) > PHONE_RATE // 2  # over half a second of 8 kHz mu-law speech
    assert max(abs(s) for s in memoryview(mulaw_decode(reply)).cast("h")) > 1000
    from convonet.db.engine import session_scope
    from convonet.db.models import Todo
    from sqlalchemy import select

    with session_scope() as db:
        titles = db.scalars(select(Todo.title).where(Todo.owner_id == pin_user.id)).all()
    assert [t.lower() for t in titles] == ["buy bread"]


def test_marks_clear_on_barge_in_and_heard_text(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
) -> None:
    fixed_speech.tts.chunk_ms = 60_000
    fixed_speech.stt.transcript = "no stop please"
    scripted_model.responses = [say(LONG_ANSWER)]
    token = issue_stream_token(pin_user.id, CALL_SID)

    async def script(client: TwilioClient) -> list[dict[str, Any]]:
        await client.start(token, greet="0")
        fixed_speech.tts.latency_s = 0.3
        for digit in "42#":
            await client.send("dtmf", dtmf={"track": "inbound_track", "digit": digit})
        mark = await client.until("mark")
        await client.send("mark", mark=mark["mark"])  # Twilio played the first sentence
        await client.media(bytes(480))  # the caller talks over the second one
        await client.until("clear")
        await asyncio.sleep(0.5)
        await client.send("stop", stop={"accountSid": "AC0123", "callSid": CALL_SID})
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await client.recv()
        return client.events

    events = call(voice_server.ws_url("/twilio/media"), script)
    kinds = [e["event"] for e in events]
    cleared = kinds.index("clear")
    assert "media" not in kinds[cleared:]
    assert scripted_model.calls[0].messages[-1].content == "4 2"
    history = asyncio.run(get_runner().agent.messages(thread_id(pin_user.id, CALL_SID)))
    assert [m["content"] for m in history if m["role"] == "assistant"] == [
        "First I checked your list."
    ]


def test_caller_barges_in_while_twilio_still_plays_audio_already_sent(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
    configure: Any,
) -> None:
    """The whole answer reaches Twilio in an instant but plays for seconds: until its marks
    come back the turn is still speaking, so the caller can cut it off and `clear` empties
    Twilio's buffer."""
    configure(VOICE_PLAYBACK_GRACE_S=3600)  # only marks or a barge-in end the turn
    fixed_speech.stt.transcript = "no stop please"
    scripted_model.responses = [say(LONG_ANSWER)]
    token = issue_stream_token(pin_user.id, CALL_SID)

    async def script(client: TwilioClient) -> list[dict[str, Any]]:
        await client.start(token, greet="0")
        for digit in "42#":
            await client.send("dtmf", dtmf={"track": "inbound_track", "digit": digit})
        marks = [await client.until("mark") for _ in range(3)]  # every sentence is out
        await client.send("mark", mark=marks[0]["mark"])  # Twilio has played the first one
        await client.media(bytes(480))  # the caller talks over the second
        await client.until("clear")
        await asyncio.sleep(0.5)
        await client.send("stop", stop={"accountSid": "AC0123", "callSid": CALL_SID})
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await client.recv()
        return client.events

    events = call(voice_server.ws_url("/twilio/media"), script)
    assert "clear" in [e["event"] for e in events]
    history = asyncio.run(get_runner().agent.messages(thread_id(pin_user.id, CALL_SID)))
    assert [m["content"] for m in history if m["role"] == "assistant"] == [
        "First I checked your list."
    ]


def test_hang_up_ends_everything_the_call_started(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
) -> None:
    fixed_speech.tts.chunk_ms = 60_000
    fixed_speech.tts.latency_s = 0.5
    scripted_model.responses = [say(LONG_ANSWER)]
    token = issue_stream_token(pin_user.id, CALL_SID)

    async def script(client: TwilioClient) -> None:
        await client.start(token)  # greeting starts speaking, slowly
        await client.media(bytes(1600))
        await client.send("stop", stop={"accountSid": "AC0123", "callSid": CALL_SID})
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await client.recv()

    call(voice_server.ws_url("/twilio/media"), script)

    async def leftovers() -> list[str]:
        await asyncio.sleep(0.05)
        return [
            repr(task.get_coro())
            for task in asyncio.all_tasks()
            if "convonet/voice" in repr(task.get_coro()) or "VoiceSession" in repr(task.get_coro())
        ]

    assert voice_server.call(leftovers) == []
    assert voice_server.gateway.connections == set()


@pytest.mark.parametrize("wrong", ["forged", "other_call", "missing"])
def test_untrusted_stream_is_refused(
    voice_server: VoiceServer, pin_user: WorkspaceUser, fixed_speech: FixedSpeech, wrong: str
) -> None:
    token = {
        "forged": issue_stream_token(pin_user.id, CALL_SID)[:-4] + "AAAA",
        "other_call": issue_stream_token(pin_user.id, "CAother"),
        "missing": "",
    }[wrong]

    async def script(client: TwilioClient) -> int | None:
        await client.start(token)
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await client.recv()
        return client.ws.close_code

    assert call(voice_server.ws_url("/twilio/media"), script) == 1008


def test_transfer_leaves_the_stream_once_the_goodbye_has_played(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    scripted_model: ScriptedChatModel,
    configure: Any,
) -> None:
    """Twilio dials the human from the <Connect> action, which it requests only when the
    stream closes: the gateway closes it after the marks prove the last words were heard."""
    from convonet.llm.scripted import call_tool
    from convonet.telephony.transfer import pending_transfer_for_call

    configure(VOICE_TRANSFER_CLOSE_S=3600)  # only the acknowledged marks can end the stream
    scripted_model.responses = [
        call_tool("transfer_to_agent", {"department": "support", "reason": "wants a person"}),
        say("Connecting you to a person now."),
    ]
    token = issue_stream_token(pin_user.id, CALL_SID)

    async def script(client: TwilioClient) -> tuple[int | None, list[dict[str, Any]]]:
        await client.start(token, greet="0")
        for digit in "0#":
            await client.send("dtmf", dtmf={"track": "inbound_track", "digit": digit})
        unplayed: list[dict[str, Any]] = []
        with contextlib.suppress(websockets.ConnectionClosed):
            for _ in range(200):  # the client gives up eventually: then close_code is None
                try:
                    event = json.loads(await asyncio.wait_for(client.ws.recv(), 0.3))
                except TimeoutError:  # all audio is out; Twilio plays it, then acks the marks
                    for mark in unplayed:
                        await client.send("mark", mark=mark)
                    unplayed.clear()
                    continue
                client.events.append(event)
                if event["event"] == "mark":
                    unplayed.append(event["mark"])
        return client.ws.close_code, client.events

    close_code, events = call(voice_server.ws_url("/twilio/media"), script)
    assert close_code == 1000
    kinds = [e["event"] for e in events]
    assert "media" in kinds and kinds[-1] == "mark", "the goodbye played, then the stream closed"
    pending = pending_transfer_for_call(CALL_SID)
    assert pending is not None and pending.department == "support"


# Frames Twilio would never send ----------------------------------------------------------------

SKIPPED_FRAMES = [
    "not json",
    "[]",
    "[" * 5000,  # nesting deeper than the JSON decoder recurses
    json.dumps({"event": "media", "media": {"payload": "not base64!"}}),
    json.dumps({"event": "media", "media": {"payload": 42}}),
    json.dumps({"event": "mark", "mark": {"name": ["a"]}}),
    json.dumps({"event": "dtmf"}),
    json.dumps({"event": "start", "start": {}}),  # a second start, malformed
    json.dumps({"event": "hologram", "hologram": {}}),
    json.dumps({"sequenceNumber": "7"}),
]


def test_malformed_and_unknown_frames_are_skipped(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    scripted_model: ScriptedChatModel,
) -> None:
    """Each is logged and skipped; the call goes on and answers the next turn."""
    scripted_model.responses = [say("Still here.")]
    token = issue_stream_token(pin_user.id, CALL_SID)

    async def script(client: TwilioClient) -> int | None:
        await client.ws.send("not json")  # before start too
        await client.start(token, greet="0")
        for raw in SKIPPED_FRAMES:
            await client.ws.send(raw)
        for digit in "42#":
            await client.send("dtmf", dtmf={"track": "inbound_track", "digit": digit})
        await client.until("media")
        await client.until("mark")
        await client.send("stop", stop={"accountSid": "AC0123", "callSid": CALL_SID})
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await client.recv()
        return client.ws.close_code

    assert call(voice_server.ws_url("/twilio/media"), script) == 1000
    assert [c.messages[-1].content for c in scripted_model.calls] == ["4 2"]


@pytest.mark.parametrize(
    ("frame", "started", "close_code"),
    [
        pytest.param(b"\x00\x01binary", True, 1008, id="binary"),
        pytest.param(json.dumps({"event": "media", "pad": "x" * 5000}), True, 1009, id="oversized"),
        pytest.param(json.dumps({"event": "media", "media": {}}), False, 1000, id="media-first"),
        pytest.param(json.dumps({"event": "hologram"}), False, 1000, id="unknown-first"),
    ],
)
def test_frames_that_are_not_twilio_end_the_stream(
    voice_server: VoiceServer,
    pin_user: WorkspaceUser,
    fixed_speech: FixedSpeech,
    configure: Any,
    frame: str | bytes,
    started: bool,
    close_code: int,
) -> None:
    """Binary or oversized frames close with 1008/1009; before `start` only `connected` may
    come, so any other event, readable or not, ends the stream."""
    configure(VOICE_MAX_MESSAGE_BYTES=4096)
    token = issue_stream_token(pin_user.id, CALL_SID)

    async def script(client: TwilioClient) -> int | None:
        if started:
            await client.start(token, greet="0")
        await client.ws.send(frame)
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await client.recv()
        return client.ws.close_code

    assert call(voice_server.ws_url("/twilio/media"), script) == close_code
    assert voice_server.gateway.connections == set()
