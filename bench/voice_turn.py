"""The voice gateway's own overhead per turn, beyond the providers' fixed time.

Stub providers of fixed latency (0 ms and 50 ms): the model is a ScriptedChatModel, STT and TTS
are convonet.speech.fixed engines; the StateStore is the local SQLite adapter and events go to
the in-process bus. Overhead = measured time - the providers' time on that path (model once
without a tool call, twice with one, each until its first event; TTS until its first byte once),
as the stubs really took it: a 50 ms sleep wakes late by timer slack and scheduling, which is the
provider's time, not Convonet's.

- in-process: t0 = the final transcript is available (a typed turn enters the session),
  t1 = the first TTS audio bytes are ready to send (the sink's first `play`);
- over the WebSocket (uvicorn on 127.0.0.1, `websockets` client): t0 = the client sends
  `text`, t1 = the client receives the first `audio_chunk`;
- with 50, 200 and 400 concurrent in-process sessions, each taking a turn about every 3 s;
- time to first audio after the user stops, streaming versus batch, on the offline recogniser
  (the streaming one has decoded while the user spoke), audio paced in real time.

Figures and ratios only; nothing here asserts on time.

    .venv/bin/python bench/voice_turn.py [--turns 200] [--warmup 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import json
import os
import random
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from convonet.agent import turn as turn_module
from convonet.events import set_event_bus
from convonet.events.local import LocalEventBus
from convonet.llm.scripted import ScriptedChatModel, call_tool, say
from convonet.speech.fixed import FixedSpeechToText, FixedTextToSpeech
from convonet.state import set_state_store
from convonet.state.local import LocalStateStore
from convonet.voice import protocol as p
from convonet.voice.access import Identity, SessionState, new_session_id
from convonet.voice.pipeline import SpeechFactories, SpokenAudio, set_speech_factories
from convonet.voice.session import VoiceSession

ANSWER = "Your support line is extension 2001. Is there anything else?"
TOOL_ANSWER = "Support is on extension 2001."
CONCURRENCY = (50, 200, 400)
TURN_EVERY_S = 3.0
TURNS_PER_SESSION = 3


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def _line(label: str, samples: list[float]) -> dict[str, float]:
    p50, p95, p99 = _percentiles(samples)
    print(f"{label:<46} p50 {p50:7.2f}  p95 {p95:7.2f}  p99 {p99:7.2f} ms  (n={len(samples)})")
    return {"p50": p50, "p95": p95, "p99": p99}


@dataclass
class ProviderTime:
    """The stub providers' time on the way to one turn's first audio."""

    model_s: float = 0.0
    tts_s: float | None = None

    def ms(self) -> float:
        return 1000 * (self.model_s + (self.tts_s or 0.0))


# A turn's tasks inherit the context of the coroutine that started it; the WebSocket server runs
# on its own thread, one turn at a time, and uses the shared record.
_SPENT: contextvars.ContextVar[ProviderTime] = contextvars.ContextVar("spent")
_SHARED = ProviderTime()


def _spent() -> ProviderTime:
    return _SPENT.get(_SHARED)


class TimedModel:
    """The scripted model, timed until each response's first event."""

    def __init__(self, inner: ScriptedChatModel) -> None:
        self.inner, self.provider, self.model = inner, inner.provider, inner.model

    async def stream(self, messages: Any, tools: Any, **options: Any) -> AsyncIterator[Any]:
        self.inner.calls.clear()  # the stub's request log would keep every history alive
        started, first = time.perf_counter(), True
        async for event in self.inner.stream(messages, tools, **options):
            if first:
                _spent().model_s += time.perf_counter() - started
                first = False
            yield event


class TimedTts:
    """The fixed TTS, timed until the first byte of a turn's first sentence."""

    def __init__(self, inner: FixedTextToSpeech) -> None:
        self.inner, self.name, self.sample_rate = inner, inner.name, inner.sample_rate

    @property
    def mime_type(self) -> str:
        return self.inner.mime_type

    async def synthesize_stream(self, text: str, **options: Any) -> AsyncIterator[bytes]:
        self.inner.spoken.clear()
        started, spent = time.perf_counter(), _spent()
        async for chunk in self.inner.synthesize_stream(text, **options):
            if spent.tts_s is None:
                spent.tts_s = time.perf_counter() - started
            yield chunk


@dataclass
class BenchSink:
    """Records when each turn's first audio was ready to send."""

    heard_on_send = True
    output_rate: int | None = None
    session_id: str | None = None
    first_audio: dict[str, float] = field(default_factory=dict)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, frame: p.ServerFrame) -> None:
        if isinstance(frame, p.Status) and frame.stage == "ready":
            self.done.set()

    async def play(self, turn_id: str, piece: SpokenAudio) -> None:
        if piece.pcm16:
            self.first_audio.setdefault(turn_id, time.perf_counter())

    async def end_audio(self, turn_id: str) -> None:
        return None

    async def clear(self) -> None:
        return None

    async def close(self, code: int, reason: str) -> None:
        return None


class InProcessAgentPort:
    def stream(self, request):  # type: ignore[no-untyped-def]
        return turn_module.get_runner().stream(request)

    async def heard(self, user_id: str, session_id: str, interaction_id: str, text: str) -> None:
        await turn_module.get_runner().heard(user_id, session_id, interaction_id, text)


async def _session(n: int) -> tuple[VoiceSession, BenchSink]:
    sink = BenchSink()
    session = VoiceSession(sink, InProcessAgentPort(), peer="127.0.0.1")  # type: ignore[arg-type]
    identity = Identity(user_id=f"bench-user-{n}", user_name="Bench")
    state = SessionState(new_session_id(), identity.user_id, "voice")
    await session.start(identity, state, greet=False)
    await sink.done.wait()
    return session, sink


async def _turn(session: VoiceSession, sink: BenchSink) -> float:
    """One typed turn's overhead: ms from the transcript entering the session to the first
    audio, less the providers' time on the way."""
    spent = ProviderTime()
    _SPENT.set(spent)
    sink.done.clear()
    before = set(sink.first_audio)
    started = time.perf_counter()
    await session.handle(p.TextIn(type="text", text="which extension is support"))
    await sink.done.wait()
    (turn_id,) = set(sink.first_audio) - before
    return (sink.first_audio[turn_id] - started) * 1000 - spent.ms()


def _install(model: ScriptedChatModel, latency_s: float) -> None:
    timed_model = TimedModel(model)
    turn_module.set_model_factory(lambda _req, _user: ("scripted", timed_model))
    tts = TimedTts(FixedTextToSpeech(latency_s=latency_s, chunk_ms=200))
    stt = FixedSpeechToText("which extension is support", latency_s=latency_s)
    set_speech_factories(SpeechFactories(stt=lambda _n: stt, tts=lambda _n: tts))


def _model(tool: bool, latency_s: float) -> ScriptedChatModel:
    if tool:
        script = [call_tool("get_available_departments", {}, "c1"), say(TOOL_ANSWER)]
    else:
        script = [say(ANSWER)]
    return ScriptedChatModel(script, latency_s=latency_s, cycle=True)


async def in_process(turns: int, warmup: int) -> dict[str, dict[str, float]]:
    figures = {}
    for latency_s in (0.0, 0.05):
        for tool in (False, True):
            _install(_model(tool, latency_s), latency_s)
            session, sink = await _session(0)
            samples = []
            for n in range(warmup + turns):
                measured = await _turn(session, sink)
                if n >= warmup:
                    samples.append(measured)
            await session.close()
            label = (
                f"in-process, {int(latency_s * 1000)} ms stubs, {'one tool' if tool else 'no tool'}"
            )
            figures[label] = _line(label, samples)
    return figures


async def concurrent(count: int) -> dict[str, float]:
    _install(_model(False, 0.05), 0.05)
    sessions = [await _session(n) for n in range(count)]
    samples: list[float] = []

    async def user(session: VoiceSession, sink: BenchSink) -> None:
        await asyncio.sleep(random.uniform(0, TURN_EVERY_S))
        for _ in range(TURNS_PER_SESSION):
            samples.append(await _turn(session, sink))
            await asyncio.sleep(TURN_EVERY_S * random.uniform(0.8, 1.2))

    await asyncio.gather(*(user(s, k) for s, k in sessions))
    for session, _ in sessions:
        await session.close()
    return _line(f"in-process, {count} sessions, 50 ms stubs", samples)


# Over the WebSocket ---------------------------------------------------------------------------


def _serve_gateway() -> tuple[str, Callable[[], None]]:
    import uvicorn
    from convonet.localstack import voice_gateway_app

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

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return f"ws://127.0.0.1:{port}/webrtc/ws", stop


async def over_websocket(
    url: str, token: str, turns: int, warmup: int
) -> dict[str, dict[str, float]]:
    import websockets

    figures = {}
    for latency_s in (0.0, 0.05):
        for tool in (False, True):
            _install(_model(tool, latency_s), latency_s)
            samples = []
            async with websockets.connect(url, max_queue=None) as ws:
                await ws.send(json.dumps({"type": "authenticate", "token": token}))
                await _recv_until(ws, lambda f: f.get("stage") == "ready")
                for n in range(warmup + turns):
                    _SHARED.model_s, _SHARED.tts_s = 0.0, None
                    started = time.perf_counter()
                    await ws.send(
                        json.dumps({"type": "text", "text": "which extension is support"})
                    )
                    await _recv_until(ws, lambda f: f["type"] == "audio_chunk")
                    first = time.perf_counter()
                    await _recv_until(ws, lambda f: f.get("stage") == "ready")
                    if n >= warmup:
                        samples.append((first - started) * 1000 - _SHARED.ms())
            label = (
                f"WebSocket, {int(latency_s * 1000)} ms stubs, {'one tool' if tool else 'no tool'}"
            )
            figures[label] = _line(label, samples)
    return figures


async def _recv_until(ws: object, done: Callable[[dict[str, object]], bool]) -> None:
    while True:
        frame = json.loads(await ws.recv())  # type: ignore[attr-defined]
        if done(frame):
            return


# Streaming versus batch -------------------------------------------------------------------------


async def streaming_vs_batch(runs: int) -> dict[str, float]:
    from convonet.speech import build_stt, build_tts
    from convonet.speech.base import synthesize
    from convonet.voice.audio import STT_RATE

    pcm = await synthesize(build_tts("offline"), "add a todo to buy bread", sample_rate=STT_RATE)
    stt = build_stt("offline")
    tts = FixedTextToSpeech(latency_s=0.05, chunk_ms=200)
    set_speech_factories(SpeechFactories(stt=lambda _n: stt, tts=lambda _n: tts))
    turn_module.set_model_factory(
        lambda _r, _u: ("scripted", ScriptedChatModel([say("Added.")], latency_s=0.05, cycle=True))
    )
    chunk = STT_RATE * 2 // 10  # 100 ms
    results: dict[str, list[float]] = {"batch": [], "streaming": []}
    for mode in ["batch", "streaming"] * runs:
        session, sink = await _session(0)
        await session.handle(p.StartRecording(type="start_recording", mode=mode))  # type: ignore[arg-type]
        for offset in range(0, len(pcm), chunk):
            await session.feed_audio(pcm[offset : offset + chunk])
            await asyncio.sleep(0.1)  # a microphone delivers in real time
        sink.done.clear()
        before = set(sink.first_audio)
        stopped = time.perf_counter()
        await session.handle(p.StopRecording(type="stop_recording"))
        await sink.done.wait()
        (turn_id,) = set(sink.first_audio) - before
        results[mode].append((sink.first_audio[turn_id] - stopped) * 1000)
        await session.close()
    batch, streaming = statistics.median(results["batch"]), statistics.median(results["streaming"])
    print(f"time to first audio after the user stops (median of {runs}, offline STT):")
    ratio = batch / streaming
    print(f"  batch {batch:7.1f} ms   streaming {streaming:7.1f} ms   batch/streaming {ratio:.2f}x")
    return {"batch_ms": batch, "streaming_ms": streaming, "ratio": batch / streaming}


def _prepare(workdir: Path) -> str:
    """A migrated SQLite database with one user, local state, in-process events."""
    os.environ.update(DATA_DIR=str(workdir), CONVONET_ENV="test", LOG_LEVEL="ERROR")
    from convonet.auth.tokens import issue_user_token
    from convonet.config import reset_settings
    from convonet.db.engine import session_scope
    from convonet.db.migrate import upgrade
    from convonet.db.models import User

    reset_settings()
    upgrade()
    with session_scope() as db:
        user = User(email="bench@example.com", password_hash="-", display_name="Bench")  # noqa: S106 - never signs in
        db.add(user)
        db.flush()
        user_id = user.id
    set_state_store(LocalStateStore(workdir / "state.db"))
    set_event_bus(LocalEventBus())
    return issue_user_token(user_id, ["user"], [], "access").token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3, help="streaming/batch runs per mode")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        token = _prepare(Path(tmp))
        report: dict[str, object] = {}
        report["in_process"] = asyncio.run(in_process(args.turns, args.warmup))
        url, stop = _serve_gateway()
        try:
            report["websocket"] = asyncio.run(over_websocket(url, token, args.turns, args.warmup))
        finally:
            stop()
        report["concurrent"] = {n: asyncio.run(concurrent(n)) for n in CONCURRENCY}
        report["streaming_vs_batch"] = asyncio.run(streaming_vs_batch(args.runs))
        inproc = report["in_process"]["in-process, 0 ms stubs, no tool"]  # type: ignore[index]
        ws = report["websocket"]["WebSocket, 0 ms stubs, no tool"]  # type: ignore[index]
        print(f"WebSocket / in-process p95 (0 ms, no tool): {ws['p95'] / inproc['p95']:.2f}x")
        print(json.dumps(report, default=str))


if __name__ == "__main__":
    main()
