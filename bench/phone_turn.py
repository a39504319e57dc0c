"""What the phone path adds per turn: the signed Twilio webhook around an agent turn.

twilio_webhook runs in-process (functions-framework's Flask app, the call simulator signing
each request with the real RequestValidator); the model answers instantly (a scripted stub),
the StateStore is the local SQLite adapter, the database a SQLite file. Prints p50/p95 of a
whole `/twilio/voice/turn` (signature check, replay claim, call state, agent turn, transcript,
TwiML) and of the same agent turn run directly, and their difference: the webhook's overhead.
Then the time from barge-in (the caller's first speech frame over the assistant) to `clear` on
the real /twilio/media endpoint. Figures only; nothing here asserts on time.

    .venv/bin/python bench/phone_turn.py [--turns 500]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path


def _percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94]


def _prepare(tmp: str) -> str:
    """A migrated SQLite database with one caller (PIN 2468); returns the caller's id."""
    os.environ.setdefault("DATA_DIR", tmp)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{Path(tmp) / 'bench.db'}")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from convonet.auth.pins import pin_digest
    from convonet.config import get_settings
    from convonet.db.engine import session_scope
    from convonet.db.migrate import upgrade
    from convonet.db.models import User
    from convonet.events import set_event_bus
    from convonet.events.local import LocalEventBus
    from convonet.state import set_state_store
    from convonet.state.local import LocalStateStore

    upgrade()
    set_state_store(LocalStateStore(Path(tmp) / "state.db"))
    set_event_bus(LocalEventBus())
    with session_scope() as session:
        user = User(
            email="bench@example.com",
            password_hash="not-a-hash: this account never signs in",  # noqa: S106
            display_name="Bench Caller",
            phone_e164="+14155550101",
            voice_pin_hash=pin_digest("2468", get_settings().secret("pin_hash_secret")),
        )
        session.add(user)
        session.flush()
        return user.id


def _webhook_turns(turns: int, warmup: int) -> list[float]:
    import httpx
    from convonet.manifest import by_name
    from convonet.telephony.simulator import CallSimulator
    from functions_framework import create_app

    spec = by_name("twilio_webhook")
    app = create_app(target=spec.entry_point, source=str(spec.source))
    samples: list[float] = []
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://bench") as http:
        call = CallSimulator("http://bench", http, caller="+14155550101")
        call.start()
        for n in range(warmup + turns):
            started = time.perf_counter()
            answer = call.say("hello there")
            elapsed = (time.perf_counter() - started) * 1000
            if answer.gather is None:
                raise SystemExit(f"unexpected answer: {answer.text}")
            if n >= warmup:
                samples.append(elapsed)
    return samples


def _direct_turns(user_id: str, turns: int, warmup: int) -> list[float]:
    from convonet.agent.turn import TurnRequest, get_runner

    runner = get_runner()
    samples: list[float] = []
    for n in range(warmup + turns):
        request = TurnRequest(
            user_id=user_id, session_id="CAdirect", prompt="hello there", channel="phone"
        )
        started = time.perf_counter()
        runner.run_sync(request)
        if n >= warmup:
            samples.append((time.perf_counter() - started) * 1000)
    return samples


LONG_ANSWER = "First I checked your list. Then I found two todos. Finally I sorted them."


def _barge_in_to_clear(user_id: str, runs: int) -> list[float]:
    """ms from the caller's first speech frame over the assistant to Twilio's `clear`, on the
    real /twilio/media endpoint (uvicorn on 127.0.0.1) with fixed, instant speech engines."""
    import asyncio
    import socket
    import threading
    import uuid

    import uvicorn
    from convonet.agent import turn as turn_module
    from convonet.llm.scripted import ScriptedChatModel, say
    from convonet.localstack import voice_gateway_app
    from convonet.speech.fixed import FixedSpeechToText, FixedTextToSpeech
    from convonet.voice.pipeline import SpeechFactories, set_speech_factories

    stt, tts = FixedSpeechToText("no stop please"), FixedTextToSpeech(chunk_ms=60_000)
    set_speech_factories(SpeechFactories(stt=lambda _n: stt, tts=lambda _n: tts))
    model = ScriptedChatModel([say(LONG_ANSWER)], cycle=True)
    turn_module.set_model_factory(lambda _req, _user: ("scripted", model))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(voice_gateway_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        url = f"ws://127.0.0.1:{port}/twilio/media"
        return [asyncio.run(_one_barge_in(url, user_id, uuid.uuid4().hex)) for _ in range(runs)]
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def _one_barge_in(url: str, user_id: str, call_hex: str) -> float:
    import base64

    import websockets
    from convonet.telephony.stream_token import issue_stream_token

    call_sid, stream_sid = f"CA{call_hex}", f"MZ{call_hex}"
    seq = 0

    async def send(ws: websockets.ClientConnection, event: str, **body: object) -> None:
        nonlocal seq
        seq += 1
        await ws.send(
            json.dumps(
                {"event": event, "sequenceNumber": str(seq), "streamSid": stream_sid, **body}
            )
        )

    async def until(ws: websockets.ClientConnection, kind: str) -> None:
        while json.loads(await ws.recv())["event"] != kind:
            pass

    async with websockets.connect(url, max_queue=None) as ws:
        start = {
            "accountSid": "AC0123",
            "callSid": call_sid,
            "streamSid": stream_sid,
            "tracks": ["inbound"],
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            "customParameters": {"call_token": issue_stream_token(user_id, call_sid), "greet": "0"},
        }
        await send(ws, "connected", protocol="Call", version="1.0.0")
        await send(ws, "start", start=start)
        for digit in "42#":
            await send(ws, "dtmf", dtmf={"track": "inbound_track", "digit": digit})
        await until(ws, "media")  # the assistant is speaking
        loud = base64.b64encode(bytes(160)).decode()  # 20 ms of full-scale mu-law
        started = time.perf_counter()
        for _ in range(3):
            await send(ws, "media", media={"track": "inbound", "payload": loud})
        await until(ws, "clear")
        elapsed = (time.perf_counter() - started) * 1000
        await send(ws, "stop", stop={"accountSid": "AC0123", "callSid": call_sid})
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--barge-ins", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        user_id = _prepare(tmp)
        from convonet.agent import turn as turn_module
        from convonet.llm.scripted import ScriptedChatModel, say

        model = ScriptedChatModel([say("Hello. How can I help?")], cycle=True)
        turn_module.set_model_factory(lambda _req, _user: ("scripted", model))
        webhook = _webhook_turns(args.turns, args.warmup)
        direct = _direct_turns(user_id, args.turns, args.warmup)
        clears = _barge_in_to_clear(user_id, args.barge_ins)
    w50, w95 = _percentiles(webhook)
    d50, d95 = _percentiles(direct)
    print(f"webhook turn : p50 {w50:6.2f} ms  p95 {w95:6.2f} ms")
    print(f"agent turn   : p50 {d50:6.2f} ms  p95 {d95:6.2f} ms")
    print(f"overhead     : p50 {w50 - d50:6.2f} ms  p95 {w95 - d95:6.2f} ms")
    c50, c95 = _percentiles(clears)
    print(f"barge-in -> clear: p50 {c50:6.2f} ms  p95 {c95:6.2f} ms  (n={len(clears)})")
    figures = {
        "webhook_p50": w50,
        "webhook_p95": w95,
        "agent_p50": d50,
        "agent_p95": d95,
        "barge_in_to_clear_p50": c50,
        "barge_in_to_clear_p95": c95,
    }
    print(json.dumps({"turns": args.turns, "figures": figures}))


if __name__ == "__main__":
    main()
