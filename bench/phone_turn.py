"""What the phone path adds per turn: the signed Twilio webhook around an agent turn.

twilio_webhook runs in-process (functions-framework's Flask app, the call simulator signing
each request with the real RequestValidator); the model answers instantly (a scripted stub),
the StateStore is the local SQLite adapter, the database a SQLite file. Prints p50/p95 of a
whole `/twilio/voice/turn` (signature check, replay claim, call state, agent turn, transcript,
TwiML) and of the same agent turn run directly, and their difference: the webhook's overhead.
Then, on the real /twilio/media endpoint (the voice gateway under uvicorn on 127.0.0.1, a
`websockets` client speaking Twilio's media-stream protocol, a new call each run, instant stub
model, recogniser and voice):

- barge-in -> clear: from the caller's first speech frame while the assistant is speaking to
  Twilio's `clear`;
- VAD end -> first media: a spoken request's mu-law frames; from the frame on which the VAD
  hears the end of speech to the first frame of the answer (the media stream's own overhead
  per turn: the stubs take no time).

Figures only; nothing here asserts on time.

    .venv/bin/python bench/phone_turn.py [--turns 500] [--calls 30]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any


def _percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94]


def _line(figures: dict[str, float], label: str, key: str, samples: list[float]) -> None:
    """Print one figure's p50/p95 and keep them in `figures` under `key`."""
    p50, p95 = _percentiles(samples)
    figures[f"{key}_p50"], figures[f"{key}_p95"] = p50, p95
    print(f"{label:<38}  p50 {p50:6.2f}  p95 {p95:6.2f} ms  (n={len(samples)})")


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
SHORT_ANSWER = "Your support line is extension 2001."
MULAW_FRAME = 160  # 20 ms of 8 kHz mu-law, as Twilio sends it
CALL_WARMUP = 3


class _TwilioStream:
    """Twilio's side of one /twilio/media call (the integration tests speak it the same way)."""

    def __init__(self, ws: Any, call_sid: str) -> None:
        self.ws, self.call_sid, self.seq = ws, call_sid, 0

    async def send(self, event: str, **body: object) -> None:
        self.seq += 1
        frame = {"event": event, "sequenceNumber": str(self.seq), "streamSid": "MZ" + self.call_sid}
        await self.ws.send(json.dumps({**frame, **body}))

    async def media(self, mulaw: bytes) -> None:
        await self.send(
            "media", media={"track": "inbound", "payload": base64.b64encode(mulaw).decode()}
        )

    async def until(self, kind: str) -> None:
        """Events up to the first `kind`; a miss ends the bench instead of waiting for the
        session's silence timeout."""
        while json.loads(await asyncio.wait_for(self.ws.recv(), 10))["event"] != kind:
            pass


@contextlib.asynccontextmanager
async def _call(url: str, user_id: str) -> AsyncIterator[_TwilioStream]:
    """A started call (signed call token, no greeting) on a fresh socket; hung up on exit."""
    import websockets
    from convonet.telephony.stream_token import issue_stream_token

    call_sid = "CA" + uuid.uuid4().hex
    async with websockets.connect(url, max_queue=None) as ws:
        stream = _TwilioStream(ws, call_sid)
        token = issue_stream_token(user_id, call_sid)
        start = {
            "accountSid": "AC0123",
            "callSid": call_sid,
            "streamSid": "MZ" + call_sid,
            "tracks": ["inbound"],
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            "customParameters": {"call_token": token, "greet": "0"},
        }
        await stream.send("connected", protocol="Call", version="1.0.0")
        await stream.send("start", start=start)
        yield stream
        await stream.send("stop", stop={"accountSid": "AC0123", "callSid": call_sid})


def _install(stt_text: str, tts: Any, answer: str) -> None:
    """Instant stub providers (so nothing but Convonet's own time is measured) on the gateway."""
    from convonet.agent import turn as turn_module
    from convonet.llm.scripted import ScriptedChatModel, say
    from convonet.speech.fixed import FixedSpeechToText
    from convonet.voice.pipeline import SpeechFactories, set_speech_factories

    stt = FixedSpeechToText(stt_text)
    set_speech_factories(SpeechFactories(stt=lambda _n: stt, tts=lambda _n: tts))
    model = ScriptedChatModel([say(answer)], cycle=True)
    turn_module.set_model_factory(lambda _req, _user: ("scripted", model))


async def _barge_in(url: str, user_id: str) -> float:
    """ms from the caller's first speech frame over the assistant to Twilio's `clear`. The
    frames go back to back: the figure is processing, not the 20 ms a frame lasts."""
    async with _call(url, user_id) as stream:
        for digit in "42#":  # a typed turn: the assistant answers at length
            await stream.send("dtmf", dtmf={"track": "inbound_track", "digit": digit})
        await stream.until("media")  # the assistant is speaking
        started = time.perf_counter()
        for _ in range(3):  # the stub recogniser hears a word a frame; 2 words barge in
            await stream.media(bytes(MULAW_FRAME))  # 0x00: full-scale mu-law
        await stream.until("clear")
        return (time.perf_counter() - started) * 1000


def _caller_frames() -> tuple[list[bytes], int]:
    """A spoken request as Twilio's 20 ms mu-law frames, and the index of the frame on which
    the gateway's VAD (the same detector, fed the same audio) hears its end."""
    from convonet.speech import build_tts
    from convonet.speech.base import synthesize
    from convonet.voice.audio import PHONE_RATE, mulaw_decode, mulaw_encode, silence
    from convonet.voice.vad import VoiceActivityDetector

    pcm = asyncio.run(synthesize(build_tts("offline"), "add a todo", sample_rate=PHONE_RATE))
    mulaw = mulaw_encode(silence(200, PHONE_RATE) + pcm + silence(1200, PHONE_RATE))
    frames = [mulaw[i : i + MULAW_FRAME] for i in range(0, len(mulaw), MULAW_FRAME)]
    vad = VoiceActivityDetector(PHONE_RATE)
    for index, frame in enumerate(frames):
        if any(e.kind == "speech_end" for e in vad.feed(mulaw_decode(frame))):
            return frames, index
    raise SystemExit("the VAD never heard the end of the synthesised request")


async def _spoken_turn(url: str, user_id: str, frames: list[bytes], end: int) -> float:
    """ms from the frame that ends the caller's speech (VAD end) to the first answer frame.
    The frames before it go at once and the gateway catches up first, so only that frame's
    processing and the turn are timed; the stubs take no time."""
    async with _call(url, user_id) as stream:
        for frame in frames[:end]:
            await stream.media(frame)
        await asyncio.sleep(0.2)
        started = time.perf_counter()
        await stream.media(frames[end])
        await stream.until("media")
        return (time.perf_counter() - started) * 1000


def _media_stream(user_id: str, calls: int) -> dict[str, list[float]]:
    """Both media-stream figures on the real voice gateway (uvicorn on 127.0.0.1, the
    /twilio/media endpoint), each run a new call."""
    from convonet.speech.fixed import FixedTextToSpeech
    from voice_turn import _serve_gateway

    ws_url, stop = _serve_gateway()
    url = ws_url.replace("/webrtc/ws", "/twilio/media")
    frames, end = _caller_frames()
    try:
        # A slow, long answer: the assistant is still speaking when the caller talks over it.
        _install("no stop please", FixedTextToSpeech(chunk_ms=200, chunk_delay_s=0.2), LONG_ANSWER)
        clears = [asyncio.run(_barge_in(url, user_id)) for _ in range(CALL_WARMUP + calls)]
        _install("which extension is support", FixedTextToSpeech(), SHORT_ANSWER)
        spoken = [
            asyncio.run(_spoken_turn(url, user_id, frames, end)) for _ in range(CALL_WARMUP + calls)
        ]
    finally:
        stop()
    return {"clear": clears[CALL_WARMUP:], "spoken": spoken[CALL_WARMUP:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--calls", type=int, default=30, help="media-stream calls per figure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        user_id = _prepare(tmp)
        from convonet.agent import turn as turn_module
        from convonet.llm.scripted import ScriptedChatModel, say

        model = ScriptedChatModel([say("Hello. How can I help?")], cycle=True)
        turn_module.set_model_factory(lambda _req, _user: ("scripted", model))
        webhook = _webhook_turns(args.turns, args.warmup)
        direct = _direct_turns(user_id, args.turns, args.warmup)
        stream = _media_stream(user_id, args.calls)
    figures: dict[str, float] = {}
    _line(figures, "webhook turn", "webhook", webhook)
    _line(figures, "agent turn", "agent", direct)
    for cut in ("p50", "p95"):
        figures[f"webhook_overhead_{cut}"] = figures[f"webhook_{cut}"] - figures[f"agent_{cut}"]
    print(
        f"{'webhook overhead':<38}  p50 {figures['webhook_overhead_p50']:6.2f}"
        f"  p95 {figures['webhook_overhead_p95']:6.2f} ms"
    )
    _line(figures, "media stream: barge-in -> clear", "barge_in_to_clear", stream["clear"])
    _line(figures, "media stream: VAD end -> first media", "vad_end_to_media", stream["spoken"])
    print(json.dumps({"turns": args.turns, "calls": args.calls, "figures": figures}))


if __name__ == "__main__":
    main()
